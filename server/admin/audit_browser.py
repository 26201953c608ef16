"""The audit browser: every audit event, filtered by user, device, entity, action and date
range, newest first, a page at a time, each linked to the record it is about."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.admin.fields import Form
from server.core.audit.models import AuditEvent

PAGE_SIZE = 50
MAX_PAGE = 100_000

# Where a record of each kind is shown; kinds not listed have no page of their own.
RECORD_PAGES = {
    "site": "/admin/sites/{id}", "zone": "/admin/zones/{id}", "asset": "/admin/assets/{id}",
    "contractor": "/admin/contractors/{id}", "contract": "/admin/contracts/{id}", "user": "/admin/users/{id}",
    "defect": "/supervise/defects/{id}", "work_order": "/supervise/orders/{id}",
}


def record_link(entity_type: str, entity_id: str) -> str | None:
    pattern = RECORD_PAGES.get(entity_type)
    if pattern is None:
        return None
    try:
        return pattern.format(id=uuid.UUID(entity_id))
    except ValueError:
        return None


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    device: str = ""
    entity: str = ""
    entity_id: str = ""
    action: str = ""
    day_from: dt.date | None = None
    day_to: dt.date | None = None
    page: int = 1

    @classmethod
    def parse(cls, params: Any) -> AuditFilter:
        """The filter from the query string; a bad date or page is a 422 naming it."""
        form = Form(params)
        values = {name: form.text(name, max_length=64, required=False)
                  for name in ("user", "device", "entity", "entity_id", "action")}
        day_from, day_to = form.date("from", required=False), form.date("to", required=False)
        page = form.number("page", 1, MAX_PAGE, required=False)
        if day_from and day_to and day_to < day_from:
            form.add("to", "adminf.ends_before_start")
        form.check()
        return cls(**values, day_from=day_from, day_to=day_to, page=int(page or 1))

    def query_string(self, **override: Any) -> str:
        values = {"user": self.user, "device": self.device, "entity": self.entity, "entity_id": self.entity_id,
                  "action": self.action, "from": self.day_from or "", "to": self.day_to or "", "page": self.page}
        values.update(override)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    username: str | None
    device_id: str | None
    action: str
    entity_type: str
    entity_id: str
    link: str | None
    details: dict[str, Any]


async def audit_page(db: AsyncSession, f: AuditFilter, timezone: str) -> tuple[list[AuditRow], int]:
    """One page of matching events (newest first) and how many match in all. Days are the
    site's days (`timezone`), both ends included."""
    query = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.user_id)
    if f.user:
        query = query.where(User.username == f.user)
    if f.device:
        query = query.where(AuditEvent.device_id == f.device)
    if f.entity:
        query = query.where(AuditEvent.entity_type == f.entity)
    if f.entity_id:
        query = query.where(AuditEvent.entity_id == f.entity_id)
    if f.action:
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
    tz = ZoneInfo(timezone)
    if f.day_from:
        query = query.where(AuditEvent.at >= dt.datetime.combine(f.day_from, dt.time(0), tzinfo=tz))
    if f.day_to:
        query = query.where(AuditEvent.at < dt.datetime.combine(f.day_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz))
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await db.execute(query.order_by(AuditEvent.id.desc()).offset((f.page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return [AuditRow(e.id, e.at, name, e.device_id, e.action, e.entity_type, e.entity_id,
                     record_link(e.entity_type, e.entity_id), e.details or {}) for e, name in rows], total


async def audit_choices(db: AsyncSession) -> dict[str, Any]:
    """The entity kinds and actions there are, for the filter's lists (template context)."""
    entities = list((await db.execute(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type))).scalars())
    actions = list((await db.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action))).scalars())
    return {"entities": entities, "actions": actions}
