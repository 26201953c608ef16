"""The sync API stores each record exactly once, judges it itself and raises defects (docs/sync.md §2)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.defects.models import Defect, DefectEvidence
from server.inspections.models import ClauseResult, Inspection, InspectionPhoto
from sync.models import SyncReceipt
from tests.conftest import BACKEND
from tests.factories import add_site_with_asset
from tests.sync_helpers import (
    DEVICE, FAILING_SE1, PASSING, add_asset, add_photo, add_zone, api_headers, count, inspection, observed, phone,
    record, send, send_one,
)


async def _setup(client: AsyncTestClient, database: Database, role: str = "inspector") -> dict[str, uuid.UUID]:
    ids = await add_site_with_asset(database)
    ids["user"] = await phone(client, database, role=role, zones=[ids["zone"]] if role == "inspector" else [])
    return ids


async def test_the_same_record_five_times_is_stored_once(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    rec = record("inspection", inspection(ids["asset"], FAILING_SE1))
    answers = [(await send(client, rec)).json()["results"][0] for _ in range(5)]
    assert answers[0]["status"] == 201 and answers[0]["outcome"] == "created"
    for later in answers[1:]:
        assert later["status"] == 200 and later["outcome"] == "duplicate"
        assert later["result"] == answers[0]["result"]
    assert answers[0]["result"]["inspection_id"] == rec["id"]
    assert await count(database, Inspection) == 1
    assert await count(database, ClauseResult) == 4
    assert await count(database, Defect) == 1
    assert await count(database, DefectEvidence) == 1
    assert await count(database, SyncReceipt) == 1
    assert await count(database, AuditEvent, AuditEvent.action == "inspection.received") == 1


async def test_put_of_one_record_answers_with_its_status(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    rec = record("inspection", inspection(ids["asset"]))
    first = await send_one(client, rec)
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "created"
    for _ in range(4):
        again = await send_one(client, rec)
        assert again.status_code == 200
        assert again.json()["result"] == first.json()["result"]
    # The batch endpoint knows the record too: one receipt for both ways in.
    batch = (await send(client, rec)).json()["results"][0]
    assert batch["outcome"] == "duplicate"
    assert await count(database, Inspection) == 1


async def test_the_same_id_with_other_content_is_a_conflict(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    rec = record("inspection", inspection(ids["asset"], notes="first"))
    assert (await send(client, rec)).json()["results"][0]["status"] == 201
    changed = {**rec, "body": {**rec["body"], "notes": "second", "observations": FAILING_SE1}}
    answer = (await send(client, changed)).json()["results"][0]
    assert answer["status"] == 409
    assert answer["outcome"] == "conflict"
    assert answer["code"] == "record_conflict"
    assert "different content" in answer["message"]
    single = await send_one(client, changed, lang="zh")
    assert single.status_code == 409
    assert single.json()["code"] == "record_conflict"
    assert "内容不同" in single.json()["message"]
    async with database.session(write=False) as s:
        stored = (await s.execute(select(Inspection))).scalar_one()
        conflicts = (await s.execute(select(AuditEvent).where(AuditEvent.action == "sync.conflict"))).scalars().all()
    assert stored.notes == "first" and stored.verdict == "compliant"
    assert await count(database, Defect) == 0
    assert len(conflicts) == 2 and conflicts[0].entity_id == rec["id"]
    assert "\"notes\":\"second\"" in conflicts[0].details["body"]["excerpt"]  # kept for review, not applied


async def test_a_record_id_used_by_another_user_is_a_conflict(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    rec = record("inspection", inspection(ids["asset"]))
    assert (await send(client, rec)).json()["results"][0]["status"] == 201
    async with AsyncTestClient(app=client.app, base_url="http://127.0.0.1:8000") as other:
        await phone(other, database, "insp2", zones=[ids["zone"]])
        answer = (await send(other, rec)).json()["results"][0]
    assert answer["status"] == 409 and answer["code"] == "record_conflict"


async def test_an_id_taken_by_a_row_made_outside_sync_is_a_conflict(client: AsyncTestClient, database: Database) -> None:
    """Rows without a receipt (demo data, say) still own their ids; the rest of the batch goes in."""
    import hashlib

    from server.core.db import utcnow

    ids = await _setup(client, database)
    taken = uuid.uuid4()
    async with database.session() as s:
        s.add(Inspection(id=taken, asset_id=ids["asset"], inspector_id=ids["user"], observed_at=utcnow(),
                         observations={}, damages=[], not_applicable=[], standards_version="2026.1",
                         verdict="undetermined", content_hash=hashlib.sha256(b"demo").hexdigest()))
    good = record("inspection", inspection(ids["asset"], FAILING_SE1))
    results = (await send(client, good, record("inspection", inspection(ids["asset"]), taken))).json()["results"]
    assert [(r["status"], r.get("code")) for r in results] == [(201, None), (409, "record_conflict")]
    async with database.session(write=False) as s:
        assert (await s.get(Inspection, taken)).verdict == "undetermined"  # type: ignore[union-attr]
    assert await count(database, Inspection) == 2
    assert await count(database, Defect) == 1


async def test_each_record_of_a_batch_gets_its_own_result(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    new_asset = uuid.uuid4()
    sha = "ab" * 32
    records = [
        record("inspection", inspection(ids["asset"])),
        record("inspection", inspection(ids["asset"], {**PASSING, "damage_pct": 140})),
        record("asset", {"category": "seating", "name": "长椅 (新增)",
                         "position": {"lat": 32.101, "lon": 118.701, "accuracy_m": 5}}, new_asset),
        record("inspection", inspection(new_asset, FAILING_SE1)),
        record("inspection", inspection(ids["asset"], photos=[{"sha256": sha, "damage_index": None}])),
    ]
    response = await send(client, *records)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [r["id"] for r in records]
    assert [r["status"] for r in results] == [201, 422, 201, 201, 428]
    assert results[1]["errors"][0]["field"] == "body.observations.damage_pct"
    assert results[4]["missing"] == [sha] and results[4]["code"] == "photos_missing"
    assert results[2]["result"]["asset_id"] == str(new_asset)
    assert await count(database, Inspection) == 2
    assert await count(database, Asset) == 2
    assert await count(database, Defect, Defect.asset_id == new_asset) == 1
    assert await count(database, SyncReceipt) == 3


async def test_a_record_twice_in_one_batch_is_stored_once(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    rec = record("inspection", inspection(ids["asset"], FAILING_SE1))
    results = (await send(client, rec, rec)).json()["results"]
    assert [r["outcome"] for r in results] == ["created", "duplicate"]
    assert results[0]["result"] == results[1]["result"]
    assert await count(database, Inspection) == 1


async def test_defect_opened_then_evidenced_then_passed(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    first = (await send(client, record("inspection", inspection(ids["asset"], FAILING_SE1, observed_at=observed(90)))))
    first_result = first.json()["results"][0]["result"]
    assert first_result["verdict"] == "non_compliant" and first_result["clauses"]["SE-1"] == "fail"
    (defect_id,) = first_result["defects_opened"]
    second = (await send(client, record("inspection", inspection(ids["asset"], FAILING_SE1, observed_at=observed(60)))))
    second_result = second.json()["results"][0]["result"]
    assert second_result["defects_opened"] == [] and second_result["defects_updated"] == [defect_id]
    passing = (await send(client, record("inspection", inspection(ids["asset"], PASSING, observed_at=observed(30)))))
    passing_result = passing.json()["results"][0]["result"]
    assert passing_result["defects_updated"] == [defect_id]
    async with database.session(write=False) as s:
        (defect,) = (await s.execute(select(Defect))).scalars().all()
        evidence = set((await s.execute(select(DefectEvidence.inspection_id))).scalars())
    assert str(defect.id) == defect_id
    assert defect.clause_id == "SE-1" and defect.severity == "normal" and defect.status == "open"
    assert defect.respond_by - defect.opened_at == dt.timedelta(days=7)
    assert evidence == {uuid.UUID(first_result["inspection_id"]), uuid.UUID(second_result["inspection_id"])}
    assert str(defect.opened_by_inspection_id) == first_result["inspection_id"]
    assert str(defect.last_inspection_id) == second_result["inspection_id"]
    assert str(defect.passed_inspection_id) == passing_result["inspection_id"]
    # It fails again: the pass no longer holds, and it is still the one defect.
    again = (await send(client, record("inspection", inspection(ids["asset"], FAILING_SE1, observed_at=observed(5)))))
    again_result = again.json()["results"][0]["result"]
    async with database.session(write=False) as s:
        (defect,) = (await s.execute(select(Defect))).scalars().all()
    assert defect.passed_inspection_id is None
    assert str(defect.last_inspection_id) == again_result["inspection_id"]


async def test_a_late_older_failure_adds_evidence_but_keeps_a_newer_pass(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    opened = (await send(client, record("inspection", inspection(ids["asset"], FAILING_SE1, observed_at=observed(120)))))
    passed = (await send(client, record("inspection", inspection(ids["asset"], PASSING, observed_at=observed(30)))))
    # A phone that was offline sends an inspection made between the two.
    late = await send(client, record("inspection", inspection(ids["asset"], FAILING_SE1, observed_at=observed(60))))
    assert late.json()["results"][0]["result"]["defects_opened"] == []
    async with database.session(write=False) as s:
        (defect,) = (await s.execute(select(Defect))).scalars().all()
    assert str(defect.last_inspection_id) == late.json()["results"][0]["id"]
    assert str(defect.passed_inspection_id) == passed.json()["results"][0]["id"]
    assert opened.json()["results"][0]["result"]["defects_opened"] == [str(defect.id)]
    assert await count(database, DefectEvidence) == 2


async def test_two_failures_in_one_batch_share_one_defect(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    results = (await send(
        client,
        record("inspection", inspection(ids["asset"], FAILING_SE1, observed_at=observed(20))),
        record("inspection", inspection(ids["asset"], FAILING_SE1, observed_at=observed(10))),
    )).json()["results"]
    assert len(results[0]["result"]["defects_opened"]) == 1
    assert results[1]["result"]["defects_updated"] == results[0]["result"]["defects_opened"]
    assert await count(database, Defect) == 1
    assert await count(database, DefectEvidence) == 2


async def test_the_servers_verdict_wins_over_the_phones(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    body = inspection(ids["asset"], FAILING_SE1, compliant=True,
                      clauses={"SE-1": "pass", "SE-2": "pass", "SE-3": "pass", "SE-4": "pass"})
    result = (await send(client, record("inspection", body))).json()["results"][0]["result"]
    assert result["verdict"] == "non_compliant" and result["clauses"]["SE-1"] == "fail"
    async with database.session(write=False) as s:
        stored = (await s.execute(select(Inspection))).scalar_one()
        se1 = (await s.execute(select(ClauseResult.result).where(ClauseResult.clause_id == "SE-1"))).scalar_one()
        event = (await s.execute(select(AuditEvent).where(AuditEvent.action == "inspection.received"))).scalar_one()
    assert stored.verdict == "non_compliant" and se1 == "fail"
    assert event.details["client_disagreed"] == {"compliant": True, "clauses": {"SE-1": "pass"}}
    assert await count(database, Defect) == 1


async def test_an_inspection_is_stored_with_position_device_versions_and_photos(
    client: AsyncTestClient, database: Database
) -> None:
    ids = await _setup(client, database)
    road = await add_asset(database, ids["zone"], "road_asphalt", "Z-RA-1")
    first, second = await add_photo(database, b"one"), await add_photo(database, b"two")
    body = inspection(
        road, {}, damages=[{"type": "pothole", "depth_mm": 25, "area_m2": 0.4}],
        photos=[{"sha256": first, "damage_index": None}, {"sha256": second, "damage_index": 0}],
        standards_version="2025.9", observed_at="2026-11-22T10:15:00+08:00",
    )
    answer = (await send(client, record("inspection", body))).json()["results"][0]
    assert answer["status"] == 201, answer
    async with database.session(write=False) as s:
        stored = (await s.execute(select(Inspection))).scalar_one()
        photos = (await s.execute(select(InspectionPhoto).order_by(InspectionPhoto.ordinal))).scalars().all()
    assert (stored.lat, stored.lon, stored.accuracy_m) == (32.1051, 118.7052, 6.5)
    assert stored.device_id == DEVICE and stored.inspector_id == ids["user"]
    assert stored.standards_version == "2026.1" and stored.client_standards_version == "2025.9"
    assert stored.observed_at == dt.datetime(2026, 11, 22, 2, 15, tzinfo=dt.timezone.utc)
    assert stored.damages == [{"type": "pothole", "depth_mm": 25, "area_m2": 0.4}]
    assert [(p.photo_sha256, p.damage_index) for p in photos] == [(first, None), (second, 0)]
    assert len(stored.content_hash) == 64


async def test_audit_events_carry_the_device_id(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    rec = record("inspection", inspection(ids["asset"], FAILING_SE1))
    await send(client, rec)
    async with database.session(write=False) as s:
        events = (await s.execute(select(AuditEvent).where(AuditEvent.action != "auth.sign_in")
                                  .order_by(AuditEvent.id))).scalars().all()
    assert [e.action for e in events] == ["inspection.received", "defect.opened"]
    assert all(e.device_id == DEVICE and e.user_id == ids["user"] for e in events)
    assert events[0].entity_id == rec["id"]
    assert events[1].details["clause_id"] == "SE-1"


async def test_a_new_asset_gets_its_zone_code_and_qr_token(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    bodies = [{"category": "seating", "name": f"Bench {n}", "position": {"lat": 32.102, "lon": 118.702}}
              for n in range(2)]
    results = (await send(client, *(record("asset", b) for b in bodies))).json()["results"]
    assert [r["result"]["code"] for r in results] == ["Z-SE-001", "Z-SE-002"]
    assert all(r["result"]["zone_id"] == str(ids["zone"]) for r in results)
    assert len({r["result"]["qr_token"] for r in results}) == 2
    async with database.session(write=False) as s:
        created = (await s.execute(select(Asset).where(Asset.code == "Z-SE-002"))).scalar_one()
    assert created.id == uuid.UUID(results[1]["id"]) and created.created_by == ids["user"]
    assert await count(database, AuditEvent, AuditEvent.action == "asset.created") == 2


async def test_a_new_asset_must_stand_in_one_of_my_zones(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    await add_zone(database, ids["site"], "Y", 118.72, 32.10)
    outside = record("asset", {"category": "seating", "name": "x", "position": {"lat": 31.0, "lon": 118.0}})
    elsewhere = record("asset", {"category": "seating", "name": "x", "position": {"lat": 32.105, "lon": 118.725}})
    results = (await send(client, outside, elsewhere)).json()["results"]
    assert [(r["status"], r["errors"][0]["code"]) for r in results] == [
        (422, "position_outside_zones"), (422, "zone_not_assigned"),
    ]
    assert results[1]["errors"][0]["field"] == "body.position"
    assert await count(database, Asset) == 1


async def test_inspectors_reach_only_their_zones_supervisors_every_zone(
    client: AsyncTestClient, database: Database
) -> None:
    ids = await _setup(client, database)
    other_zone = await add_zone(database, ids["site"], "Y", 118.72, 32.10)
    far_asset = await add_asset(database, other_zone, "seating", "Y-SE-001", lon=118.725)
    rec = record("inspection", inspection(far_asset))
    answer = (await send(client, rec)).json()["results"][0]
    assert answer["status"] == 422
    assert answer["errors"] == [{"field": "body.asset_id", "code": "unknown_asset",
                                 "message": "body.asset_id: there is no such asset in your zones.",
                                 "label": "Asset", "text": "there is no such asset in your zones."}]
    async with AsyncTestClient(app=client.app, base_url="http://127.0.0.1:8000") as desk:
        await phone(desk, database, "boss", role="supervisor")
        assert (await send(desk, rec)).json()["results"][0]["status"] == 201


async def test_contractors_and_strangers_are_kept_out(client: AsyncTestClient, database: Database) -> None:
    ids = await add_site_with_asset(database)
    rec = record("inspection", inspection(ids["asset"]))
    stranger = await client.post("/api/sync", json={"records": [rec]})
    assert stranger.status_code in (401, 403)
    await phone(client, database, "builder", role="contractor")
    for response in (await send(client, rec), await send_one(client, rec)):
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    assert (await client.get("/api/offline/bundle")).status_code == 403
    assert await count(database, Inspection) == 0


async def test_the_csrf_header_is_required(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    headers = api_headers(client, "en")
    del headers["X-CSRFToken"]
    rec = record("inspection", inspection(ids["asset"]))
    response = await client.post("/api/sync", json={"records": [rec]}, headers=headers)
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    forged = await client.post("/api/sync", json={"records": [rec]}, headers={**headers, "X-CSRFToken": "forged"})
    assert forged.status_code == 403
    assert await count(database, Inspection) == 0


async def test_concurrent_senders_of_one_record_store_it_once(database: Database, caplog: pytest.LogCaptureFixture) -> None:
    """Two workers receive the same batch at once (a retry racing the first attempt)."""
    import standards
    from server.core.identity import CurrentUser

    caplog.set_level("INFO", logger="fieldcheck.sync")
    from sync.protocol import content_hash, SyncRecord
    from sync.service import caller_for, receive_records
    from tests.factories import add_user

    ids = await add_site_with_asset(database)
    user_id = await add_user(database, "racer", "supervisor")
    user = CurrentUser(user_id, "racer", "Racer", "supervisor", None, None, site_id=ids["site"])
    other_asset = await add_asset(database, ids["zone"], "seating", "Z-SE-9")
    bodies = [inspection(ids["asset"], FAILING_SE1), inspection(other_asset, FAILING_SE1)]
    same = [SyncRecord("inspection", uuid.uuid4(), b, content_hash(b)) for b in bodies]
    # A different inspection failing the same clause of the same asset: both would open a defect.
    rival = inspection(ids["asset"], FAILING_SE1, notes="rival")
    standards_set = standards.load_standards()

    async def receive(records: list[SyncRecord]) -> list[str]:
        async with database.session() as s:
            results = await receive_records(s, await caller_for(s, user, None), standards_set, records, "en")
            await asyncio.sleep(0.05)  # hold the transaction open so the other one collides
            return [r.outcome for r in results]

    first, second, third = await asyncio.gather(
        receive(same), receive(same), receive([SyncRecord("inspection", uuid.uuid4(), rival, content_hash(rival))])
    )
    assert sorted([first, second]) == [["created", "created"], ["duplicate", "duplicate"]]
    assert third == ["created"]
    assert await count(database, Inspection) == 3
    assert await count(database, Defect) == 2  # one per asset and clause, never two
    assert await count(database, DefectEvidence) == 3
    if BACKEND == "postgresql":  # SQLite writers queue for the lock; PostgreSQL ones really collide
        assert "collided with another writer" in caplog.text


async def test_the_sync_api_is_in_the_openapi_schema(client: AsyncTestClient, database: Database) -> None:
    doc = (await client.get("/schema/openapi.json")).json()
    batch = doc["paths"]["/api/sync"]["post"]
    assert "records" in batch["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert "raw JSON" in batch["description"]
    single = doc["paths"]["/api/sync/{kind}/{record_id}"]["put"]
    assert {"200", "201", "409", "422", "428"} <= set(single["responses"])
    assert "/api/offline/bundle" in doc["paths"]
    schemas = doc["components"]["schemas"]
    assert {"RecordResult", "SyncBatchResult", "InspectionResult", "AssetResult", "OfflineBundle"} <= set(schemas)
