"""In-app notifications about work orders, with unread counts.

Contractors' users hear of orders issued to their company (`new`), orders past due
(`overdue`), sent back (`returned`), cancelled and verified; supervisors hear of completed
orders waiting for review and of overdue ones. A notification is read when its user opens
the order, or marks everything read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.core.db import utcnow
from server.workorders.models import NOTIFICATION_KINDS, Notification, WorkOrder

TO_CONTRACTOR = frozenset({"new", "overdue", "returned", "cancelled", "verified"})
TO_SUPERVISORS = frozenset({"completed", "overdue"})


async def notify(db: AsyncSession, order: WorkOrder, kind: str) -> int:
    """Tell everyone who should hear about `order` that `kind` happened; the number told."""
    assert kind in NOTIFICATION_KINDS
    who = []
    if kind in TO_CONTRACTOR:
        who.append(User.contractor_id == order.contractor_id)
    if kind in TO_SUPERVISORS:
        who.append(User.role == "supervisor")
    users = (await db.execute(select(User.id).where(User.active.is_(True), or_(*who)))).scalars().all()
    now = utcnow()
    db.add_all(Notification(user_id=u, work_order_id=order.id, kind=kind, created_at=now) for u in users)
    return len(users)


@dataclass(frozen=True)
class Unread:
    total: int
    by_kind: dict[str, int]


async def unread_counts(db: AsyncSession, user_id: uuid.UUID) -> Unread:
    """The user's unread notifications, counted per kind (every kind present)."""
    rows = await db.execute(
        select(Notification.kind, func.count())
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .group_by(Notification.kind)
    )
    found = dict(rows.all())
    by_kind = {k: int(found.get(k, 0)) for k in NOTIFICATION_KINDS}
    return Unread(sum(by_kind.values()), by_kind)


@dataclass(frozen=True)
class NotificationRow:
    id: uuid.UUID
    kind: str
    created_at: object
    read: bool
    work_order_id: uuid.UUID
    work_order_code: str
    work_order_status: str


async def recent_notifications(db: AsyncSession, user_id: uuid.UUID, limit: int = 50) -> list[NotificationRow]:
    """The user's latest notifications, unread first, newest first."""
    rows = await db.execute(
        select(Notification, WorkOrder.code, WorkOrder.status)
        .join(WorkOrder, WorkOrder.id == Notification.work_order_id)
        .where(Notification.user_id == user_id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc())
        .limit(limit)
    )
    return [
        NotificationRow(n.id, n.kind, n.created_at, n.read_at is not None, n.work_order_id, code, status)
        for n, code, status in rows
    ]


async def mark_read(db: AsyncSession, user_id: uuid.UUID, work_order_id: uuid.UUID | None = None) -> int:
    """Mark the user's unread notifications read (those of one order, or all); how many."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if work_order_id is not None:
        query = query.where(Notification.work_order_id == work_order_id)
    result = await db.execute(query.values(read_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML answers a CursorResult; execute() says Result
