"""Sign-in sessions stored in the database, so any worker process can serve any request.

The cookie carries a random token; the database keeps only its SHA-256. Signing in always
creates a fresh token (the session id is renewed); signing out deletes the row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.identity import CurrentUser
from server.accounts.models import User, UserSession
from server.db import utcnow

SESSION_COOKIE = "fc_session"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(db: AsyncSession, user_id: uuid.UUID, days: int, user_agent: str | None) -> str:
    """Create a session for the user and return the token to put in the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        UserSession(
            token_hash=_digest(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
            user_agent=(user_agent or "")[:300],
        )
    )
    return token


async def close_session(db: AsyncSession, token: str | None) -> None:
    if token:
        await db.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


async def resolve_session(db: AsyncSession, token: str) -> CurrentUser | None:
    """The active user behind a live session token, or None."""
    row = (
        await db.execute(
            select(User)
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.token_hash == _digest(token), UserSession.expires_at > utcnow(), User.active.is_(True))
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return CurrentUser(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        contractor_id=row.contractor_id,
        language=row.language,
    )
