"""The sync API: `POST /api/sync` (a batch) and `PUT /api/sync/{kind}/{id}` (one record).

The request bodies are read raw and parsed by sync.protocol, so every refusal carries a
stable code, the field at fault and a message in the user's language; their shapes are
documented in the OpenAPI schema by hand (`server.core.openapi.with_request_body`).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from server.core.guards import role_in
from server.core.deps import DbSession
from server.core.openapi import with_request_body
from server.core.web import request_language
from server.core.identity import signed_in_user
from sync.registry import refuse_kinds_not_for
from sync.protocol import MAX_BATCH_BYTES, MAX_RECORD_BYTES, parse_batch, parse_single
from sync.schemas import AssetBody, InspectionBody, RecordResult, SyncBatchIn, SyncBatchResult, inline_schema
from sync.service import caller_for, receive_records

BATCH_DESCRIPTION = """\
A batch of at most 200 records, processed in order (docs/sync.md §2). The answer is 200
with one result per record: 201 created, 200 duplicate (same id and content as before:
the first answer again), 409 `record_conflict` (same id, other content: nothing changed),
422 `invalid_record` with per-field `errors`, 428 `photos_missing` with the hashes to
upload first. A malformed batch — not JSON (400 `malformed_json`), not a batch
(`bad_batch`), too many records (`too_many_records`), a record that is not
{kind, id, body} (`bad_record`), an unknown kind (`unknown_kind`), an id that is not a
UUID (`bad_record_id`) — is refused whole with 400/422 and the field named; over 5 MB it
is 413. The body is parsed from raw JSON by the server (not by the framework) so that
every message is in the user's language. Needs the `X-CSRFToken` header; send
`X-Device-Id` for the audit trail. Inspectors, supervisors and admins; contractors may send
only `completion` records (server/workorders/sync_completion.py).
"""

SINGLE_DESCRIPTION = """\
One record's `body` (an inspection or asset body, by `kind`), answered with that record's
result and its `status` as the HTTP status (201, 200, 409, 422, 428). An unknown kind or
an id that is not a UUID is 422 for the request; over 1 MB is 413.
"""


BatchOperation = with_request_body(
    {"application/json": inline_schema(SyncBatchIn)}, "{\"records\": [{kind, id, body}, …]}"
)
SingleOperation = with_request_body(
    {"application/json": {"oneOf": [inline_schema(InspectionBody), inline_schema(AssetBody)]}},
    "the record's body, by kind",
)
RECORD_RESPONSES = {
    status: ResponseSpec(RecordResult, description=text)
    for status, text in {
        200: "duplicate: stored before with the same content",
        409: "record_conflict: the id was used for other content; nothing changed",
        422: "invalid_record (per-field errors), or a bad kind or id",
        428: "photos_missing: upload the listed photos, then send again",
    }.items()
}


class SyncController(Controller):
    path = "/api/sync"
    guards = [role_in("inspector", "supervisor", "contractor")]  # work orders: contractors send `completion` records
    tags = ["sync"]

    @post(
        "/",
        status_code=200,
        request_max_body_size=MAX_BATCH_BYTES,
        summary="Send a batch of records from the outbox",
        description=BATCH_DESCRIPTION,
        operation_class=BatchOperation,
    )
    async def batch(self, request: Request[Any, Any, Any], db: DbSession) -> SyncBatchResult:
        records = parse_batch(await request.body())
        refuse_kinds_not_for(signed_in_user(request), records)  # contractors send only completions
        caller = await caller_for(db, signed_in_user(request), request)
        results = await receive_records(db, caller, request.app.state.standards, records, request_language(request))
        return SyncBatchResult(results)

    @put(
        "/{kind:str}/{record_id:str}",
        status_code=201,
        request_max_body_size=MAX_RECORD_BYTES,
        summary="Send one record",
        description=SINGLE_DESCRIPTION,
        operation_class=SingleOperation,
        responses=RECORD_RESPONSES,
    )
    async def single(
        self, request: Request[Any, Any, Any], db: DbSession, kind: FromPath[str], record_id: FromPath[str]
    ) -> Response[RecordResult]:
        record = parse_single(kind, record_id, await request.body())
        refuse_kinds_not_for(signed_in_user(request), [record])
        caller = await caller_for(db, signed_in_user(request), request)
        (result,) = await receive_records(db, caller, request.app.state.standards, [record], request_language(request))
        return Response(content=result, status_code=result.status)
