"""A refused request leaves at most a few KB behind: the append-only audit trail keeps a
refused body's hash, size and a bounded excerpt, never the body itself."""

from __future__ import annotations

import json

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.core.audit.models import AuditEvent
from server.core.audit.service import EXCERPT_CHARS
from server.core.db import Database
from tests.factories import add_site_with_asset
from tests.sync_helpers import api_headers, inspection, phone, record, send

FEW_KB = 4096


async def _audit_rows(database: Database) -> list[AuditEvent]:
    async with database.session(write=False) as s:
        return list((await s.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())


async def test_a_conflicting_record_of_megabytes_stores_a_few_kb(client: AsyncTestClient, database: Database) -> None:
    ids = await add_site_with_asset(database)
    await phone(client, database, zones=[ids["zone"]])
    rec = record("inspection", inspection(ids["asset"], notes="first"))
    assert (await send(client, rec)).json()["results"][0]["status"] == 201
    before = await _audit_rows(database)
    # 4 MB of text under the id already taken (a new record would be refused at 10,000 characters).
    huge = {**rec, "body": {**rec["body"], "notes": "x" * 4_000_000 + "这\x00\ud83d"}}
    for _ in range(3):
        raw = json.dumps({"records": [huge]}).encode()  # ASCII JSON: the half emoji goes as "\\ud83d"
        answer = (await client.post("/api/sync", content=raw, headers=api_headers(client))).json()["results"][0]
        assert answer["status"] == 409 and answer["code"] == "record_conflict"
    added = (await _audit_rows(database))[len(before):]
    assert [e.action for e in added] == ["sync.conflict"] * 3
    for event in added:
        size = len(json.dumps(event.details, ensure_ascii=False).encode())
        assert size < FEW_KB, size
        kept = event.details["body"]
        assert kept["chars"] > 4_000_000 and kept["truncated"] is True and len(kept["excerpt"]) == EXCERPT_CHARS
        assert len(kept["sha256"]) == 64 and kept["excerpt"].startswith("{")
