"""Read-side queries about work orders."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.accounts.models import User
from server.assets.models import Asset
from server.contractors.models import Contract, Contractor
from server.workorders.filters import WorkOrderFilter, order_scope
from server.defects.models import SEVERITIES, Defect
from server.defects.queries import HistoryRow, evidence_of, history_of
from server.photos.models import Photo
from server.sites.models import Zone
from server.workorders.models import (
    WORK_ORDER_STATUSES, CompletionPhoto, WebhookDelivery, WorkOrder, WorkOrderCompletion, WorkOrderDefect,
)
from server.workorders.proof import ProofCheck, photo_past, placed_checks, unplaced_checks
from server.core.workorder_settings import get_workorder_settings
from server.workorders.states import OPEN_STATUSES as OPEN_ORDER_STATUSES

SEVERITY_RANK = case({s: i for i, s in enumerate(SEVERITIES)}, value=Defect.severity)


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


async def work_order_counts(db: AsyncSession, contractor_id: uuid.UUID | None = None,
                            user: CurrentUser | None = None) -> dict[str, int]:
    """Work orders per status (every status present, zero when none), those `user` may see
    (the site chosen in the top bar) when given."""
    query = select(WorkOrder.status, func.count()).group_by(WorkOrder.status)
    if user is not None:
        query = query.where(order_scope(user))
    if contractor_id is not None:
        query = query.where(WorkOrder.contractor_id == contractor_id)
    found = dict((await db.execute(query)).all())
    return {status: found.get(status, 0) for status in WORK_ORDER_STATUSES}


async def orders_of_contractor(db: AsyncSession, contractor_id: uuid.UUID, now: dt.datetime,
                               user: CurrentUser | None = None) -> list[WorkOrderRow]:
    """A contractor's own work orders (in `user`'s chosen site when given), open ones first, each by due time."""
    n_defects = (
        select(WorkOrderDefect.work_order_id, func.count().label("n"))
        .group_by(WorkOrderDefect.work_order_id)
        .subquery()
    )
    rows = await db.execute(
        select(WorkOrder, Contract.code, func.coalesce(n_defects.c.n, 0))
        .join(Contract, Contract.id == WorkOrder.contract_id)
        .outerjoin(n_defects, n_defects.c.work_order_id == WorkOrder.id)
        .where(WorkOrder.contractor_id == contractor_id, *([order_scope(user)] if user is not None else []))
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


# -- lists and one order ------------------------------------------------------------------------

ORDER_LIST_LIMIT = 500


@dataclass(frozen=True)
class OrderListRow:
    id: uuid.UUID
    code: str
    status: str
    contractor_code: str
    contractor_name: str
    contract_code: str
    issued_at: dt.datetime
    due_at: dt.datetime
    defects: int
    worst: str
    overdue: bool


async def order_list(
    db: AsyncSession, f: WorkOrderFilter, user: CurrentUser, now: dt.datetime, *, limit: int = ORDER_LIST_LIMIT
) -> tuple[list[OrderListRow], int]:
    """The filtered orders the user may see (open first, by due time) and how many in all."""
    total = int(await db.scalar(f.apply(select(func.count()).select_from(WorkOrder), user, now)) or 0)
    stats = (
        select(WorkOrderDefect.work_order_id, func.count().label("n"), func.min(SEVERITY_RANK).label("worst"))
        .join(Defect, Defect.id == WorkOrderDefect.defect_id)
        .group_by(WorkOrderDefect.work_order_id)
        .subquery()
    )
    rows = await db.execute(
        f.apply(
            select(WorkOrder, Contractor.code, Contractor.name, Contract.code, stats.c.n, stats.c.worst)
            .join(Contractor, Contractor.id == WorkOrder.contractor_id)
            .join(Contract, Contract.id == WorkOrder.contract_id)
            .outerjoin(stats, stats.c.work_order_id == WorkOrder.id),
            user, now,
        )
        .order_by(WorkOrder.status.not_in(OPEN_ORDER_STATUSES), WorkOrder.due_at, WorkOrder.code)
        .limit(limit)
    )
    result = [
        OrderListRow(o.id, o.code, o.status, cc, cn, k, o.issued_at, o.due_at, n or 0,
                     SEVERITIES[worst] if worst is not None else "low",
                     o.status in OPEN_ORDER_STATUSES and o.due_at < now)
        for o, cc, cn, k, n, worst in rows
    ]
    return result, total


@dataclass(frozen=True)
class OrderDefect:
    id: uuid.UUID
    asset_code: str
    asset_name: str
    zone_code: str
    category: str
    clause_id: str
    severity: str
    status: str
    lat: float
    lon: float
    before_photos: list[str]


@dataclass(frozen=True)
class AfterPhoto:
    sha256: str
    defect_id: uuid.UUID
    taken_at: dt.datetime
    distance_m: float
    checks: list[ProofCheck]  # what made it proof of fix (server/workorders/proof.py), for the review


@dataclass(frozen=True)
class CompletionView:
    id: uuid.UUID
    completed_at: dt.datetime
    received_at: dt.datetime
    by: str
    notes: str
    photos: list[AfterPhoto]


@dataclass(frozen=True)
class OrderDetail:
    id: uuid.UUID
    code: str
    status: str
    contractor_code: str
    contractor_name: str
    contract_code: str
    contract_name: str
    issued_at: dt.datetime
    issued_by: str
    due_at: dt.datetime
    due_change_reason: str | None
    notes: str
    completed_at: dt.datetime | None
    verified_at: dt.datetime | None
    return_reason: str | None
    cancel_reason: str | None
    overdue: bool
    defects: list[OrderDefect]
    completions: list[CompletionView]  # newest first
    history: list[HistoryRow]

    def after_photos_of(self, defect_id: uuid.UUID) -> list[AfterPhoto]:
        """The latest completion's photos of one defect (for before/after side by side)."""
        if not self.completions:
            return []
        return [p for p in self.completions[0].photos if p.defect_id == defect_id]


