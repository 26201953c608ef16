"""Receiving a batch of records: receipts first, then each record planned and stored once.

For every record, in order:
1. a receipt under its id? Same kind, content hash and user: a duplicate, answered with
   the stored result. Otherwise: 409 `record_conflict`, nothing changed (the attempt is
   written to the audit trail for review).
2. otherwise the kind's service checks and plans it (the kind's `plan`, sync/registry.py);
   a refusal (422, 428) stores nothing and leaves no receipt, so it may be sent again.
3. a plan is stored with a receipt holding its result.

Speed: what a batch refers to is loaded in a handful of queries, and all plans are
written together, one multi-row INSERT per table (sync.bulk), inside one SAVEPOINT. Only if that
fails on a constraint (another worker stored the same record or opened the same defect
at the same moment — possible on PostgreSQL) is the batch done again record by record,
each in its own SAVEPOINT, against freshly loaded state; a record that then collides is
answered from the other worker's receipt. Everything commits with the request.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import msgspec
from litestar import Request
from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.audit.models import AuditEvent
from server.core.audit.service import DEVICE_HEADER, bounded_excerpt
from server.core.db import Base, utcnow
from server.core.identity import CurrentUser
from server.core.security import client_address
from server.core.text import CODE as TEXT_CODE, MESSAGE_KEY as TEXT_KEY
from server.core.i18n import translate
from standards import Standard, StandardsSet
from server.core.validation import Problem
from sync.bulk import BulkInsert
from sync.context import AuditEntry, BatchState, Caller, Plan, Receipt
from sync.labels import error_words
from sync.models import SyncReceipt
from sync.protocol import RecordRefused, SyncRecord, invalid
from sync.registry import reach, record_kind, record_kinds, row_updates
from sync.schemas import FieldError, RecordResult

log = logging.getLogger("fieldcheck.sync")

AUDIT_EVENTS = BulkInsert(cast(Table, AuditEvent.__table__))
_BULK: dict[str, BulkInsert] = {}  # by table name, in foreign-key order (parents first)


def _tables(names: set[str]) -> list[BulkInsert]:
    """The tables the plans insert into, parents before children, and the receipts last: a
    receipt vouches for rows already written in the same transaction (a batch held at its
    receipts has written everything else: tests/test_faults_crash.py)."""
    if not names <= _BULK.keys():  # first use, or a table not seen before: sort the metadata once more
        known = dict(_BULK)
        _BULK.clear()
        _BULK.update((t.name, known.get(t.name) or BulkInsert(t)) for t in Base.metadata.sorted_tables)
    return sorted((table for name, table in _BULK.items() if name in names),
                  key=lambda table: table.table.name == SyncReceipt.__tablename__)


# Built once (a batch runs them on every request), bound with the batch's ids.
RECEIPTS = select(
    SyncReceipt.id, SyncReceipt.kind, SyncReceipt.user_id, SyncReceipt.content_hash, SyncReceipt.status,
    SyncReceipt.result,
).where(SyncReceipt.id.in_(bindparam("ids", expanding=True)))
OUTCOMES = {409: "conflict", 422: "invalid", 428: "photos_missing"}
REDO_ATTEMPTS = 3


async def caller_for(db: AsyncSession, user: CurrentUser, request: Request[Any, Any, Any] | None) -> Caller:
    """Who is syncing, from which device (X-Device-Id), and the zones they may reach."""
    device = request.headers.get(DEVICE_HEADER) if request is not None else None
    return Caller(user=user, device_id=(device or None) and device[:64], now=utcnow(),
                  zone_ids=await reach(db, user), request=request)


async def receive_records(
    db: AsyncSession, caller: Caller, standards: StandardsSet, records: list[SyncRecord], lang: str
) -> list[RecordResult]:
    """Process `records` in order inside the caller's transaction; one result per record.

    The batch is tried whole first. If it collides with another writer, it is redone record
    by record, each in its own savepoint; the redo itself can meet a deadlock (PostgreSQL
    picks one of two batches locking the same defects), so it is tried again, up to
    REDO_ATTEMPTS times, before the error reaches the phone (which sends the batch again).
    """
    attempt = 0
    while True:
        try:
            async with db.begin_nested():
                return await _receive(db, caller, standards, records, lang, one_by_one=attempt > 0)
        except DBAPIError as exc:
            if not _collided(exc) or attempt == REDO_ATTEMPTS:
                raise
            attempt += 1
            log.info("sync batch of %d collided with another writer; redoing it record by record (%d of %d)",
                     len(records), attempt, REDO_ATTEMPTS)


def _collided(exc: DBAPIError) -> bool:
    """Another writer got there first: a unique row already stored, or PostgreSQL broke a
    deadlock or a serialization conflict by failing us. Redoing the work is safe."""
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001") or "deadlock detected" in str(exc.orig)


async def _receive(
    db: AsyncSession, caller: Caller, standards: StandardsSet, records: list[SyncRecord], lang: str,
    *, one_by_one: bool,
) -> list[RecordResult]:
    state = await load_state(db, caller, standards, records, careful=one_by_one)
    results: list[RecordResult] = []
    plans: list[Plan] = []
    for record in records:
        result, plan = await _process(db, state, record, lang)
        for attempt in range(3 if one_by_one else 0):
            if plan is None:
                break
            try:
                async with db.begin_nested():
                    await _write(db, caller, [plan])
                break
            except DBAPIError as exc:
                if not _collided(exc) or attempt == 2:
                    raise
                # Someone else stored this record (or a defect it opens) meanwhile: look again.
                state = await load_state(db, caller, standards, records, careful=True)
                result, plan = await _process(db, state, record, lang)
        if plan is not None and not one_by_one:
            plans.append(plan)
        results.append(result)
    if plans:
        await _write(db, caller, plans)
    return results


async def load_state(
    db: AsyncSession, caller: Caller, standards: StandardsSet, records: list[SyncRecord], *, careful: bool = False
) -> BatchState:
    """What the records of a batch refer to, in one query per kind of thing.

    `careful` also looks for ids stored without a receipt (rows not made by sync, such as
    demo data): rare enough to be left to the record-by-record pass that a collision
    with one of them triggers.
    """
    state = BatchState(caller=caller, standards=standards)
    ids = list({r.id for r in records})
    for row in await db.execute(RECEIPTS, {"ids": ids}):
        state.receipts[row[0]] = Receipt(*row[1:])
    unreceipted = [i for i in ids if i not in state.receipts]
    kinds = record_kinds()
    if careful and unreceipted:
        for model in dict.fromkeys(k.stored_as for k in kinds if k.stored_as is not None):
            state.taken_ids.update((await db.execute(select(model.id).where(model.id.in_(unreceipted)))).scalars())
    for kind in kinds:
        if kind.prepare is not None:
            await kind.prepare(db, state, [r.body for r in records if r.kind == kind.name])
    return state


async def _process(db: AsyncSession, state: BatchState, record: SyncRecord, lang: str) -> tuple[RecordResult, Plan | None]:
    """The answer for one record and, when there is something to store, the plan to store."""
    receipt = state.receipts.get(record.id)
    if receipt is not None or record.id in state.taken_ids:
        if (receipt is not None and receipt.kind == record.kind and receipt.content_hash == record.content_hash
                and receipt.user_id == state.caller.user.id):
            stored = msgspec.convert(receipt.result, record_kind(receipt.kind).result)
            return RecordResult(record.id, record.kind, 200, "duplicate", result=stored), None
        conflict = RecordRefused("record_conflict")
        audit = Plan(result={}, audit=[AuditEntry("sync.conflict", record.kind, str(record.id), {
            "received_hash": record.content_hash, "stored_hash": receipt.content_hash if receipt else None,
            "stored_kind": receipt.kind if receipt else None, "body": bounded_excerpt(record.body),
        })])
        return refused(record, conflict, lang, state.standards.current()), audit
    if record.bad_text:  # nothing of it can be stored: refused per field, like any other fault
        return refused(record, invalid([Problem(p, TEXT_CODE, TEXT_KEY) for p in record.bad_text]), lang,
                       state.standards.current()), None
    try:
        plan = await record_kind(record.kind).plan(db, state, record, lang)
    except RecordRefused as exc:
        return refused(record, exc, lang, state.standards.current()), None
    caller = state.caller
    plan.insert("sync_receipts", {
        "id": record.id, "kind": record.kind, "user_id": caller.user.id, "device_id": caller.device_id,
        "content_hash": record.content_hash, "status": 201, "result": plan.result, "received_at": caller.now,
    })
    state.apply(plan)
    state.receipts[record.id] = Receipt(record.kind, caller.user.id, record.content_hash, 201, plan.result)
    created = msgspec.convert(plan.result, record_kind(record.kind).result)
    return RecordResult(record.id, record.kind, 201, "created", result=created), plan


def refused(record: SyncRecord, exc: RecordRefused, lang: str, standard: Standard | None = None) -> RecordResult:
    """A refusal as the phone sees it, in the user's language, each field also named in words."""
    errors = []
    for p in exc.problems:
        message = p.message(lang)
        if p.texts is None:  # an i18n message is preceded by the field it is about
            message = f"{p.field}{':' if lang == 'zh' else ': '}{message}"
        errors.append(FieldError(p.field, p.code, message, **error_words(p.field, message, lang, standard)))
    return RecordResult(
        record.id, record.kind, exc.status, OUTCOMES[exc.status],  # type: ignore[arg-type]
        code=exc.code, message=translate(lang, exc.key, **exc.params),
        field=errors[0].field if errors else None, errors=errors, missing=exc.missing,
    )


