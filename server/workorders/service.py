"""Work orders: issuing them from defects, and moving them through their states.

Every change is an audit event (`work_order.<state>`, with `from` and `to`), and moves the
order's defects along their own lifecycle (server/defects/lifecycle.py). A contractor's
user reaches only the orders of their own company: any other id reads as 404.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.core.audit.service import record_event
from server.core.config import get_settings
from server.contractors.coverage import contracts_covering
from server.core.db import utcnow
from server.defects.lifecycle import clean_reason, defects_for_update, most_severe, move_defects, response_time
from server.defects.models import Defect
from server.core.errors import AppError
from server.core.text import check_text
from server.sites.access import in_current_site
from server.workorders import notifications, webhooks
from server.workorders.models import WorkOrder, WorkOrderDefect
from server.workorders.states import OPEN_STATUSES, Step, check_step, step_for

MAX_DEFECTS = 200
MAX_NOTES = 4000
# Which notification and webhook event each new state sends.
NOTICES = {"returned": "returned", "cancelled": "cancelled", "verified": "verified", "completed": "completed"}
EVENTS = {"returned", "cancelled", "verified", "completed", "accepted", "in_progress"}


def not_found() -> AppError:
    return AppError("work_order_not_found", field="work_order_id")


def is_staff(user: CurrentUser) -> bool:
    return user.role in ("supervisor", "admin")


async def order_for(db: AsyncSession, user: CurrentUser, order_id: uuid.UUID, *, lock: bool = False) -> WorkOrder:
    """The order `order_id` as `user` may reach it: staff any, a contractor's user only their
    company's; anyone else (inspectors) none. 404 otherwise, as for an unknown id."""
    order = await db.get(WorkOrder, order_id, with_for_update=lock)
    if order is None or not can_reach(user, order) or not await _in_current_site(db, user, order_id):
        raise not_found()
    return order


async def _in_current_site(db: AsyncSession, user: CurrentUser, order_id: uuid.UUID) -> bool:
    """Whether the order's defects lie in the site chosen in the top bar (another site's: 404)."""
    return bool(await db.scalar(
        select(WorkOrderDefect.defect_id).join(Defect, Defect.id == WorkOrderDefect.defect_id)
        .where(WorkOrderDefect.work_order_id == order_id, in_current_site(Defect.zone_id, user)).limit(1)))


def can_reach(user: CurrentUser, order: WorkOrder) -> bool:
    if is_staff(user):
        return True
    return user.role == "contractor" and user.contractor_id is not None and order.contractor_id == user.contractor_id


async def order_defects(db: AsyncSession, order_id: uuid.UUID, *, lock: bool = False) -> list[Defect]:
    ids = list((await db.execute(select(WorkOrderDefect.defect_id).where(WorkOrderDefect.work_order_id == order_id))).scalars())
    if lock:
        return await defects_for_update(db, ids)
    return list((await db.execute(select(Defect).where(Defect.id.in_(ids)))).scalars())


def _local_today() -> dt.date:
    return utcnow().astimezone(ZoneInfo(get_settings().site.timezone)).date()