async def order_detail(db: AsyncSession, order: WorkOrder, now: dt.datetime) -> OrderDetail:
    """Everything the order page shows, loaded up front (the caller checked who may see it)."""
    contract, contractor = (
        await db.execute(
            select(Contract, Contractor).join(Contractor, Contractor.id == Contract.contractor_id)
            .where(Contract.id == order.contract_id)
        )
    ).one()
    issuer = await db.scalar(select(User.display_name).where(User.id == order.issued_by)) or "?"
    rows = (
        await db.execute(
            select(Defect, Asset.code, Asset.name, Zone.code)
            .join(WorkOrderDefect, WorkOrderDefect.defect_id == Defect.id)
            .join(Asset, Asset.id == Defect.asset_id)
            .join(Zone, Zone.id == Defect.zone_id)
            .where(WorkOrderDefect.work_order_id == order.id)
            .order_by(Asset.code, Defect.clause_id)
        )
    ).all()
    defects = []
    for d, code, name, zone in rows:
        evidence = await evidence_of(db, [d.id])
        before = [sha for e in evidence for sha in e.photos][:4]
        defects.append(OrderDefect(d.id, code, name, zone, d.category, d.clause_id, d.severity, d.status,
                                   d.lat, d.lon, before))
    history = await history_of(db, "work_order", [str(order.id)])
    return OrderDetail(
        order.id, order.code, order.status, contractor.code, contractor.name, contract.code, contract.name,
        order.issued_at, issuer, order.due_at, order.due_change_reason, order.notes, order.completed_at,
        order.verified_at, order.return_reason, order.cancel_reason,
        order.status in OPEN_ORDER_STATUSES and order.due_at < now, defects,
        await completions_of(db, order, {d.id: (d.lat, d.lon) for d in defects}), history,
    )


async def completions_of(
    db: AsyncSession, order: WorkOrder, positions: dict[uuid.UUID, tuple[float, float]]
) -> list[CompletionView]:
    """The order's completions, newest first, each after photo with the checks it passed."""
    order_id = order.id
    rows = (
        await db.execute(
            select(WorkOrderCompletion, User.display_name)
            .join(User, User.id == WorkOrderCompletion.completed_by)
            .where(WorkOrderCompletion.work_order_id == order_id)
            .order_by(WorkOrderCompletion.received_at.desc())
        )
    ).all()
    ids = [c.id for c, _ in rows]
    photos: dict[uuid.UUID, list[AfterPhoto]] = {i: [] for i in ids}
    received = {c.id: c.received_at for c, _ in rows}
    limit = get_workorder_settings().proof_distance_m
    if ids:
        stored = (await db.execute(
            select(CompletionPhoto, Photo).join(Photo, Photo.sha256 == CompletionPhoto.photo_sha256)
            .where(CompletionPhoto.completion_id.in_(ids)).order_by(CompletionPhoto.ordinal)
        )).all()
        for p, photo in stored:
            # As things stood when the completion came in: other completions before it.
            past = await photo_past(db, [p.photo_sha256], other_than=p.completion_id,
                                    received_before=received[p.completion_id])
            lat, lon = positions.get(p.defect_id, (p.lat, p.lon))
            checks = unplaced_checks(photo, p.taken_at, order.issued_at, past) + placed_checks(
                photo, p.lat, p.lon, lat, lon, limit)
            photos[p.completion_id].append(AfterPhoto(p.photo_sha256, p.defect_id, p.taken_at, p.distance_m, checks))
    return [CompletionView(c.id, c.completed_at, c.received_at, who, c.notes, photos[c.id]) for c, who in rows]


@dataclass(frozen=True)
class DeliveryRow:
    id: uuid.UUID
    event: str
    status: str
    attempts: int
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None
    work_order_code: str | None


async def webhook_log(db: AsyncSession, contractor_id: uuid.UUID | None, limit: int = 100) -> list[DeliveryRow]:
    """The latest webhook deliveries (of one contractor, or all), newest first."""
    query = (
        select(WebhookDelivery, WorkOrder.code)
        .outerjoin(WorkOrder, WorkOrder.id == WebhookDelivery.work_order_id)
        .order_by(WebhookDelivery.created_at.desc())
        .limit(limit)
    )
    if contractor_id is not None:
        query = query.where(WebhookDelivery.contractor_id == contractor_id)
    return [
        DeliveryRow(d.id, d.event, d.status, d.attempts, d.created_at, d.delivered_at, d.next_attempt_at,
                    d.last_status_code, d.last_error, code)
        for d, code in await db.execute(query)
    ]
