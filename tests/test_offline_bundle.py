"""GET /api/offline/bundle: the data of the inspector's zones, whole or as changes since (docs/sync.md §3);
GET /api/offline/nearby: the same data around one point; GET /api/offline/me: whom the outbox sends for."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from server.assets.models import Asset
from server.core.audit.service import record_event
from server.core.db import Database, utcnow
from server.defects.models import Defect
from server.inspections.models import Inspection
from server.core.geo import offset
from server.core.workorder_settings import get_workorder_settings
from tests.conftest import sign_in
from tests.factories import add_site_with_asset, add_user
from tests.sync_helpers import FAILING_SE1, add_asset, add_zone, inspection, phone, record, send

HOUR_AGO = dt.timedelta(hours=1)


async def _site(database: Database) -> dict[str, uuid.UUID]:
    """Zone Z (asset, bench B, bench C with an old open defect) and zone Y (one asset), all an hour old."""
    ids = await add_site_with_asset(database)
    ids["b"] = await add_asset(database, ids["zone"], "seating", "Z-SE-B")
    ids["c"] = await add_asset(database, ids["zone"], "seating", "Z-SE-C")
    ids["y"] = await add_zone(database, ids["site"], "Y", 118.72, 32.10)
    ids["far"] = await add_asset(database, ids["y"], "road_asphalt", "Y-RA-1", lon=118.725)
    old = utcnow() - HOUR_AGO
    someone = await add_user(database, "earlier", "inspector")
    async with database.session() as s:
        await s.execute(update(Asset).values(created_at=old, updated_at=old))
        for key in ("c", "far"):
            seen = Inspection(
                id=uuid.uuid4(), asset_id=ids[key], inspector_id=someone, observed_at=old, received_at=old,
                observations={}, damages=[], not_applicable=[], standards_version="2026.1",
                verdict="non_compliant", content_hash=hashlib.sha256(key.encode()).hexdigest(),
            )
            s.add(seen)
            await s.flush()
            defect = Defect(
                asset_id=ids[key], zone_id=ids["zone"] if key == "c" else ids["y"], category="seating",
                clause_id="SE-3", severity="normal", lat=32.1, lon=118.7, opened_at=old, respond_by=old,
                opened_by_inspection_id=seen.id, last_inspection_id=seen.id,
            )
            s.add(defect)
            await s.flush()
            ids[f"defect_{key}"] = defect.id
    return ids


async def _bundle(client: AsyncTestClient, since: str | None = None) -> dict[str, Any]:
    response = await client.get("/api/offline/bundle", params={"since": since} if since else None)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_bundle_holds_my_zones_only(client: AsyncTestClient, database: Database) -> None:
    ids = await _site(database)
    await phone(client, database, zones=[ids["zone"]])
    bundle = await _bundle(client)
    assert [z["code"] for z in bundle["zones"]] == ["Z"]
    assert bundle["zones"][0]["outline"]["type"] == "Polygon"
    assert {a["id"] for a in bundle["assets"]} == {str(ids["asset"]), str(ids["b"]), str(ids["c"])}
    assert [d["id"] for d in bundle["open_defects"]] == [str(ids["defect_c"])]
    # What the phone needs to warn of likely duplicates with no network.
    assert bundle["duplicate_distance_m"] == 10
    defect = bundle["open_defects"][0]
    assert (defect["asset_id"], defect["category"], defect["clause_id"]) == (str(ids["c"]), "seating", "SE-3")
    assert (defect["lat"], defect["lon"]) == (32.1, 118.7)
    assert bundle["removed"] == {"assets": [], "defects": []}
    # The version in force today (2026.1 until 2027-01-01, then the operator's 2027.1).
    from standards import load_standards

    in_force = load_standards().for_date(dt.date.today())
    assert bundle["standards_version"] == in_force.version and bundle["standards_etag"] == in_force.etag
    c = next(a for a in bundle["assets"] if a["id"] == str(ids["c"]))
    assert c["last_verdict"] == "non_compliant" and c["last_inspected_at"] is not None
    assert c["qr_token"] == "qr-Z-SE-C" and c["active"] is True
    assert bundle["pages"] == [
        "/inspect", "/inspect/assets", "/inspect/assets/new", "/inspect/outbox", "/inspect/assets/shell",
        "/inspect/hazard", "/inspect/form/seating",
    ]


async def test_supervisors_get_every_zone(client: AsyncTestClient, database: Database) -> None:
    ids = await _site(database)
    await phone(client, database, "boss", role="supervisor")
    bundle = await _bundle(client)
    assert [z["code"] for z in bundle["zones"]] == ["Y", "Z"]
    assert str(ids["far"]) in {a["id"] for a in bundle["assets"]}
    assert bundle["pages"][-2:] == ["/inspect/form/road_asphalt", "/inspect/form/seating"]


async def test_an_inspector_without_zones_gets_an_empty_bundle(client: AsyncTestClient, database: Database) -> None:
    await _site(database)
    await phone(client, database)
    bundle = await _bundle(client)
    assert bundle["zones"] == [] and bundle["assets"] == [] and bundle["open_defects"] == []


async def test_since_returns_only_changes_and_removals(client: AsyncTestClient, database: Database) -> None:
    ids = await _site(database)
    user = await phone(client, database, zones=[ids["zone"], ids["y"]])
    first = await _bundle(client)
    assert len(first["assets"]) == 4
    # Changes after the first download: an inspection opens a defect on the asset, bench B is
    # taken out of use, bench C's old defect is closed; in zone Y nothing happens.
    result = (await send(client, record("inspection", inspection(ids["asset"], FAILING_SE1)))).json()["results"][0]
    (new_defect,) = result["result"]["defects_opened"]
    async with database.session() as s:
        await s.execute(update(Asset).where(Asset.id == ids["b"]).values(active=False))
        await s.execute(update(Defect).where(Defect.id == ids["defect_c"]).values(status="closed", closed_at=utcnow()))
        await record_event(s, user, "defect.closed", "defect", str(ids["defect_c"]))
    delta = await _bundle(client, first["generated_at"])
    assert [a["id"] for a in delta["assets"]] == [str(ids["asset"])]
    assert delta["assets"][0]["last_verdict"] == "non_compliant"
    assert delta["removed"] == {"assets": [str(ids["b"])], "defects": [str(ids["defect_c"])]}
    assert [d["id"] for d in delta["open_defects"]] == [new_defect]
    assert delta["open_defects"][0]["clause_id"] == "SE-1"
    # A defect is raised where its asset stands: the delta carries that position too.
    assert (delta["open_defects"][0]["lat"], delta["open_defects"][0]["lon"]) == (32.105, 118.705)
    assert delta["duplicate_distance_m"] == 10
    # Pages do not grow with the assets: the shell stands for every asset page.
    assert not any(p.startswith("/inspect/assets/") and p[16:] in {str(i) for i in ids.values()} for p in delta["pages"])
    assert [z["code"] for z in delta["zones"]] == ["Y", "Z"]  # zones always whole
    assert delta["since"] is not None
    # Nothing changed since the delta (beyond the overlap window): nothing listed.
    later = (dt.datetime.fromisoformat(delta["generated_at"]) + dt.timedelta(minutes=3)).isoformat()
    quiet = await _bundle(client, later)
    assert quiet["assets"] == [] and quiet["open_defects"] == [] and quiet["removed"] == {"assets": [], "defects": []}


async def test_changes_outside_my_zones_stay_out_of_the_delta(client: AsyncTestClient, database: Database) -> None:
    ids = await _site(database)
    await phone(client, database, zones=[ids["zone"]])
    first = await _bundle(client)
    async with database.session() as s:
        await s.execute(update(Asset).where(Asset.id == ids["far"]).values(active=False))
        await s.execute(update(Defect).where(Defect.id == ids["defect_far"]).values(status="closed", closed_at=utcnow()))
    delta = await _bundle(client, first["generated_at"])
    assert delta["assets"] == [] and delta["removed"] == {"assets": [], "defects": []}


async def test_a_bad_since_is_refused(client: AsyncTestClient, database: Database) -> None:
    await _site(database)
    await phone(client, database)
    for since in ("yesterday", "2026-11-22T10:00:00"):
        response = await client.get("/api/offline/bundle", params={"since": since}, headers={"Accept-Language": "en"})
        assert response.status_code == 422
        assert response.json()["code"] == "bad_since" and response.json()["field"] == "since"


async def test_the_demo_inspector_gets_the_three_demo_zones(demo_client: AsyncTestClient) -> None:
    await sign_in(demo_client, "inspector", "Inspect-2026-demo")
    bundle = await _bundle(demo_client)
    assert [z["code"] for z in bundle["zones"]] == ["Z1", "Z2", "Z3"]
    assert bundle["assets"] and all(a["code"][:2] in {"Z1", "Z2", "Z3"} for a in bundle["assets"])
    zone_ids = {z["id"] for z in bundle["zones"]}
    assert all(a["zone_id"] in zone_ids for a in bundle["assets"])
    asset_ids = {a["id"] for a in bundle["assets"]}
    assert bundle["open_defects"] and all(d["asset_id"] in asset_ids for d in bundle["open_defects"])
    assert sum(1 for a in bundle["assets"] if a["last_inspected_at"]) > len(bundle["assets"]) // 2
    assert len(bundle["pages"]) == 6 + len({a["category"] for a in bundle["assets"]})


# -- the bundle around one point ------------------------------------------------------------------


async def _nearby(client: AsyncTestClient, lat: float, lon: float, category: str = "seating") -> dict[str, Any]:
    response = await client.get("/api/offline/nearby", params={"lat": lat, "lon": lon, "category": category})
    assert response.status_code == 200, response.text
    return response.json()


async def test_nearby_lists_what_is_within_the_duplicate_distance(
    client: AsyncTestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _site(database)  # Z-1, B and C stand together at (32.105, 118.705)
    north_12, _ = offset(32.105, 118.705, 12, 0)
    ids["d"] = await add_asset(database, ids["zone"], "seating", "Z-SE-D", lat=north_12)
    await add_asset(database, ids["zone"], "road_asphalt", "Z-RA-E")  # same spot, another category
    await phone(client, database, zones=[ids["zone"]])
    here = await _nearby(client, 32.105, 118.705)
    assert here["duplicate_distance_m"] == 10
    assert [a["code"] for a in here["assets"]] == ["Z-1", "Z-SE-B", "Z-SE-C"]  # D is 12 m away
    bundle = await _bundle(client)
    assert here["assets"][2] == next(a for a in bundle["assets"] if a["id"] == str(ids["c"]))  # the bundle's shape
    # C's defect was raised far from here, but it is on an asset that is near: the phone needs it.
    assert here["open_defects"] == bundle["open_defects"]

    monkeypatch.setenv("DUPLICATE_DISTANCE_M", "15")  # the configured distance is the one used
    get_workorder_settings.cache_clear()
    try:
        wider = await _nearby(client, 32.105, 118.705)
        assert wider["duplicate_distance_m"] == 15
        assert [a["code"] for a in wider["assets"]] == ["Z-1", "Z-SE-B", "Z-SE-C", "Z-SE-D"]
        assert (await _bundle(client))["duplicate_distance_m"] == 15
    finally:
        monkeypatch.undo()  # the default again before anything caches the settings
        get_workorder_settings.cache_clear()


async def test_nearby_keeps_to_my_zones_and_refuses_bad_points(client: AsyncTestClient, database: Database) -> None:
    ids = await _site(database)
    await phone(client, database, zones=[ids["y"]])  # not zone Z, where the benches are
    assert await _nearby(client, 32.105, 118.705) == {"duplicate_distance_m": 10, "assets": [], "open_defects": []}
    for params, field in (({"lat": "91", "lon": "118.7"}, "lat"), ({"lat": "32.1", "lon": "x"}, "lon"),
                          ({"lat": "32.1"}, "lon"), ({"lat": "nan", "lon": "118.7"}, "lat")):
        response = await client.get("/api/offline/nearby", params={**params, "category": "seating"},
                                    headers={"Accept-Language": "en"})
        assert response.status_code == 422, params
        assert (response.json()["code"], response.json()["field"]) == ("out_of_range", field)
    response = await client.get("/api/offline/nearby", params={"lat": 32.1, "lon": 118.7, "category": "swing"})
    assert response.status_code == 422 and response.json()["code"] == "unknown_category"


async def test_me_names_the_signed_in_user_for_every_role(client: AsyncTestClient, database: Database) -> None:
    assert (await client.get("/api/offline/me")).status_code == 401
    user_id = await phone(client, database, "firm", role="contractor")  # contractors have an outbox too
    me = (await client.get("/api/offline/me")).json()
    assert me == {"id": str(user_id), "username": "firm", "display_name": "Firm", "role": "contractor"}
    assert (await client.get("/api/offline/nearby", params={"lat": 32.1, "lon": 118.7, "category": "seating"})
            ).status_code == 403

