"""Users from the admin pages: create, change role, company, sites and zones, deactivate,
reset a password. Every change is audited; a password never appears in the trail."""

from __future__ import annotations

from typing import Any

from litestar import Request
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.accounts.models import ROLE_VALUES, User, UserSession, UserZone
from server.accounts.passwords import hash_password, password_problem
from server.admin.fields import Form
from server.admin.service import _audit, _changes
from server.core.audit.service import record_event
from server.contractors.models import Contractor
from server.sites.models import Site, UserSite, Zone

LANGUAGE_CHOICES = ("zh", "en")


async def save_user(db: AsyncSession, admin: CurrentUser, form: Form, user: User | None = None,
                    request: Request[Any, Any, Any] | None = None) -> User:
    """Create (`user` None: username and password too) or change a user."""
    values: dict[str, Any] = {"display_name": form.text("display_name", max_length=120)}
    password = ""
    if user is None:
        username = form.text("username", max_length=64)
        if username and not form.has("username"):
            if any(c.isspace() for c in username):
                form.add("username", "adminf.bad_code")
            elif await db.scalar(select(User.id).where(User.username == username)):
                form.add("username", "adminf.code_taken")
        values["username"] = username
        password = str(form.values.get("password") or "")
        problem = password_problem(password, username) if password else "adminf.required"
        if problem:
            form.add("password", problem)
    role = form.choice("role", ROLE_VALUES)
    language = form.choice("language", LANGUAGE_CHOICES, required=False)
    contractor_ids = set((await db.execute(select(Contractor.id))).scalars())
    contractor_id = form.one_id("contractor_id", contractor_ids, required=role == "contractor")
    if role and role != "contractor":
        contractor_id = None  # only contractor users belong to a company (a database rule too)
    site_ids = form.ids("site_id", set((await db.execute(select(Site.id))).scalars()))
    zone_sites = dict((await db.execute(select(Zone.id, Zone.site_id))).all())
    zone_ids = form.ids("zone_id", set(zone_sites))
    if role != "inspector":
        zone_ids = []
    elif any(zone_sites[z] not in site_ids for z in zone_ids):
        form.add("zone_id", "adminf.zone_outside_sites")
    active = form.flag("active") if user is not None else True
    if user is not None and user.id == admin.id and (role != "admin" or not active):
        form.add("role" if role != "admin" else "active", "adminf.not_yourself")
    form.check()
    values.update(role=role, language=language, contractor_id=contractor_id, active=active)
    created = user is None
    if user is None:
        user = User(password_hash=hash_password(password))
        db.add(user)
    changes = _changes(user, values)
    await db.flush()
    old_sites = set((await db.execute(select(UserSite.site_id).where(UserSite.user_id == user.id))).scalars())
    if old_sites != set(site_ids):
        await db.execute(delete(UserSite).where(UserSite.user_id == user.id))
        db.add_all(UserSite(user_id=user.id, site_id=s) for s in site_ids)
        changes["sites"] = [sorted(map(str, old_sites)), sorted(map(str, site_ids))]
    old_zones = set((await db.execute(select(UserZone.zone_id).where(UserZone.user_id == user.id))).scalars())
    if old_zones != set(zone_ids):
        await db.execute(delete(UserZone).where(UserZone.user_id == user.id))
        db.add_all(UserZone(user_id=user.id, zone_id=z) for z in zone_ids)
        changes["zones"] = [sorted(map(str, old_zones)), sorted(map(str, zone_ids))]
    if not active:  # a deactivated user's sessions end now, on every device
        await db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    await db.flush()
    await _audit(db, admin, request, "user", user.id, created, changes)
    return user


async def reset_password(db: AsyncSession, admin: CurrentUser, form: Form, user: User,
                         request: Request[Any, Any, Any] | None = None) -> None:
    """A new password set by the admin; the user's sessions end (they sign in with it)."""
    password = str(form.values.get("password") or "")
    problem = password_problem(password, user.username) if password else "adminf.required"
    if problem:
        form.add("password", problem)
    form.check()
    user.password_hash = hash_password(password)
    await db.execute(delete(UserSession).where(UserSession.user_id == user.id))
    await db.flush()
    await record_event(db, admin.id, "user.password_reset", "user", str(user.id), request=request, details={})
