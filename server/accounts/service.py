"""Account rules: creating users (how many failed sign-ins are allowed: server/accounts/limits.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import ROLE_VALUES, User
from server.accounts.passwords import hash_password, password_problem
from server.contractors.models import Contractor
from server.core.i18n import translate
from server.sites.models import Site, UserSite


class UserError(ValueError):
    """A user that cannot be created; the message says why (in English, for the CLI)."""


async def create_user(
    db: AsyncSession,
    username: str,
    display_name: str,
    role: str,
    password: str,
    *,
    contractor_code: str | None = None,
    language: str | None = None,
    site_codes: tuple[str, ...] = (),
) -> uuid.UUID:
    """Add a user after checking the role, the company and the password rules; a non-admin
    works in the sites `site_codes` names (none: it sees no site's data until given one)."""
    if role not in ROLE_VALUES:
        raise UserError(f"unknown role {role!r}")
    if not username or len(username) > 64:
        raise UserError("the username must be 1 to 64 characters")
    problem = password_problem(password, username)
    if problem:
        raise UserError(translate("en", problem))
    if await db.scalar(select(User.id).where(User.username == username)):
        raise UserError(f"the username {username!r} is taken")
    contractor_id = None
    if role == "contractor":
        if not contractor_code:
            raise UserError("a contractor user needs --contractor <company code>")
        contractor_id = await db.scalar(select(Contractor.id).where(Contractor.code == contractor_code))
        if contractor_id is None:
            raise UserError(f"no contractor company with code {contractor_code!r}")
    elif contractor_code:
        raise UserError("only contractor users belong to a contractor company")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        contractor_id=contractor_id,
        language=language,
    )
    site_ids = []
    for code in site_codes:
        site_id = await db.scalar(select(Site.id).where(Site.code == code))
        if site_id is None:
            raise UserError(f"no site with code {code!r}")
        site_ids.append(site_id)
    db.add(user)
    await db.flush()
    if role != "admin":
        db.add_all(UserSite(user_id=user.id, site_id=s) for s in dict.fromkeys(site_ids))
        await db.flush()
    return user.id
