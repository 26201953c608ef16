"""What users see (issue 12), through HTTP on the demo site: the inspection page and who may
open it, the offline download's estimate, the finder's server-side nearest sort, device names."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.accounts.models import User
from server.assets.models import Asset
from server.core.config import DatabaseSettings
from server.core.db import Database
from server.defects.models import DefectEvidence
from server.inspections.models import Inspection, InspectionPhoto
from tests.conftest import make_client, sign_in

PASSWORDS = {"inspector": "Inspect-2026-demo", "inspector2": "Inspect-2026-demo2",
             "supervisor": "Super-2026-demo", "admin": "Manage-2026-demo", "green": "Lvyuan-2026-demo"}


@pytest.fixture
async def demo_db(demo_database_url: str) -> AsyncIterator[Database]:
    db = Database.connect(DatabaseSettings(url=demo_database_url))
    yield db
    await db.dispose()


async def client_of(demo_database_url: str, username: str) -> AsyncTestClient:
    client = make_client(demo_database_url)
    await client.__aenter__()
    await sign_in(client, username, PASSWORDS[username])
    return client


def page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def damaged_inspection(db: Database) -> Inspection:
    """An inspection with a damage instance that has a photo of its own, and a defect."""
    async with db.session(write=False) as s:
        found = await s.scalar(
            select(Inspection)
            .join(InspectionPhoto, InspectionPhoto.inspection_id == Inspection.id)
            .join(DefectEvidence, DefectEvidence.inspection_id == Inspection.id)
            .where(InspectionPhoto.damage_index.is_not(None))
            .order_by(Inspection.observed_at.desc()).limit(1)
        )
        if found is None:  # demo without damage photos: any inspection with a defect
            found = await s.scalar(select(Inspection).join(DefectEvidence, DefectEvidence.inspection_id == Inspection.id)
                                   .order_by(Inspection.observed_at.desc()).limit(1))
        assert found is not None
        return found


async def username_of(db: Database, user_id: uuid.UUID) -> str:
    async with db.session(write=False) as s:
        return (await s.scalar(select(User.username).where(User.id == user_id))) or ""


# -- /inspections/<id> -------------------------------------------------------------------------


async def test_supervisor_sees_what_was_measured(demo_database_url: str, demo_db: Database) -> None:
    inspection = await damaged_inspection(demo_db)
    client = await client_of(demo_database_url, "supervisor")
    try:
        response = await client.get(f"/inspections/{inspection.id}")
        assert response.status_code == 200, response.text
        soup = page(response.text)
        article = soup.select_one("article.inspection-detail")
        assert article["data-inspection"] == str(inspection.id)
        assert inspection.standards_version in soup.select_one("#standards-version").get_text()
        gps = soup.select_one("#gps").get_text()
        if inspection.lat is not None:
            assert f"{inspection.lat:.6f}" in gps
            if inspection.accuracy_m is not None:
                assert f"±{inspection.accuracy_m:.0f}" in gps
        # every observation is listed with its value; every damage instance with its fields
        for key in inspection.observations:
            assert soup.select_one(f'#measurements tr[data-field="{key}"]') is not None, key
        damages = soup.select("#damages > li")
        assert len(damages) == len(inspection.damages)
        for li, recorded in zip(damages, inspection.damages):
            assert li["data-type"] == recorded["type"]
            for key, value in recorded.items():
                if key != "type":
                    assert str(value) in li.select_one(f'[data-field="{key}"]').get_text()
        # each photo is shown under the damage it belongs to, or under the inspection
        async with demo_db.session(write=False) as s:
            photos = (await s.execute(select(InspectionPhoto.photo_sha256, InspectionPhoto.damage_index)
                                      .where(InspectionPhoto.inspection_id == inspection.id))).all()
        for sha, index in photos:
            where = f'#damages > li[data-damage="{index}"]' if index is not None else "#inspection-photos"
            assert soup.select_one(f'{where} img[data-sha="{sha}"]') is not None, (sha, index)
        # the defects it found link to their pages, and back
        defect_link = soup.select_one('a[href^="/supervise/defects/"]')
        assert defect_link is not None
        defect_page = page((await client.get(defect_link["href"])).text)
        assert defect_page.select_one(f'a.inspection-link[href="/inspections/{inspection.id}"]') is not None
        assert defect_page.select_one("h1 .sev-dot") is not None
        assert defect_page.select_one("ul.gallery") is not None or not photos
    finally:
        await client.__aexit__(None, None, None)


async def test_inspection_access_rules(demo_database_url: str, demo_db: Database) -> None:
    inspection = await damaged_inspection(demo_db)
    owner = await username_of(demo_db, inspection.inspector_id)
    other = "inspector2" if owner == "inspector" else "inspector"
    url = f"/inspections/{inspection.id}"
    for username, expected in [(owner, 200), (other, 404), ("admin", 200), ("green", 403)]:
        client = await client_of(demo_database_url, username)
        try:
            response = await client.get(url)
            assert response.status_code == expected, (username, response.status_code)
            if expected == 404:  # the same answer as for an id that does not exist
                assert response.status_code == (await client.get(f"/inspections/{uuid.uuid4()}")).status_code
        finally:
            await client.__aexit__(None, None, None)
    async with make_client(demo_database_url) as anonymous:
        response = await anonymous.get(url, follow_redirects=False)
        assert response.status_code in (302, 303, 401)


async def test_asset_page_links_my_inspections(demo_database_url: str, demo_db: Database) -> None:
    async with demo_db.session(write=False) as s:
        me = await s.scalar(select(User.id).where(User.username == "inspector"))
        asset_id = await s.scalar(select(Inspection.asset_id).where(Inspection.inspector_id == me)
                                  .order_by(Inspection.observed_at.desc()).limit(1))
    client = await client_of(demo_database_url, "inspector")
    try:
        soup = page((await client.get(f"/inspect/assets/{asset_id}")).text)
        links = soup.select("table.asset-inspections a.inspection-link")
        assert links
        assert (await client.get(links[0]["href"])).status_code == 200
    finally:
        await client.__aexit__(None, None, None)


# -- offline set-up: the estimate, the server's nearest first ------------------------------------


async def test_estimate_counts_what_the_download_stores(demo_database_url: str) -> None:
    client = await client_of(demo_database_url, "inspector")
    try:
        estimate = (await client.get("/api/offline/estimate")).json()
        bundle_response = await client.get("/api/offline/bundle", headers={"accept-encoding": "identity"})
        bundle = bundle_response.json()
        assert estimate["assets"] == len(bundle["assets"]) > 0
        assert estimate["zones"] == len(bundle["zones"]) == 3
        assert estimate["open_defects"] == len(bundle["open_defects"])
        assert estimate["pages"] == len(bundle["pages"])
        # the bundle's own weight, as sent (generated_at differs by a few characters at most)
        assert abs(estimate["bundle_bytes"] - len(bundle_response.content)) < 64
        standards_bytes = len((await client.get("/api/standards/set", headers={"accept-encoding": "identity"})).content)
        assert abs(estimate["standards_bytes"] - standards_bytes) < 64
        assert estimate["bytes"] == estimate["bundle_bytes"] + estimate["standards_bytes"] + estimate["pages_bytes"]
        # an update since a moment after now has nothing new to store
        later = (await client.get("/api/offline/estimate", params={"since": "2999-01-01T00:00:00+00:00"})).json()
        assert later["assets"] == 0 and later["bytes"] < estimate["bytes"]
        bad = await client.get("/api/offline/estimate", params={"since": "yesterday"})
        assert bad.status_code == 422 and bad.json()["field"] == "since"
    finally:
        await client.__aexit__(None, None, None)


async def test_nearest_first_is_sorted_by_the_server_over_all_my_assets(demo_database_url: str, demo_db: Database) -> None:
    from server.core.geo import distance_m

    async with demo_db.session(write=False) as s:
        assets = list((await s.execute(
            select(Asset).where(Asset.active.is_(True)).order_by(Asset.code.desc()).limit(400))).scalars())
    client = await client_of(demo_database_url, "inspector")
    try:
        mine = {li["data-id"] for li in page((await client.get("/inspect/assets?q=")).text).select("#asset-list > li")}
        # a point next to an asset of my zones far down the list by code (not in the first 50)
        everyone = (await client.get("/api/offline/bundle")).json()["assets"]
        by_code = sorted(everyone, key=lambda a: a["code"])
        target = by_code[-1]
        assert target["id"] not in mine  # the page's list (first 50 by code) does not hold it
        lat, lon = target["lat"] + 0.00001, target["lon"]
        answer = (await client.get("/api/offline/nearest", params={"lat": lat, "lon": lon})).json()
        assert answer["total"] == len(everyone)
        got = answer["assets"]
        assert got[0]["id"] == target["id"] and got[0]["distance_m"] < 3
        expected = sorted(everyone, key=lambda a: distance_m(lat, lon, a["lat"], a["lon"]))[:len(got)]
        assert [a["distance_m"] for a in got] == sorted(a["distance_m"] for a in got)
        assert [a["id"] for a in got][:10] == [a["id"] for a in expected][:10]
        assert {a["zone_code"] for a in got} <= {"Z1", "Z2", "Z3"}
        # another zone's asset is never listed, however near
        theirs = next(a for a in assets if a.id not in {x["id"] for x in everyone} and str(a.id) not in {x["id"] for x in everyone})
        near_theirs = (await client.get("/api/offline/nearest", params={"lat": theirs.lat, "lon": theirs.lon})).json()
        assert str(theirs.id) not in {a["id"] for a in near_theirs["assets"]}
        # a search narrows it, still nearest first
        narrowed = (await client.get("/api/offline/nearest", params={"lat": lat, "lon": lon, "q": target["code"]})).json()
        assert narrowed["assets"][0]["id"] == target["id"] and narrowed["total"] >= 1
        for params in ({"lat": "91", "lon": "0"}, {"lat": "0"}, {"lat": "x", "lon": "0"}):
            bad = await client.get("/api/offline/nearest", params=params)
            assert bad.status_code == 422, params
    finally:
        await client.__aexit__(None, None, None)


# -- refusals in words ---------------------------------------------------------------------------


def test_refused_fields_are_named_in_words_once() -> None:
    import standards
    from sync.labels import error_words, field_words

    standard = standards.load_standards().current()
    assert field_words("body.asset_id", "zh", standard) == "设施"
    assert field_words("body.damages[0].depth_mm", "zh", standard) == "第 1 处破损 · 坑洼深度"
    assert field_words("body.damages[1].type", "en", standard) == "Damage no. 2 · Type of damage"
    assert field_words("body.observations.dead_foliage_pct", "en", standard).startswith("Dead branches")
    assert field_words("body.photos[2].sha256", "en", standard) == "Photo 3"
    assert field_words("records", "en", standard) is None
    words = error_words("body.asset_id", "body.asset_id:该设施已停用。", "zh", standard)
    assert words == {"label": "设施", "text": "该设施已停用。"}
    assert "body" not in words["text"] and "asset_id" not in words["text"]
    engine = error_words("body.observations.dead_foliage_pct", "observations.dead_foliage_pct: outside the physical range",
                         "en", standard)
    assert engine["text"] == "outside the physical range"


# -- devices by name -----------------------------------------------------------------------------


async def test_the_phone_is_named_at_sign_in_and_histories_show_the_name(client: AsyncTestClient, database: Database) -> None:
    from server.accounts.devices import Device, device_names
    from tests.conftest import csrf_token
    from tests.factories import PASSWORD
    from tests.workorder_helpers import build_world

    world = await build_world(database)
    del world
    async with database.session(write=False) as s:
        supervisor = await s.scalar(select(User).where(User.role == "supervisor").limit(1))
    assert supervisor is not None
    token = await csrf_token(client)
    answer = await client.post("/login", data={"username": supervisor.username, "password": PASSWORD,
                                               "_csrf_token": token, "device_id": "phone-abc", "device_name": "  王主管的 平板  "},
                               follow_redirects=False)
    assert answer.status_code == 303, answer.text
    async with database.session(write=False) as s:
        device = await s.get(Device, "phone-abc")
        assert device is not None and device.name == "王主管的 平板" and device.user_id == supervisor.id
        assert await device_names(s, ["phone-abc", "unknown", None]) == {"phone-abc": "王主管的 平板"}
    # renamed from the menu; a blank or unstorable name is a 422 naming the field
    token = await csrf_token(client, "/supervise")
    renamed = await client.post("/device", data={"device_id": "phone-abc", "device_name": "Desk tablet", "next": "/supervise",
                                                 "_csrf_token": token}, follow_redirects=False)
    assert renamed.status_code == 303 and renamed.headers["location"] == "/supervise"
    for bad in ("   ", "a\x00b"):
        refused = await client.post("/device", data={"device_id": "phone-abc", "device_name": bad, "_csrf_token": token},
                                    headers={"accept": "application/json"})
        assert refused.status_code == 422 and refused.json()["field"] == "device_name"
    async with database.session(write=False) as s:
        assert (await s.get(Device, "phone-abc")).name == "Desk tablet"
