"""The `completion` record kind of the sync API (docs/sync.md): a contractor's proof of fix,
sent from the phone's outbox like an inspection.

`sync.service` calls `plan_completion` for records of this kind (registered in
`server/workorders/records.py`). Unlike inspections, a
completion is written at once (in a SAVEPOINT, so a refusal leaves nothing) by
`server.workorders.completion.complete_order`; the returned Plan only carries the result
for the sync receipt. Refusals become the sync API's record results: 422 with per-field
errors, 428 with the photos to upload first, 409 for an order that cannot be completed
now; an order the user cannot reach is 422 `work_order_not_found` (the phone keeps it under
"needs attention" either way).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.errors import AppError
from server.workorders.completion import complete_order
from server.core.validation import Problem
from sync.context import BatchState, Plan
from sync.protocol import RecordRefused, SyncRecord

KIND = "completion"


class CompletionPhotoResult(Struct):
    sha256: str
    defect_id: uuid.UUID
    distance_m: Annotated[float, Meta(description="from the defect it shows, in metres on the ground")]


class CompletionResult(Struct):
    """A work order completed with proof of fix, waiting for the supervisor's review."""

    work_order_id: uuid.UUID
    code: str
    status: str
    completion_id: uuid.UUID
    completed_at: str
    photos: list[CompletionPhotoResult]


class CompletionBody(Struct):
    """A contractor's completion of a work order (documentation of the body's shape)."""

    work_order_id: uuid.UUID
    completed_at: Annotated[str, Meta(description="ISO 8601 with offset; not before the order, not in the future")]
    photos: Annotated[list[dict[str, Any]], Meta(description="[{sha256, lat, lon, taken_at}]: after photos, at least one per defect")]
    notes: str = ""
    position: Annotated[dict[str, float] | None, Meta(description="{lat, lon, accuracy_m} of the phone, or null")] = None


def _refusal(exc: AppError) -> RecordRefused:
    missing = getattr(exc, "missing", None)
    if exc.status_code == 428:
        return RecordRefused(exc.code, key=exc.key, missing=list(missing or []), **exc.params)
    if exc.status_code == 409:
        return RecordRefused(exc.code, key=exc.key, **exc.params)
    problems = [Problem(e["field"], e["code"], texts={"en": e["message"], "zh": e["message"]}) for e in exc.errors]
    if not problems:
        problems = [Problem(exc.field or "body", exc.code, exc.key, dict(exc.params))]
    return RecordRefused(exc.code, key=exc.key, problems=problems, **exc.params)


async def plan_completion(db: AsyncSession, state: BatchState, record: SyncRecord, lang: str) -> Plan:
    """Complete the order the record names (its id becomes the completion's id)."""
    body = record.body
    raw = body.get("work_order_id") if isinstance(body, dict) else None
    try:
        order_id = uuid.UUID(str(raw))
    except ValueError:
        raise RecordRefused("invalid_record", n=1, problems=[
            Problem("body.work_order_id", "bad_id", "filter.bad_id")]) from None
    caller = state.caller
    try:
        async with db.begin_nested():
            result = await complete_order(db, caller.user, order_id, body, completion_id=record.id, lang=lang,
                                          request=caller.request, device_id=caller.device_id)
    except AppError as exc:
        raise _refusal(exc) from exc
    return Plan(result=result)