async def _next_code(db: AsyncSession, now: dt.datetime) -> str:
    """WO-<year>-<NNNN>, numbered per local year."""
    year = now.astimezone(ZoneInfo(get_settings().site.timezone)).year
    prefix = f"WO-{year}-"
    codes = (await db.execute(select(WorkOrder.code).where(WorkOrder.code.like(f"{prefix}%")))).scalars()
    numbers = [int(m.group(1)) for c in codes if (m := re.fullmatch(rf"{re.escape(prefix)}(\d+)", c))]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def parse_due(raw: object, field: str = "due_at") -> dt.datetime | None:
    """A due time from a form or JSON: ISO 8601; a local date or time without an offset
    is read in the site's time zone. Empty means "the default"."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise AppError("bad_due_at", field=field)
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError as exc:
        raise AppError("bad_due_at", field=field) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(get_settings().site.timezone))
    return value.astimezone(dt.timezone.utc)


async def issue_order(
    db: AsyncSession, user: CurrentUser, defect_ids: Sequence[uuid.UUID], *,
    contract_id: uuid.UUID | None = None, due_at: dt.datetime | None = None, due_reason: object = None,
    notes: object = "", request: Request[Any, Any, Any] | None = None,
) -> WorkOrder:
    """A new order for the chosen open defects, under a contract covering all of them.

    The contract may be left out when exactly one covers them. The due time is the most
    severe defect's response time from now, unless another is given with a reason.
    """
    ids = list(dict.fromkeys(defect_ids))
    if not ids:
        raise AppError("defects_required", field="defect_ids")
    if len(ids) > MAX_DEFECTS:
        raise AppError("too_many_defects", field="defect_ids", max=MAX_DEFECTS)
    note_text = check_text(notes, "notes").strip() if isinstance(notes, str) else ""
    if len(note_text) > MAX_NOTES:
        raise AppError("notes_too_long", field="notes", max=MAX_NOTES)
    defects = await defects_for_update(db, ids)
    if len(defects) != len(ids):
        raise AppError("defect_not_found", field="defect_ids")
    busy = [d for d in defects if d.status != "open"]
    if busy:
        raise AppError("defect_not_open", field="defect_ids", n=len(busy))
    options = await contracts_covering(db, {(d.zone_id, d.category) for d in defects}, _local_today())
    if contract_id is not None:
        chosen = next((o for o in options if o.id == contract_id), None)
        if chosen is None:
            raise AppError("contract_not_covering", field="contract_id")
    elif len(options) == 1:
        chosen = options[0]
    else:
        raise AppError("no_covering_contract" if not options else "contract_required", field="contract_id")
    now = utcnow()
    default_due = now + response_time(most_severe(d.severity for d in defects))
    reason: str | None = None
    if due_at is not None and abs((due_at - default_due).total_seconds()) >= 60:
        if due_at <= now:
            raise AppError("due_in_past", field="due_at")
        reason = clean_reason(due_reason, "due_reason")
    else:
        due_at = default_due
    order = await _insert_order(db, user, chosen.id, chosen.contractor_id, now, due_at, reason, note_text, defects)
    await move_defects(db, defects, "ordered", user, work_order_id=order.id, request=request)
    await record_event(db, user.id, "work_order.issued", "work_order", str(order.id), request=request, details={
        "from": None, "to": "issued", "code": order.code, "contract_id": str(chosen.id),
        "defect_ids": [str(d.id) for d in defects], "due_at": due_at.isoformat(), "due_reason": reason,
    })
    await notifications.notify(db, order, "new")
    await webhooks.enqueue(db, order, "work_order.issued", {"defects": [_defect_payload(d) for d in defects]})
    return order


async def _insert_order(
    db: AsyncSession, user: CurrentUser, contract_id: uuid.UUID, contractor_id: uuid.UUID, now: dt.datetime,
    due_at: dt.datetime, reason: str | None, notes: str, defects: list[Defect],
) -> WorkOrder:
    """Insert the order under the next free code; on PostgreSQL two supervisors may race
    for a number, so a clash takes the next one (SQLite's write lock already serialises)."""
    for _ in range(5):
        order = WorkOrder(
            id=uuid.uuid4(), code=await _next_code(db, now), contract_id=contract_id, contractor_id=contractor_id,
            status="issued", issued_at=now, issued_by=user.id, due_at=due_at, due_change_reason=reason, notes=notes,
        )
        try:
            async with db.begin_nested():
                db.add(order)
                await db.flush()
        except IntegrityError:
            continue
        db.add_all(WorkOrderDefect(work_order_id=order.id, defect_id=d.id) for d in defects)
        await db.flush()
        return order
    raise AppError("order_code_busy")


def _defect_payload(d: Defect) -> dict[str, Any]:
    return {"id": str(d.id), "clause_id": d.clause_id, "category": d.category, "severity": d.severity,
            "lat": d.lat, "lon": d.lon}


async def apply_step(
    db: AsyncSession, user: CurrentUser, order: WorkOrder, step: Step, *, reason: str | None = None,
    request: Request[Any, Any, Any] | None = None, device_id: str | None = None, details: dict[str, Any] | None = None,
) -> None:
    """Move a loaded (and locked) order one step, with its defects, audit, notices and webhook."""
    check_step(step, order.status)
    before, now = order.status, utcnow()
    order.status = step.target
    defects_to = None
    if step.target == "completed":
        defects_to = "fixed"
    elif step.target == "verified":
        order.verified_at, defects_to = now, "closed"
    elif step.target == "returned":
        order.return_reason, order.completed_at, defects_to = reason, None, "ordered"
    elif step.target == "cancelled":
        order.cancel_reason, defects_to = reason, "open"
    if defects_to is not None:
        await move_defects(db, await order_defects(db, order.id, lock=True), defects_to, user,
                           work_order_id=order.id, request=request, device_id=device_id)
    await record_event(db, user.id, f"work_order.{step.target}", "work_order", str(order.id), request=request,
                       device_id=device_id, details={"from": before, "to": step.target, "code": order.code,
                                                     **({"reason": reason} if reason else {}), **(details or {})})
    if step.target in NOTICES:
        await notifications.notify(db, order, NOTICES[step.target])
    if step.target in EVENTS:
        await webhooks.enqueue(db, order, f"work_order.{step.target}", {"from": before})


async def transition(
    db: AsyncSession, user: CurrentUser, order_id: uuid.UUID, action: str, *, reason: object = None,
    request: Request[Any, Any, Any] | None = None,
) -> WorkOrder:
    """Take the step `action` (accept, start, verify, return, cancel) on an order.

    Completing is not a plain step: it needs proof of fix (`completion.complete_order`).
    """
    step = step_for(action)
    order = await order_for(db, user, order_id, lock=True)
    if step.action == "complete":
        raise AppError("proof_required", field="photos")
    if user.role != "admin" and user.role != step.role:
        raise AppError("action_not_allowed", key=f"wo.only_{step.role}", field="action")
    check_step(step, order.status)
    text = clean_reason(reason) if step.needs_reason else None
    await apply_step(db, user, order, step, reason=text, request=request)
    return order


async def change_due(
    db: AsyncSession, user: CurrentUser, order_id: uuid.UUID, due_at: dt.datetime | None, reason: object,
    request: Request[Any, Any, Any] | None = None,
) -> WorkOrder:
    """Move an open order's due time, with a reason (staff only)."""
    order = await order_for(db, user, order_id, lock=True)
    if not is_staff(user):
        raise AppError("action_not_allowed", key="wo.only_supervisor", field="due_at")
    if order.status not in OPEN_STATUSES:
        raise AppError("order_closed", field="due_at")
    if due_at is None:
        raise AppError("bad_due_at", field="due_at")
    if due_at <= utcnow():
        raise AppError("due_in_past", field="due_at")
    text = clean_reason(reason, "due_reason")
    before = order.due_at
    order.due_at, order.due_change_reason = due_at, text
    await record_event(db, user.id, "work_order.due_changed", "work_order", str(order.id), request=request,
                       details={"from": before.isoformat(), "to": due_at.isoformat(), "reason": text, "code": order.code})
    await webhooks.enqueue(db, order, "work_order.due_changed", {"previous_due_at": before.isoformat()})
    return order
