"""A defect's life: open → ordered → fixed (awaiting verification) → closed, or dismissed.

    open ──order issued──▶ ordered ──order completed──▶ fixed ──order verified──▶ closed
      ▲                      │  ▲                         │
      └──order cancelled─────┘  └──────order returned─────┘
    open ──dismiss (reason)──▶ dismissed
    open ──close, once a later inspection passed it──▶ closed

Severity and response time are data: the clause's `severity` in the standards, raised to
the most severe damage type seen (a pothole on an otherwise "normal" clause is "high"),
and the response time per severity from the settings (`RESPONSE_TIMES`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.core.audit.service import record_event
from server.core.db import utcnow
from server.defects.models import SEVERITIES, Defect
from server.core.errors import AppError
from server.core.text import check_text
from server.core.workorder_settings import get_workorder_settings
from standards import Standard

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}  # 0 is the most severe
MAX_REASON = 2000

# The moves the work order drives, (from, to) → the audit action.
ORDER_MOVES: dict[tuple[str, str], str] = {
    ("open", "ordered"): "defect.ordered",
    ("ordered", "fixed"): "defect.fixed",
    ("fixed", "ordered"): "defect.reopened",
    ("fixed", "closed"): "defect.closed",
    ("ordered", "open"): "defect.unordered",
}


def most_severe(severities: Iterable[str]) -> str:
    """The most severe of `severities` ("low" if there are none)."""
    return min(severities, key=SEVERITY_RANK.__getitem__, default="low")


def defect_severity(standard: Standard, clause_id: str, damages: Sequence[Mapping[str, Any]] = ()) -> str:
    """A new defect's severity: its clause's, raised by the damage types recorded with it."""
    clause = standard.clause(clause_id)
    types = standard.category(clause.category).damage_types
    seen = [types[d["type"]]["severity"] for d in damages if isinstance(d, Mapping) and d.get("type") in types]
    return most_severe([clause.severity, *seen])


def response_time(severity: str) -> dt.timedelta:
    """How long a defect of `severity` may wait for a response (configurable)."""
    return get_workorder_settings().response_times[severity]


def respond_by(opened_at: dt.datetime, severity: str) -> dt.datetime:
    return opened_at + response_time(severity)


def clean_reason(raw: object, field: str = "reason") -> str:
    """A reason the user must give: trimmed, not empty, not absurdly long (422 otherwise)."""
    reason = check_text(raw, field).strip() if isinstance(raw, str) else ""
    if not reason:
        raise AppError("reason_required", field=field)
    if len(reason) > MAX_REASON:
        raise AppError("reason_too_long", field=field, max=MAX_REASON)
    return reason


async def move_defects(
    db: AsyncSession, defects: Sequence[Defect], to: str, user: CurrentUser, *,
    work_order_id: uuid.UUID, request: Request[Any, Any, Any] | None = None, device_id: str | None = None,
) -> None:
    """Move an order's defects to `to` (the work order service's side of the lifecycle).

    Defects not in a state that leads to `to` are left alone (a defect closed by another
    route meanwhile stays closed); each move is an audit event.
    """
    now = utcnow()
    for defect in defects:
        action = ORDER_MOVES.get((defect.status, to))
        if action is None:
            continue
        before = defect.status
        defect.status = to
        if to == "closed":
            defect.closed_at = now
        await record_event(db, user.id, action, "defect", str(defect.id), request=request, device_id=device_id,
                           details={"from": before, "to": to, "work_order_id": str(work_order_id)})


async def _load_for_change(db: AsyncSession, defect_id: uuid.UUID) -> Defect:
    defect = await db.get(Defect, defect_id, with_for_update=True)
    if defect is None:
        raise AppError("defect_not_found", field="defect_id")
    return defect


async def dismiss_defect(
    db: AsyncSession, user: CurrentUser, defect_id: uuid.UUID, reason: object,
    request: Request[Any, Any, Any] | None = None,
) -> Defect:
    """Dismiss an open defect with a reason (a false alarm, a duplicate…); 409 unless open."""
    text = clean_reason(reason)
    defect = await _load_for_change(db, defect_id)
    if defect.status != "open":
        raise AppError("defect_not_open", key="defect.dismiss_not_open", field="status")
    defect.status, defect.dismissed_reason, defect.closed_at = "dismissed", text, utcnow()
    await record_event(db, user.id, "defect.dismissed", "defect", str(defect.id), request=request,
                       details={"from": "open", "to": "dismissed", "reason": text})
    return defect


async def close_passed_defect(
    db: AsyncSession, user: CurrentUser, defect_id: uuid.UUID, request: Request[Any, Any, Any] | None = None
) -> Defect:
    """Close an open defect that a later inspection found passing; 409 otherwise."""
    defect = await _load_for_change(db, defect_id)
    if defect.status != "open" or defect.passed_inspection_id is None:
        raise AppError("defect_not_passed", field="status")
    defect.status, defect.closed_at = "closed", utcnow()
    await record_event(db, user.id, "defect.closed", "defect", str(defect.id), request=request,
                       details={"from": "open", "to": "closed", "passed_inspection_id": str(defect.passed_inspection_id)})
    return defect


async def defects_for_update(db: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Defect]:
    """The defects `ids`, locked for the rest of the transaction (PostgreSQL; SQLite holds the write lock)."""
    if not ids:
        return []
    rows = await db.execute(select(Defect).where(Defect.id.in_(ids)).order_by(Defect.id).with_for_update())
    return list(rows.scalars())
