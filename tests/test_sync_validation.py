"""Bad input to the sync API: refused with a stable code, the field, the user's language; nothing stored."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.inspections.models import Inspection
from sync.models import SyncReceipt
from tests.factories import add_site_with_asset
from tests.sync_helpers import (
    FAILING_SE1, PASSING, add_asset, add_photo, api_headers, count, inspection, phone, record, send, send_one,
)


@pytest.fixture
async def ids(client: AsyncTestClient, database: Database) -> dict[str, uuid.UUID]:
    ids = await add_site_with_asset(database)
    ids["road"] = await add_asset(database, ids["zone"], "road_asphalt", "Z-RA-1")
    ids["old"] = await add_asset(database, ids["zone"], "seating", "Z-SE-OLD", active=False)
    await phone(client, database, zones=[ids["zone"]])
    return ids


async def _nothing_stored(database: Database) -> None:
    assert await count(database, Inspection) == 0
    assert await count(database, SyncReceipt) == 0
    assert await count(database, Asset) == 3
    assert await count(database, AuditEvent, AuditEvent.action != "auth.sign_in") == 0


def _in_future() -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).isoformat()


# (what is wrong, how to make the body from the fixture's ids, the field and code expected)
BAD_INSPECTIONS: list[tuple[str, Any, str, str]] = [
    ("body not an object", lambda i: ["not", "an", "object"], "body", "bad_type"),
    ("unknown key", lambda i: inspection(i["asset"], colour="red"), "body.colour", "unknown_field"),
    ("no asset", lambda i: {k: v for k, v in inspection(i["asset"]).items() if k != "asset_id"}, "body.asset_id", "required"),
    ("asset id a number", lambda i: {**inspection(i["asset"]), "asset_id": 123}, "body.asset_id", "bad_type"),
    ("unknown asset", lambda i: inspection(uuid.uuid4()), "body.asset_id", "unknown_asset"),
    ("asset no longer in use", lambda i: inspection(i["old"]), "body.asset_id", "asset_inactive"),
    ("observations a string", lambda i: {**inspection(i["asset"]), "observations": "all fine"}, "body.observations", "bad_observations"),
    ("number as text", lambda i: inspection(i["asset"], {**PASSING, "damage_pct": "5"}), "body.observations.damage_pct", "bad_type"),
    ("flag as number", lambda i: inspection(i["asset"], {**PASSING, "usable": 1}), "body.observations.usable", "bad_type"),
    ("percent over 100", lambda i: inspection(i["asset"], {**PASSING, "damage_pct": 140}), "body.observations.damage_pct", "out_of_range"),
    ("negative percent", lambda i: inspection(i["asset"], {**PASSING, "rust_pct": -1}), "body.observations.rust_pct", "out_of_range"),
    ("unknown observation", lambda i: inspection(i["asset"], {**PASSING, "colour": 3}), "body.observations.colour", "unknown_observation"),
    ("unknown damage type", lambda i: inspection(i["road"], {}, damages=[{"type": "crater", "area_m2": 1}]), "body.damages[0].type", "unknown_damage_type"),
    ("negative depth", lambda i: inspection(i["road"], {}, damages=[{"type": "pothole", "depth_mm": -3, "area_m2": 1}]), "body.damages[0].depth_mm", "out_of_range"),
    ("damages on a bench", lambda i: inspection(i["asset"], damages=[{"type": "pothole"}]), "body.damages", "bad_defects"),
    ("unknown clause n/a", lambda i: inspection(i["asset"], not_applicable=["GS-7"]), "body.not_applicable[0]", "unknown_clause"),
    ("time without offset", lambda i: inspection(i["asset"], observed_at="2026-11-22T10:15:00"), "body.observed_at", "no_offset"),
    ("time in the future", lambda i: inspection(i["asset"], observed_at=_in_future()), "body.observed_at", "in_future"),
    ("time before 2000", lambda i: inspection(i["asset"], observed_at="1999-12-31T23:00:00+08:00"), "body.observed_at", "too_early"),
    ("time not a time", lambda i: inspection(i["asset"], observed_at="yesterday"), "body.observed_at", "bad_type"),
    ("latitude 91", lambda i: inspection(i["asset"], position={"lat": 91, "lon": 118.7}), "body.position.lat", "out_of_range"),
    ("longitude 200", lambda i: inspection(i["asset"], position={"lat": 32.1, "lon": 200}), "body.position.lon", "out_of_range"),
    ("latitude as text", lambda i: inspection(i["asset"], position={"lat": "32.1", "lon": 118.7}), "body.position.lat", "bad_type"),
    ("negative accuracy", lambda i: inspection(i["asset"], position={"lat": 32.1, "lon": 118.7, "accuracy_m": -1}), "body.position.accuracy_m", "out_of_range"),
    ("notes a number", lambda i: inspection(i["asset"], notes=5), "body.notes", "bad_type"),
    ("notes with a NUL", lambda i: inspection(i["asset"], notes="a\x00b"), "body.notes", "bad_text"),
    ("photo not a hash", lambda i: inspection(i["asset"], photos=[{"sha256": "photo.jpg"}]), "body.photos[0].sha256", "bad_photo_hash"),
    ("photo of no damage", lambda i: inspection(i["asset"], photos=[{"sha256": "ab" * 32, "damage_index": 0}]), "body.photos[0].damage_index", "bad_damage_index"),
    ("verdict not a flag", lambda i: inspection(i["asset"], compliant="yes"), "body.compliant", "bad_type"),
]


@pytest.mark.parametrize(("problem", "make", "field", "code"), BAD_INSPECTIONS, ids=[b[0] for b in BAD_INSPECTIONS])
async def test_a_bad_inspection_is_refused_field_by_field(
    client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID], problem: str, make: Any, field: str, code: str
) -> None:
    answer = (await send(client, record("inspection", make(ids)))).json()["results"][0]
    assert answer["status"] == 422 and answer["outcome"] == "invalid" and answer["code"] == "invalid_record"
    assert (field, code) in [(e["field"], e["code"]) for e in answer["errors"]], answer
    assert answer["field"] == answer["errors"][0]["field"]
    assert all(e["message"].startswith(e["field"].removeprefix("body.")) or e["message"].startswith(e["field"])
               for e in answer["errors"])
    await _nothing_stored(database)


BAD_ASSETS: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown category", {"category": "fountain", "name": "x", "position": {"lat": 32.105, "lon": 118.705}}, "body.category", "unknown_category"),
    ("no name", {"category": "seating", "name": "  ", "position": {"lat": 32.105, "lon": 118.705}}, "body.name", "required"),
    ("no position", {"category": "seating", "name": "x", "position": None}, "body.position", "required"),
    ("off the planet", {"category": "seating", "name": "x", "position": {"lat": 91, "lon": 200}}, "body.position.lon", "out_of_range"),
    ("name too long", {"category": "seating", "name": "x" * 161, "position": {"lat": 32.105, "lon": 118.705}}, "body.name", "too_long"),
    ("name with a NUL", {"category": "seating", "name": "x\x00", "position": {"lat": 32.105, "lon": 118.705}}, "body.name", "bad_text"),
]


@pytest.mark.parametrize(("problem", "body", "field", "code"), BAD_ASSETS, ids=[b[0] for b in BAD_ASSETS])
async def test_a_bad_asset_is_refused_field_by_field(
    client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID], problem: str, body: Any, field: str, code: str
) -> None:
    answer = (await send(client, record("asset", body))).json()["results"][0]
    assert answer["status"] == 422
    assert (field, code) in [(e["field"], e["code"]) for e in answer["errors"]], answer
    await _nothing_stored(database)


async def test_every_fault_of_a_body_is_reported_at_once(
    client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID]
) -> None:
    body = inspection(ids["asset"], {**PASSING, "damage_pct": 140}, observed_at="2026-11-22T10:15:00",
                      position={"lat": 91, "lon": 200})
    answer = (await send(client, record("inspection", body))).json()["results"][0]
    assert [e["field"] for e in answer["errors"]] == [
        "body.observed_at", "body.position.lat", "body.position.lon", "body.observations.damage_pct",
    ]
    assert answer["message"] == "The record was refused: 4 problems to correct before it is sent again."


async def test_messages_follow_accept_language(client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID]) -> None:
    body = inspection(ids["asset"], {**PASSING, "damage_pct": 140}, observed_at="2026-11-22T10:15:00")
    zh = (await send(client, record("inspection", body), lang="zh-CN,zh;q=0.9")).json()["results"][0]
    en = (await send(client, record("inspection", body), lang="en-GB,en;q=0.9")).json()["results"][0]
    assert zh["errors"][0]["message"] == "body.observed_at:缺少时区（例如 +08:00 或 Z）。"
    assert en["errors"][0]["message"] == "body.observed_at: has no time-zone offset (add one, e.g. +08:00 or Z)."
    assert "超出物理范围" in zh["errors"][1]["message"]
    assert "outside the physical range" in en["errors"][1]["message"]
    assert "未被接受" in zh["message"] and "refused" in en["message"]


async def test_the_users_saved_language_wins(client: AsyncTestClient, database: Database) -> None:
    ids = await add_site_with_asset(database)
    await phone(client, database, "wang", zones=[ids["zone"]], language="zh")
    answer = (await send(client, record("inspection", inspection(uuid.uuid4())), lang="en")).json()["results"][0]
    assert answer["errors"][0]["message"] == "body.asset_id:您的片区中没有此设施。"
    malformed = await client.post("/api/sync", content=b"{", headers=api_headers(client, "en"))
    assert "不是有效的 JSON" in malformed.json()["message"]


async def test_a_refused_record_can_be_corrected_and_sent_again_under_its_id(
    client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID]
) -> None:
    rec = record("inspection", inspection(ids["asset"], {**PASSING, "damage_pct": 140}))
    assert (await send(client, rec)).json()["results"][0]["status"] == 422
    rec["body"]["observations"]["damage_pct"] = 14
    assert (await send(client, rec)).json()["results"][0]["status"] == 201
    assert await count(database, Inspection) == 1


async def test_photos_the_server_lacks_are_asked_for(client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID]) -> None:
    have = await add_photo(database, b"have")
    lacking = "cd" * 32
    rec = record("inspection", inspection(ids["asset"], FAILING_SE1, photos=[{"sha256": have}, {"sha256": lacking}]))
    answer = await send_one(client, rec)
    assert answer.status_code == 428
    assert answer.json()["code"] == "photos_missing" and answer.json()["missing"] == [lacking]
    await _nothing_stored(database)
    await add_photo(database, b"lacking-bytes")  # a different photo does not help
    assert (await send_one(client, rec)).status_code == 428
    from server.photos.models import Photo

    async with database.session() as s:
        s.add(Photo(sha256=lacking, media_type="image/jpeg", size_bytes=3, width=1, height=1))
    assert (await send_one(client, rec)).status_code == 201


# -- the envelope: refused whole ------------------------------------------------------------------


async def _post_raw(client: AsyncTestClient, raw: bytes, lang: str = "en") -> Any:
    return await client.post("/api/sync", content=raw, headers=api_headers(client, lang))


async def test_malformed_json_is_refused(client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID]) -> None:
    for raw in (b'{"records": [', b"", b'{"records": [{"kind": "inspection", "id": NaN}]}', b"\xff\xfe",
                b'{"records": [{"kind": "inspection", "id": "x", "body": {"n": 1e400}}]}'):
        response = await _post_raw(client, raw)
        assert response.status_code == 400, raw
        assert response.json()["code"] == "malformed_json"
        assert "not valid JSON" in response.json()["message"]
    zh = await _post_raw(client, b'{"records": [}', "zh")
    assert zh.json()["message"] == "请求内容不是有效的 JSON（第 1 行第 14 列）。"
    await _nothing_stored(database)


@pytest.mark.parametrize(
    ("batch", "field", "code"),
    [
        ([], "records", "bad_batch"),
        ({"records": {}}, "records", "bad_batch"),
        ({"records": [], "extra": 1}, "extra", "bad_batch"),
        ({"records": ["x"]}, "records[0]", "bad_record"),
        ({"records": [{"kind": "inspection", "id": str(uuid.uuid4())}]}, "records[0]", "bad_record"),
        ({"records": [{"kind": "payment", "id": str(uuid.uuid4()), "body": {}}]}, "records[0].kind", "unknown_kind"),
        ({"records": [{"kind": "asset", "id": "42", "body": {}}]}, "records[0].id", "bad_record_id"),
        ({"records": [{"kind": "asset", "id": "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "body": {}}]}, "records[0].id", "bad_record_id"),
        ({"records": [{"kind": "asset", "id": str(uuid.uuid4()), "body": {}}] * 201}, "records", "too_many_records"),
    ],
)
async def test_a_malformed_batch_is_refused_whole(
    client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID], batch: Any, field: str, code: str
) -> None:
    response = await _post_raw(client, json.dumps(batch).encode())
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    await _nothing_stored(database)


async def test_one_bad_kind_refuses_the_whole_batch(client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID]) -> None:
    good = record("inspection", inspection(ids["asset"]))
    response = await send(client, good, {"kind": "payment", "id": str(uuid.uuid4()), "body": {}})
    assert response.status_code == 422 and response.json()["field"] == "records[1].kind"
    assert "inspection, asset" in response.json()["message"]
    await _nothing_stored(database)


async def test_put_refuses_an_unknown_kind_or_a_bad_id(client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID]) -> None:
    body = inspection(ids["asset"])
    kind = await client.put(f"/api/sync/payment/{uuid.uuid4()}", json=body, headers=api_headers(client, "en"))
    assert kind.status_code == 422 and kind.json()["code"] == "unknown_kind" and kind.json()["field"] == "kind"
    bad_id = await client.put("/api/sync/inspection/not-a-uuid", json=body, headers=api_headers(client, "en"))
    assert bad_id.status_code == 422 and bad_id.json()["code"] == "bad_record_id" and bad_id.json()["field"] == "id"
    await _nothing_stored(database)


async def test_a_huge_body_is_refused(client: AsyncTestClient, database: Database, ids: dict[str, uuid.UUID]) -> None:
    notes = "x" * (6 * 1024 * 1024)
    response = await send(client, record("inspection", inspection(ids["asset"], notes=notes)))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    single = await send_one(client, record("inspection", inspection(ids["asset"], notes="y" * (2 * 1024 * 1024))))
    assert single.status_code == 413
    await _nothing_stored(database)


def test_every_code_the_tests_meet_is_in_the_contract() -> None:
    """docs/sync.md is what the phone is written against: it must name every code."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "sync.md").read_text()
    codes = {code for *_, code in BAD_INSPECTIONS} | {code for *_, code in BAD_ASSETS} | {
        "malformed_json", "bad_batch", "bad_record", "unknown_kind", "bad_record_id", "too_many_records",
        "too_large", "csrf_failed", "record_conflict", "invalid_record", "photos_missing", "position_outside_zones",
        "zone_not_assigned", "bad_since",
    }
    missing = sorted(code for code in codes if f"`{code}`" not in doc)
    assert not missing, f"codes not documented in docs/sync.md: {missing}"
