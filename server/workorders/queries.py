"""Read-side queries about work orders."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contractors.models import Contract
from server.workorders.models import WORK_ORDER_STATUSES, WorkOrder, WorkOrderDefect

OPEN_ORDER_STATUSES = ("issued", "accepted", "in_progress", "returned")


@dataclass(frozen=True)
class WorkOrderRow:
    id: uuid.UUID
    code: str
    contract_code: str
    status: str
    issued_at: dt.datetime
    due_at: dt.datetime
    defects: int
    overdue: bool


async def work_order_counts(db: AsyncSession, contractor_id: uuid.UUID | None = None) -> dict[str, int]:
    """Work orders per status (every status present, zero when none)."""
    query = select(WorkOrder.status, func.count()).group_by(WorkOrder.status)
    if contractor_id is not None:
        query = query.where(WorkOrder.contractor_id == contractor_id)
    found = dict((await db.execute(query)).all())
    return {status: found.get(status, 0) for status in WORK_ORDER_STATUSES}


async def orders_of_contractor(db: AsyncSession, contractor_id: uuid.UUID, now: dt.datetime) -> list[WorkOrderRow]:
    """A contractor's own work orders, open ones first, each by due time."""
    n_defects = (
        select(WorkOrderDefect.work_order_id, func.count().label("n"))
        .group_by(WorkOrderDefect.work_order_id)
        .subquery()
    )
    rows = await db.execute(
        select(WorkOrder, Contract.code, func.coalesce(n_defects.c.n, 0))
        .join(Contract, Contract.id == WorkOrder.contract_id)
        .outerjoin(n_defects, n_defects.c.work_order_id == WorkOrder.id)
        .where(WorkOrder.contractor_id == contractor_id)
        .order_by(WorkOrder.due_at)
    )
    result = [
        WorkOrderRow(
            o.id, o.code, contract, o.status, o.issued_at, o.due_at, n, o.status in OPEN_ORDER_STATUSES and o.due_at < now
        )
        for o, contract, n in rows
    ]
    result.sort(key=lambda r: (r.status not in OPEN_ORDER_STATUSES, r.due_at))
    return result
