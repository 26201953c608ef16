"""Problems no clause covers (#15 item 2): the `hazard` sync kind, through the Litestar client.

A hazard travels like an inspection (exactly once by record id), opens a defect with a
pseudo-clause `HZ-…` at the reported position, is on the supervisor's GeoJSON, takes a
work order, and counts in the month's score as a documented defect (its order), not as an
inspection of the asset (docs/scoring.md "Hazards")."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from server.accounts.models import User, UserZone
from server.core.db import Database, utcnow
from server.defects.models import Defect
from server.inspections.models import Inspection, InspectionPhoto
from server.sites.models import Site
from server.workorders import service
from server.core.geo import offset
from sync.models import SyncReceipt
from tests.conftest import make_client
from tests.sync_helpers import api_headers
from tests.workorder_helpers import World, add_photo, build_world, iso, signed_in


@pytest.fixture
async def world(database: Database) -> World:
    world = await build_world(database)
    async with database.session() as s:
        s.add(UserZone(user_id=world.users["insp"].id, zone_id=world.zones["Z1"]))
    return world


def hazard(lat: float, lon: float, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "observed_at": iso(utcnow() - dt.timedelta(minutes=5)), "category": "other", "severity": "urgent",
        "notes": "树枝倒伏横在园路上", "photos": [], "position": {"lat": lat, "lon": lon, "accuracy_m": 4},
    }
    body.update(overrides)
    return body


async def count(database: Database, model: Any, *where: Any) -> int:
    async with database.session(write=False) as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_hazard_is_stored_once_and_opens_a_defect(database: Database, database_url: str, world: World) -> None:
    lat, lon = offset(*world.positions["Z1-SE-1"], 20, 10)  # 20 m north, 10 m east of the nearest asset
    photo = await add_photo(database, "fallen-branch")
    record = {"kind": "hazard", "id": str(uuid.uuid4()),
              "body": hazard(lat, lon, photos=[{"sha256": photo}], category="green_space")}
    async with make_client(database_url) as phone:
        await signed_in(phone, "insp")
        first = await phone.post("/api/sync", json={"records": [record]}, headers=api_headers(phone))
        assert first.status_code == 200, first.text
        (result,) = first.json()["results"]
        assert (result["status"], result["outcome"]) == (201, "created"), result
        stored = result["result"]
        assert stored["asset_id"] == str(world.assets["Z1-SE-1"]) and stored["severity"] == "urgent"
        assert stored["clause_id"] == "HZ-" + uuid.UUID(record["id"]).hex[:8].upper()
        for _ in range(2):
            again = (await phone.post("/api/sync", json={"records": [record]}, headers=api_headers(phone))).json()
            assert (again["results"][0]["status"], again["results"][0]["result"]) == (200, stored)
        one = await phone.put(f"/api/sync/hazard/{record['id']}", json=record["body"], headers=api_headers(phone))
        assert one.status_code == 200 and one.json()["outcome"] == "duplicate"
        changed = {**record, "body": {**record["body"], "notes": "other words"}}
        conflict = (await phone.post("/api/sync", json={"records": [changed]}, headers=api_headers(phone))).json()
        assert (conflict["results"][0]["status"], conflict["results"][0]["code"]) == (409, "record_conflict")
    assert await count(database, Inspection, Inspection.kind == "hazard") == 1
    assert await count(database, InspectionPhoto, InspectionPhoto.inspection_id == uuid.UUID(record["id"])) == 1
    assert await count(database, SyncReceipt, SyncReceipt.id == uuid.UUID(record["id"])) == 1
    async with database.session(write=False) as db:
        defect = await db.get(Defect, uuid.UUID(stored["defect_id"]))
        assert defect is not None and defect.status == "open" and defect.category == "green_space"
        assert (defect.lat, defect.lon) == (pytest.approx(lat), pytest.approx(lon))  # where the hazard is
        assert defect.respond_by > defect.opened_at


async def test_another_users_record_id_is_refused(database: Database, database_url: str, world: World) -> None:
    lat, lon = offset(*world.positions["Z1-SE-1"], 5, 5)
    record = {"kind": "hazard", "id": str(uuid.uuid4()), "body": hazard(lat, lon)}
    async with make_client(database_url) as phone:
        await signed_in(phone, "insp")
        assert (await phone.post("/api/sync", json={"records": [record]},
                                 headers=api_headers(phone))).json()["results"][0]["status"] == 201
    async with make_client(database_url) as other:
        await signed_in(other, "super")
        answer = (await other.post("/api/sync", json={"records": [record]}, headers=api_headers(other))).json()
        assert (answer["results"][0]["status"], answer["results"][0]["code"]) == (409, "record_conflict")
    async with make_client(database_url) as contractor:
        await signed_in(contractor, "alpha1")
        assert (await contractor.post("/api/sync", json={"records": [record]},
                                      headers=api_headers(contractor))).status_code == 403
        english = (await other.post("/api/sync", json={"records": [{**record, "id": str(uuid.uuid4()), "body": {
            **record["body"], "category": "volcano"}}]}, headers=api_headers(other))).json()["results"][0]
        assert english["errors"][0]["field"] == "body.category"
        assert "the category must be one of" in english["errors"][0]["message"]
    assert await count(database, Defect, Defect.clause_id.like("HZ-%")) == 1


async def test_bad_fields_are_named_in_the_users_language(database: Database, database_url: str, world: World) -> None:
    lat, lon = offset(*world.positions["Z1-SE-1"], 5, 5)
    bad = {"kind": "hazard", "id": str(uuid.uuid4()),
           "body": hazard(lat, lon, category="volcano", severity="apocalyptic", photos=[{"sha256": "nope"}])}
    nowhere = {"kind": "hazard", "id": str(uuid.uuid4()), "body": hazard(31.0, 121.0)}  # far from every asset
    no_position = {"kind": "hazard", "id": str(uuid.uuid4()), "body": hazard(lat, lon, position=None)}
    other_zone = {"kind": "hazard", "id": str(uuid.uuid4()),
                  "body": hazard(lat, lon, asset_id=str(world.assets["Z2-SE-1"]))}
    unsent = {"kind": "hazard", "id": str(uuid.uuid4()), "body": hazard(lat, lon, photos=[{"sha256": "d" * 64}])}
    async with database.session() as s:  # the inspector reads Chinese
        await s.execute(update(User).where(User.id == world.users["insp"].id).values(language="zh"))
    async with make_client(database_url) as phone:
        await signed_in(phone, "insp")
        answer = await phone.post("/api/sync", json={"records": [bad, nowhere, no_position, other_zone, unsent]},
                                  headers=api_headers(phone, "zh-CN"))
        assert answer.status_code == 200, answer.text
        r = answer.json()["results"]
        assert [x["status"] for x in r] == [422, 422, 422, 422, 428]
        fields = {e["field"]: e["message"] for e in r[0]["errors"]}
        assert set(fields) == {"body.category", "body.severity", "body.photos[0].sha256"}
        assert "类别" in fields["body.category"] and "other" in fields["body.category"]
        assert "严重程度" in fields["body.severity"]
        assert r[1]["errors"][0]["field"] == "body.position" and "300" in r[1]["errors"][0]["message"]
        assert r[2]["errors"][0]["field"] == "body.position"
        assert r[3]["errors"][0]["field"] == "body.asset_id"
        assert r[4]["missing"] == ["d" * 64]
    assert await count(database, Inspection, Inspection.kind == "hazard") == 0
    assert await count(database, Defect, Defect.clause_id.like("HZ-%")) == 0
    assert await count(database, SyncReceipt) == 0


async def test_on_the_map_a_work_order_and_the_month_score(database: Database, database_url: str, world: World) -> None:
    lat, lon = offset(*world.positions["Z1-GS-1"], 8, -6)
    record = {"kind": "hazard", "id": str(uuid.uuid4()), "body": hazard(lat, lon, severity="high")}
    async with database.session(write=False) as db:
        site = await db.get(Site, world.site)
        assert site is not None
        tz = ZoneInfo(site.timezone)
    async with make_client(database_url) as sup:
        await signed_in(sup, "super")
        due = utcnow() + dt.timedelta(days=1)
        month = due.astimezone(tz).strftime("%Y-%m")

        async def site_scores() -> dict[str, Any]:
            answer = await sup.get(f"/api/scores?month={month}&scope=site")
            assert answer.status_code == 200, answer.text
            (figures,) = answer.json()["scores"]
            return figures

        before = await site_scores()
        async with make_client(database_url) as phone:
            await signed_in(phone, "insp")
            result = (await phone.post("/api/sync", json={"records": [record]}, headers=api_headers(phone))).json()
        defect_id = uuid.UUID(result["results"][0]["result"]["defect_id"])
        geo = await sup.get("/api/defects.geojson")
        assert geo.status_code == 200
        (feature,) = [f for f in geo.json()["features"] if f["id"] == str(defect_id) or
                      f.get("properties", {}).get("id") == str(defect_id)]
        assert feature["geometry"]["coordinates"] == [pytest.approx(lon), pytest.approx(lat)]
        async with database.session() as db:
            order = await service.issue_order(db, world.users["super"], [defect_id], due_at=due, due_reason="hazard")
        async with database.session(write=False) as db:
            assert (await db.get(Defect, defect_id)).status == "ordered"  # type: ignore[union-attr]
        after = await site_scores()
        assert order.id is not None
        assert after["orders_pending"] + after["orders_due"] == before["orders_pending"] + before["orders_due"] + 1
        # a hazard report is not an inspection of the asset: coverage and compliance are unmoved
        for key in ("inspections", "inspected", "compliant", "non_compliant", "clause_fail"):
            assert after[key] == before[key], key


async def test_the_phone_pages_offer_the_hazard_form(database_url: str, world: World) -> None:
    async with make_client(database_url) as phone:
        await signed_in(phone, "insp")
        home = await phone.get("/inspect")
        assert home.status_code == 200 and 'href="/inspect/hazard"' in home.text
        asset = await phone.get(f"/inspect/assets/{world.assets['Z1-SE-1']}")
        assert asset.status_code == 200 and f"/inspect/hazard?asset={world.assets['Z1-SE-1']}" in asset.text
        page = await phone.get("/inspect/hazard")
        assert page.status_code == 200 and 'id="hazard-form"' in page.text and "/static/js/hazard.js" in page.text
        assert 'value="other"' in page.text and 'value="urgent"' in page.text
        script = await phone.get("/static/js/hazard.js")
        assert script.status_code == 200 and 'kind: "hazard"' in script.text
