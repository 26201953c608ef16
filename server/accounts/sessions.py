"""Sign-in sessions stored in the database, so any worker process can serve any request.

The cookie carries a random token; the database keeps only its SHA-256. Signing in always
creates a fresh token (the session id is renewed); signing out deletes the row. A session
ends SESSION_DAYS after sign-in, or sooner when unused for SESSION_IDLE_HOURS: its
`last_seen_at` moves on as it is used, at most once a minute (one small write, not one per
request).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser, SiteChoice
from server.accounts.models import User, UserSession
from server.core.config import get_settings
from server.core.db import Database, utcnow
from server.sites.models import Site, UserSite

SESSION_COOKIE = "fc_session"
SITE_COOKIE = "fc_site"  # the site chosen in the top bar (its code)
TOUCH_EVERY = dt.timedelta(minutes=1)


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
            last_seen_at=now,
        )
    )
    return token


async def close_session(db: AsyncSession, token: str | None) -> None:
    if token:
        await db.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def _idle_limit() -> dt.timedelta | None:
    hours = get_settings().server.session_idle_hours
    return dt.timedelta(hours=hours) if hours > 0 else None


async def user_sites(db: AsyncSession, user_id: uuid.UUID, role: str) -> tuple[SiteChoice, ...]:
    """The sites a user works in, by code: every site for an admin, else its `user_sites`."""
    query = select(Site.id, Site.code, Site.name_zh, Site.name_en).order_by(Site.code)
    if role != "admin":
        query = query.join(UserSite, UserSite.site_id == Site.id).where(UserSite.user_id == user_id)
    return tuple(SiteChoice(*row) for row in await db.execute(query))


async def resolve_session(db: AsyncSession, token: str, site_code: str | None = None) -> tuple[CurrentUser | None, bool]:
    """The active user behind a live session token (or None), with its sites and the one
    chosen (`site_code`, else the first), and whether its `last_seen_at` is due to move on
    (`touch_session`)."""
    now = utcnow()
    query = (
        select(User, UserSession.last_seen_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _digest(token), UserSession.expires_at > now, User.active.is_(True))
    )
    idle = _idle_limit()
    if idle is not None:
        query = query.where(or_(UserSession.last_seen_at.is_(None), UserSession.last_seen_at > now - idle))
    found = (await db.execute(query)).one_or_none()
    if found is None:
        return None, False
    row, seen = found
    sites = await user_sites(db, row.id, row.role)
    chosen = next((s for s in sites if s.code == site_code), sites[0] if sites else None)
    return CurrentUser(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        contractor_id=row.contractor_id,
        language=row.language,
        sites=sites,
        site_id=chosen.id if chosen else None,
    ), seen is None or seen < now - TOUCH_EVERY


async def touch_session(database: Database, token: str) -> None:
    """The session was used now (its own short write, outside the request's transaction)."""
    now = utcnow()
    async with database.session(write=True) as db:
        await db.execute(update(UserSession).where(UserSession.token_hash == _digest(token),
                                                   or_(UserSession.last_seen_at.is_(None),
                                                       UserSession.last_seen_at < now - TOUCH_EVERY))
                         .values(last_seen_at=now))
