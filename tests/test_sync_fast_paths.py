"""The sync ingest's fast paths give exactly what the plain ones give (docs/benchmarks.md).

- a record's content hash taken from msgspec's output equals the definition
  (`content_hash`: SHA-256 of `json.dumps` with sorted keys), floats written with an
  exponent included, or the receipts of records stored earlier would stop matching;
- msgspec parses the batch, but what it refuses is refused as before, with the line and
  column of the fault;
- `BulkInsert` stores rows as SQLAlchemy Core would, on the test backend, and refuses
  rows that leave out a column with a Python-side default.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import struct
import uuid
from typing import Any, cast

import pytest
from sqlalchemy import Table, select

from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.core.errors import AppError
from sync.bulk import BulkInsert
from sync.protocol import content_hash, parse_batch, parse_single


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return rng.randint(-10**20, 10**20)
    if kind == 1:  # any finite double, exponents and all
        x = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        return x if x == x and abs(x) != float("inf") else -0.0
    if kind == 2:  # around the places where Python switches to exponents (1e-4, 1e16)
        return rng.choice([1, -1]) * 10 ** rng.uniform(-7, 18)
    if kind == 3:
        return "".join(chr(rng.choice([rng.randrange(0x20, 0x7F), rng.randrange(0, 0x20), rng.randrange(0x80, 0xD7FF),
                                       rng.randrange(0xE000, 0x110000)])) for _ in range(rng.randrange(8)))
    if kind == 4:
        return rng.choice([True, False, None])
    if kind == 5:
        return round(rng.uniform(-200, 200), rng.randrange(8))
    if kind in (6, 7):
        return {"".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(5))): _value(rng, depth + 1)
                for _ in range(rng.randrange(5))}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_content_hashes_are_those_of_the_canonical_json() -> None:
    rng = random.Random(20261122)
    bodies = [{"observations": _value(rng), "damages": [_value(rng)], "x": _value(rng)} for _ in range(1500)]
    bodies += [{"area_m2": 0.00005}, {"n": 1e16}, {"n": 1e-7}, {"n": 123.0}, {"s": "1e-05,[:0.0000"}, {}]
    for start in range(0, len(bodies), 200):
        for ensure_ascii in (True, False):
            batch = [{"kind": "inspection", "id": str(uuid.uuid4()), "body": b} for b in bodies[start:start + 200]]
            raw = json.dumps({"records": batch}, ensure_ascii=ensure_ascii).encode()
            hashes = [r.content_hash for r in parse_batch(raw)]
            assert hashes == [content_hash(r["body"]) for r in json.loads(raw)["records"]]
    single = parse_single("inspection", str(uuid.uuid4()), b'{"position": {"lat": 1e-05, "lon": 2.5}}')
    assert single.content_hash == content_hash({"position": {"lat": 1e-05, "lon": 2.5}})


@pytest.mark.parametrize("raw, key", [
    (b'{"records": [\n  {"kind": "inspection",}\n]}', "sync.malformed_json"),  # trailing comma: line 2
    (b'{"records": [{"n": NaN}]}', "sync.malformed_json_plain"),
    (b'{"records": [{"n": 1e400}]}', "sync.malformed_json_plain"),
    (b'\xff{"records": []}', "sync.malformed_json_plain"),
    (b'[' * 5000 + b']' * 5000, "sync.malformed_json_plain"),
])
def test_what_msgspec_refuses_is_refused_as_before(raw: bytes, key: str) -> None:
    with pytest.raises(AppError) as refused:
        parse_batch(raw)
    assert (refused.value.status_code, refused.value.code, refused.value.key) == (400, "malformed_json", key)
    if raw.startswith(b'{"records": [\n'):
        assert (refused.value.params["line"], refused.value.params["column"]) == (2, 25)


def test_what_only_the_standard_library_reads_is_still_read() -> None:
    body = {"notes": "长椅", "n": 1e-05}
    (record,) = parse_batch(json.dumps({"records": [{"kind": "inspection", "id": str(uuid.uuid4()), "body": body}]})
                            .encode("utf-16"))
    assert record.body == body and record.content_hash == content_hash(body)


AUDIT = BulkInsert(cast(Table, AuditEvent.__table__))


async def test_bulk_rows_read_back_as_written(database: Database) -> None:
    at = dt.datetime(2026, 11, 22, 10, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = [
        {"at": at, "user_id": None, "device_id": "phone", "action": "test.bulk", "entity_type": "thing",
         "entity_id": str(i), "details": {"i": i, "nested": {"list": [1, 2.5, None, True]}, "text": "长椅 \n\"",
                                          "tiny": 0.00005, "big": 10**20}}
        for i in range(3)
    ] + [{"at": at + dt.timedelta(microseconds=1), "user_id": None, "device_id": None, "action": "test.bulk",
          "entity_type": "thing", "entity_id": "3", "details": {}}]
    async with database.session() as s:
        await AUDIT.execute(await s.connection(), rows)
    async with database.session(write=False) as s:
        stored = (await s.execute(
            select(AuditEvent.at, AuditEvent.device_id, AuditEvent.entity_id, AuditEvent.details)
            .where(AuditEvent.action == "test.bulk").order_by(AuditEvent.id)
        )).all()
    assert [tuple(r) for r in stored] == [(r["at"], r["device_id"], r["entity_id"], r["details"]) for r in rows]
    assert stored[0][0].tzinfo is not None and stored[0][0] == at


async def test_bulk_rows_must_name_columns_with_python_defaults(database: Database) -> None:
    async with database.session() as s:
        with pytest.raises(ValueError, match=r"leave out \['at'\]"):
            await AUDIT.execute(await s.connection(), [
                {"user_id": None, "device_id": None, "action": "x", "entity_type": "y", "entity_id": "z", "details": {}},
            ])
