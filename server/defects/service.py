"""Defects raised by received inspections: one active defect per asset and failing clause.

- A failing clause with no active defect opens one (the database's partial unique index
  guarantees there is never a second); its severity is the clause's in the standards the
  inspection was judged with, and it must be responded to within the severity's time.
- A later failing inspection adds evidence to the same defect and becomes its last
  inspection; if the defect had been seen passing before that, the pass is cleared.
- A later passing (or exempt) inspection of the clause marks the defect as passed, for
  the supervisor to close; the status is left alone.

Inspections may arrive out of order (a phone offline for days): "later" is by the time
the inspection was made (`observed_at`), never by arrival. A late, older failure still
counts as evidence but does not undo a newer pass.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.defects.lifecycle import respond_by
from server.defects.models import ACTIVE_STATUSES, Defect
from server.inspections.models import Inspection
from standards import Standard
from sync.context import ActiveDefect, AssetInfo, AuditEntry, Plan

PASSING = ("pass", "exempt")


_LAST, _PASSED = aliased(Inspection), aliased(Inspection)
# Built once: a sync batch runs these for every request (bound with the batch's assets).
_ACTIVE = (
    select(
        Defect.id, Defect.asset_id, Defect.clause_id, Defect.last_inspection_id, _LAST.observed_at,
        Defect.passed_inspection_id, _PASSED.observed_at,
    )
    .join(_LAST, _LAST.id == Defect.last_inspection_id)
    .outerjoin(_PASSED, _PASSED.id == Defect.passed_inspection_id)
    .where(Defect.asset_id.in_(bindparam("assets", expanding=True)), Defect.status.in_(ACTIVE_STATUSES))
)
# PostgreSQL: the same rows locked as they are read, in id order, by the one statement.
_ACTIVE_LOCKED = _ACTIVE.order_by(Defect.id).with_for_update(key_share=True, of=Defect)


async def load_active_defects(
    db: AsyncSession, asset_ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], ActiveDefect]:
    """The active defects of these assets, keyed by (asset id, clause id)."""
    if not asset_ids:
        return {}
    # PostgreSQL: locked in id order, so concurrent batches that touch the same defects
    # queue one behind the other instead of deadlocking, and locked by the statement that
    # reads them. (Locking first and reading in a second statement deadlocked at city scale
    # with four workers: the read's newer snapshot saw a defect another batch had just
    # opened, which this batch then updated without having locked it first.) SQLite
    # writers already hold the one write lock.
    query = _ACTIVE_LOCKED if db.get_bind().dialect.name == "postgresql" else _ACTIVE
    rows = await db.execute(query, {"assets": asset_ids})
    return {(row[1], row[2]): ActiveDefect(*row) for row in rows}


def track_defects(
    active: dict[tuple[uuid.UUID, str], ActiveDefect],
    plan: Plan,
    asset: AssetInfo,
    inspection_id: uuid.UUID,
    observed_at: dt.datetime,
    standard: Standard,
    clauses: dict[str, str],
) -> tuple[list[str], list[str]]:
    """Add to `plan` what the judged `clauses` of one inspection do to the asset's defects.

    Returns the ids of the defects opened and of those updated (evidence or a pass).
    """
    opened: list[str] = []
    updated: list[str] = []
    inspection = str(inspection_id)  # the id as the audit trail writes it (made once: UUID.__str__ is slow)
    for clause_id, result in clauses.items():
        current = active.get((asset.id, clause_id))
        if result == "fail":
            if current is None:
                opened.append(_open(plan, asset, inspection_id, inspection, observed_at, standard, clause_id))
            else:
                updated.append(_add_evidence(plan, current, inspection_id, inspection, observed_at))
        elif result in PASSING and current is not None and _passes(current, observed_at):
            state = replace(current, passed_inspection_id=inspection_id, passed_observed_at=observed_at)
            _update(plan, state)
            defect = str(current.id)
            plan.audit.append(AuditEntry("defect.passed", "defect", defect,
                                         {"inspection_id": inspection, "clause_id": clause_id}))
            updated.append(defect)
    return opened, updated


def _passes(defect: ActiveDefect, observed_at: dt.datetime) -> bool:
    """A pass counts when it is newer than the last failure and none was recorded yet."""
    return defect.passed_inspection_id is None and observed_at > defect.last_observed_at


def _open(plan: Plan, asset: AssetInfo, inspection_id: uuid.UUID, inspection: str, observed_at: dt.datetime,
          standard: Standard, clause_id: str) -> str:
    severity = standard.clause(clause_id).severity
    defect_id = uuid.uuid4()
    plan.insert("defects", {
        "id": defect_id, "asset_id": asset.id, "zone_id": asset.zone_id, "category": asset.category,
        "clause_id": clause_id, "severity": severity, "status": "open", "lat": asset.lat, "lon": asset.lon,
        # The fault was seen when the inspection was made, however late the phone synced.
        "opened_at": observed_at, "respond_by": respond_by(observed_at, severity),  # RESPONSE_TIMES
        "opened_by_inspection_id": inspection_id, "last_inspection_id": inspection_id,
        "passed_inspection_id": None, "closed_at": None, "dismissed_reason": None,
    })
    plan.insert("defect_evidence", {"defect_id": defect_id, "inspection_id": inspection_id})
    plan.defects.append(ActiveDefect(defect_id, asset.id, clause_id, inspection_id, observed_at, None, None))
    plan.audit.append(AuditEntry("defect.opened", "defect", str(defect_id), {
        "asset_id": str(asset.id), "clause_id": clause_id, "severity": severity,
        "inspection_id": inspection, "standards_version": standard.version,
    }))
    return str(defect_id)


def _add_evidence(plan: Plan, defect: ActiveDefect, inspection_id: uuid.UUID, inspection: str,
                  observed_at: dt.datetime) -> str:
    plan.insert("defect_evidence", {"defect_id": defect.id, "inspection_id": inspection_id})
    state = defect
    if observed_at >= defect.last_observed_at:
        state = replace(state, last_inspection_id=inspection_id, last_observed_at=observed_at)
    if defect.passed_observed_at is not None and observed_at > defect.passed_observed_at:
        state = replace(state, passed_inspection_id=None, passed_observed_at=None)  # the fault is back
    if state != defect:
        _update(plan, state)
    key = str(defect.id)
    plan.audit.append(AuditEntry("defect.evidence_added", "defect", key,
                                 {"inspection_id": inspection, "clause_id": defect.clause_id}))
    return key


def _update(plan: Plan, state: ActiveDefect) -> None:
    plan.update("defect_inspections",  # server/defects/records.py
                {"b_id": state.id, "b_last": state.last_inspection_id, "b_passed": state.passed_inspection_id})
    plan.defects.append(state)