async def _write(db: AsyncSession, caller: Caller, plans: list[Plan]) -> None:
    """Store plans: one INSERT per table (many rows), the defect updates, the audit events."""
    connection = await db.connection()
    for table in _tables({name for plan in plans for name in plan.inserts}):
        rows = [row for plan in plans for row in plan.inserts.get(table.table.name, ())]
        if table.table.name == "defects":
            # Concurrent batches take the unique-index locks in one order: no deadlock cycle.
            rows.sort(key=lambda r: (str(r["asset_id"]), r["clause_id"]))
        await table.execute(connection, rows)
    for update in row_updates():
        rows = sorted((row for plan in plans for row in plan.updates.get(update.name, ())), key=update.order)
        if rows:
            await connection.execute(update.statement, rows)
    await AUDIT_EVENTS.execute(connection, [_audit_row(caller, entry) for plan in plans for entry in plan.audit])


def _audit_row(caller: Caller, entry: AuditEntry) -> dict[str, Any]:
    """One audit event as `record_event` would write it, for the batch's multi-row INSERT.

    (`record_event` adds ORM objects, which SQLite can only insert one statement each.)
    """
    details = dict(entry.details)
    address = client_address(caller.request) if caller.request is not None else None
    if address is not None:
        details.setdefault("ip", address)
    return {"at": caller.now, "user_id": caller.user.id, "device_id": caller.device_id, "action": entry.action,
            "entity_type": entry.entity_type, "entity_id": entry.entity_id, "details": details}

