"""The defect map, its list, GeoJSON (RFC 7946) and CSV: one filter, the same selection
everywhere, in the URL; on the demo site (read only). The work-order exports on a small world
of their own (tests/workorder_helpers.py), where every order is known."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from typing import Any

import pytest
from bs4 import BeautifulSoup
from litestar.datastructures import MultiDict
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, update

from server.core.config import DatabaseSettings
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.db import Database, utcnow
from server.defects.filters import DefectFilter
from server.defects.models import ACTIVE_STATUSES, Defect
from server.defects.queries import LIST_LIMIT
from server.core.errors import AppError
from server.sites.models import Zone
from server.core.csvfile import neutralise
from server.workorders.models import WorkOrder
from tests.conftest import make_client, sign_in
from tests.workorder_helpers import api_headers, build_world, signed_in


@pytest.fixture
async def supervisor(demo_client: AsyncTestClient) -> AsyncTestClient:
    await sign_in(demo_client, "supervisor", "Super-2026-demo")
    return demo_client


async def count(demo_database_url: str, *conds: Any) -> int:
    db = Database.connect(DatabaseSettings(url=demo_database_url))
    try:
        async with db.session(write=False) as s:
            return int(await s.scalar(select(func.count()).select_from(Defect).join(Zone, Zone.id == Defect.zone_id).where(*conds)) or 0)
    finally:
        await db.dispose()


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def test_the_map_lists_the_filtered_defects(supervisor: AsyncTestClient, demo_database_url: str) -> None:
    page = await supervisor.get("/supervise/map?zone=Z2&severity=high&severity=normal")
    assert page.status_code == 200
    doc = soup(page.text)
    rows = doc.select("#defect-list tbody tr")
    expected = await count(demo_database_url, Zone.code == "Z2", Defect.severity.in_(("high", "normal")),
                           Defect.status.in_(ACTIVE_STATUSES))
    assert expected > 0
    assert int(doc.select_one("#defect-total")["data-total"]) == expected
    assert len(rows) == min(expected, LIST_LIMIT)
    assert {r["data-zone"] for r in rows} == {"Z2"}
    assert {r["data-severity"] for r in rows} <= {"high", "normal"}
    assert {r["data-status"] for r in rows} <= set(ACTIVE_STATUSES)
    # The form shows the filter it came from, so the back button and a shared link agree.
    assert doc.select_one('input[name="zone"][value="Z2"]').has_attr("checked")
    assert not doc.select_one('input[name="zone"][value="Z1"]').has_attr("checked")
    assert doc.select_one('input[name="severity"][value="high"]').has_attr("checked")
    the_map = doc.select_one("#map")
    assert the_map["data-defects"] == "/api/defects.geojson?zone=Z2&severity=high&severity=normal&view=map"
    assert doc.select_one('link[rel="preload"]')["href"] == the_map["data-defects"]  # asked for while parsing
    # The export links carry the same filter.
    assert doc.select_one('a[href^="/api/defects.csv"]')["href"].endswith("?zone=Z2&severity=high&severity=normal")


async def test_the_map_page_obeys_the_content_security_policy(supervisor: AsyncTestClient) -> None:
    page = await supervisor.get("/supervise/map")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    doc = soup(page.text)
    assert not doc.select("[style]")  # no style attributes
    assert not doc.select("style")
    code = doc.select("script:not([type='application/json'])")  # a JSON data block (#fc-words) is not code
    assert all(s.get("src", "").startswith("/static/") for s in code)  # no inline scripts
    assert doc.select_one('script[src="/static/vendor/leaflet/leaflet.js"]')
    assert doc.select_one('link[href="/static/vendor/leaflet/leaflet.css"]')
    assert json.loads(doc.select_one("#map")["data-config"])["tile_url"] == ""


async def test_a_tile_server_is_let_in_only_when_configured(demo_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.core.config import get_settings
    from tests.conftest import make_client

    monkeypatch.setenv("MAP_TILE_URL", "https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    get_settings.cache_clear()
    async with make_client(demo_database_url) as client:
        await sign_in(client, "supervisor", "Super-2026-demo")
        page = await client.get("/supervise/map")
        other = await client.get("/supervise")
    assert "img-src 'self' https://*.tiles.example.org" in page.headers["content-security-policy"]
    assert "tiles.example.org" not in other.headers["content-security-policy"]
    assert json.loads(soup(page.text).select_one("#map")["data-config"])["tile_url"].startswith("https://{s}.tiles")


async def test_geojson_is_rfc7946_and_matches_the_list(supervisor: AsyncTestClient, demo_database_url: str) -> None:
    query = "zone=Z3&severity=normal&status=all"
    answer = await supervisor.get(f"/api/defects.geojson?{query}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    doc = answer.json()
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    expected = await count(demo_database_url, Zone.code == "Z3", Defect.severity == "normal")
    assert len(doc["features"]) == expected > 0
    for f in doc["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert 118 < lon < 119.5 and 31.5 < lat < 32.5  # [longitude, latitude], in that order
        assert f["properties"]["zone"] == "Z3" and f["properties"]["severity"] == "normal"
    page = soup((await supervisor.get(f"/supervise/map?{query}")).text)
    listed = {r["data-defect"] for r in page.select("#defect-list tbody tr")}
    assert listed <= {f["id"] for f in doc["features"]}
    assert len(listed) == min(LIST_LIMIT, expected)


async def test_the_map_asks_only_for_what_it_draws(supervisor: AsyncTestClient) -> None:
    full = (await supervisor.get("/api/defects.geojson?zone=Z1")).json()["features"]
    lean = (await supervisor.get("/api/defects.geojson?zone=Z1&view=map")).json()["features"]
    assert {f["id"]: f["geometry"] for f in lean} == {f["id"]: f["geometry"] for f in full}
    assert {tuple(sorted(f["properties"])) for f in lean} == {("severity", "status")}


async def test_a_bounding_box_narrows_the_geojson(supervisor: AsyncTestClient) -> None:
    every = (await supervisor.get("/api/defects.geojson?status=all")).json()["features"]
    lons = sorted(f["geometry"]["coordinates"][0] for f in every)
    lats = sorted(f["geometry"]["coordinates"][1] for f in every)
    west, east = lons[0], lons[len(lons) // 2]
    south, north = lats[0], lats[-1]
    boxed = (await supervisor.get(f"/api/defects.geojson?status=all&bbox={west},{south},{east},{north}")).json()["features"]
    assert 0 < len(boxed) < len(every)
    assert all(west <= f["geometry"]["coordinates"][0] <= east for f in boxed)
    bad = await supervisor.get("/api/defects.geojson?bbox=1,2,3")
    assert bad.status_code == 422 and bad.json()["field"] == "bbox"


async def test_the_contractor_filter_is_contract_coverage(supervisor: AsyncTestClient, demo_database_url: str) -> None:
    doc = (await supervisor.get("/api/defects.geojson?contractor=GREEN&status=all")).json()
    assert doc["features"]
    db = Database.connect(DatabaseSettings(url=demo_database_url))
    try:
        async with db.session(write=False) as s:
            pairs = set((await s.execute(
                select(Zone.code, ContractCategory.category).select_from(Contract)
                .join(Contractor, Contractor.id == Contract.contractor_id)
                .join(ContractZone, ContractZone.contract_id == Contract.id)
                .join(Zone, Zone.id == ContractZone.zone_id)
                .join(ContractCategory, ContractCategory.contract_id == Contract.id)
                .where(Contractor.code == "GREEN"))).all())
    finally:
        await db.dispose()
    assert {(f["properties"]["zone"], f["properties"]["category"]) for f in doc["features"]} <= pairs


async def test_the_date_range_is_in_the_sites_days(supervisor: AsyncTestClient, demo_database_url: str) -> None:
    every = (await supervisor.get("/api/defects.geojson?status=all")).json()["features"]
    days = sorted({f["properties"]["opened_at"][:10] for f in every})
    middle = days[len(days) // 2]
    some = (await supervisor.get(f"/api/defects.geojson?status=all&from={middle}&to={middle}")).json()["features"]
    later = (await supervisor.get(f"/api/defects.geojson?status=all&from={middle}")).json()["features"]
    assert 0 < len(some) <= len(later) < len(every)
    bad = await supervisor.get(f"/api/defects.geojson?from={days[-1]}&to={days[0]}")
    assert bad.status_code == 422 and bad.json()["code"] == "bad_filter"


@pytest.mark.parametrize(("query", "field"), [
    ("severity=extreme", "severity"), ("status=gone", "status"), ("from=2026-13-01", "from"), ("bbox=a,b,c,d", "bbox"),
    ("bbox=0,50,10,40", "bbox"),
])
async def test_bad_filters_are_named(supervisor: AsyncTestClient, query: str, field: str) -> None:
    for path in ("/api/defects.geojson", "/api/defects.csv", "/api/work-orders"):
        answer = await supervisor.get(f"{path}?{query}", headers={"Accept-Language": "zh-CN"})
        if path == "/api/work-orders" and field in ("severity", "status"):
            continue  # order filters have no severity; their status is wo_status
        assert answer.status_code == 422, (path, query)
        body = answer.json()
        assert (body["code"], body["field"]) == ("bad_filter", field)
        assert re.search(r"[\u4e00-\u9fff]", body["message"])  # in the user's language
    page = await supervisor.get(f"/supervise/map?{query}")
    assert page.status_code == 422 and "<html" in page.text


def test_the_filter_survives_the_url_round_trip() -> None:
    params = MultiDict([("zone", "Z1"), ("zone", "Z2"), ("severity", "urgent"), ("status", "open"),
                        ("from", "2026-09-01"), ("to", "2026-09-30"), ("contractor", "GREEN"), ("clause", "GS-1"),
                        ("category", "green_space"), ("bbox", "118.7,32.1,118.8,32.2")])
    f = DefectFilter.parse(params)
    again = DefectFilter.parse(MultiDict(f.query_items()))
    assert again == f
    assert f.statuses == ("open",) and DefectFilter().statuses == ACTIVE_STATUSES
    with pytest.raises(AppError):
        DefectFilter.parse(MultiDict([("zone", str(i)) for i in range(60)]))


async def test_csv_has_the_same_rows(supervisor: AsyncTestClient, demo_database_url: str) -> None:
    answer = await supervisor.get("/api/defects.csv?zone=Z1&status=all")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == await count(demo_database_url, Zone.code == "Z1")
    assert {r["zone"] for r in rows} == {"Z1"}
    assert all(r["clause_zh"] and r["clause_en"] for r in rows)
    assert any(r["work_order"].startswith("WO-") for r in rows)
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)" and neutralise("plain") == "plain"


async def test_work_order_exports(database: Database, database_url: str) -> None:
    """Three orders issued through the API: ALPHA's two (one an hour past due, one verified),
    BETA's one (due in days). Every list and export shows exactly those it should, with their
    defects' places."""
    world = await build_world(database)
    async with make_client(database_url) as client:
        await signed_in(client, "super")
        made = {}
        for name, codes in (("late", ("Z1-SE-1", "Z1-SE-2")), ("done", ("Z2-SE-1",)), ("beta", ("Z1-GS-1",))):
            answer = await client.post("/api/work-orders", json={"defect_ids": [str(world.defects[c]) for c in codes]},
                                       headers=api_headers(client))
            assert answer.status_code == 201, answer.text
            made[name] = (answer.json()["id"], codes)
        # The clock stays the real one: "late" is made an hour past due, whatever day the test runs.
        # "done" is set verified directly (the lifecycle has its own tests, test_workorders_lifecycle.py).
        now = utcnow()
        async with database.session() as s:
            await s.execute(update(WorkOrder).where(WorkOrder.id == uuid.UUID(made["late"][0])).values(
                due_at=now - dt.timedelta(hours=1)))
            await s.execute(update(WorkOrder).where(WorkOrder.id == uuid.UUID(made["done"][0])).values(
                status="verified", completed_at=now - dt.timedelta(hours=3), verified_at=now - dt.timedelta(hours=2)))
        ids = {name: order_id for name, (order_id, _) in made.items()}

        listed = (await client.get("/api/work-orders?contractor=ALPHA")).json()
        assert listed["total"] == 2
        assert {o["id"]: (o["contractor"], o["defects"]) for o in listed["work_orders"]} == {
            ids["late"]: ("ALPHA", 2), ids["done"]: ("ALPHA", 1)}

        geo = await client.get("/api/work-orders.geojson?contractor=ALPHA")
        assert geo.status_code == 200 and geo.headers["content-type"].startswith("application/geo+json")
        features = {f["id"]: f for f in geo.json()["features"]}
        assert set(features) == {ids["late"], ids["done"]}
        for name in ("late", "done"):
            f = features[ids[name]]
            assert f["geometry"]["type"] == "MultiPoint" and f["properties"]["defects"] == len(made[name][1])
            expected = sorted((lon, lat) for lat, lon in (world.positions[c] for c in made[name][1]))
            got = sorted((lon, lat) for lon, lat in f["geometry"]["coordinates"])
            assert len(got) == len(expected)
            assert all(g == pytest.approx(e, abs=1e-7) for g, e in zip(got, expected))  # lon, lat to ~1 cm
        assert (features[ids["late"]]["properties"]["overdue"], features[ids["done"]]["properties"]["overdue"]) == (
            True, False)

        verified = await client.get("/api/work-orders.csv?wo_status=verified")
        assert verified.status_code == 200 and verified.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(verified.content.decode("utf-8-sig"))))
        assert [(r["id"], r["status"], r["contractor"], r["defects"], r["overdue"]) for r in rows] == [
            (ids["done"], "verified", "ALPHA", "1", "no")]
        assert rows[0]["verified_at"] and rows[0]["completed_at"]

        overdue = (await client.get("/api/work-orders?overdue=1")).json()
        assert overdue["total"] == 1
        assert [(o["id"], o["overdue"]) for o in overdue["work_orders"]] == [(ids["late"], True)]
        everything = (await client.get("/api/work-orders")).json()
        assert everything["total"] == 3
        assert {o["id"]: o["overdue"] for o in everything["work_orders"]} == {
            ids["late"]: True, ids["done"]: False, ids["beta"]: False}


async def test_the_detail_is_a_fragment_for_htmx_and_a_page_otherwise(supervisor: AsyncTestClient) -> None:
    feature = (await supervisor.get("/api/defects.geojson?status=ordered")).json()["features"][0]
    url = f"/supervise/defects/{feature['id']}"
    whole = await supervisor.get(url)
    part = await supervisor.get(url, headers={"HX-Request": "true"})
    restore = await supervisor.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert whole.status_code == part.status_code == 200
    assert "<html" in whole.text and "<html" not in part.text and "<html" in restore.text
    assert "HX-Request" in whole.headers["vary"]
    doc = soup(part.text)
    clause = doc.select_one(".clause-text")
    assert clause.select_one('[lang="zh-CN"]') and clause.select_one('[lang="en"]')
    assert doc.select('a[href^="/supervise/orders/"]')  # its order
    assert doc.select(".evidence")  # the inspections that saw it


async def test_the_overview_and_order_pages_render(supervisor: AsyncTestClient) -> None:
    for path in ("/supervise", "/supervise/orders", "/supervise/orders?overdue=1", "/supervise/notifications",
                 "/supervise/webhooks", "/supervise/orders/new"):
        page = await supervisor.get(path)
        assert page.status_code == 200, path
        assert not soup(page.text).select("[style]"), path
    order = (await supervisor.get("/api/work-orders?wo_status=verified")).json()["work_orders"][0]
    page = await supervisor.get(f"/supervise/orders/{order['id']}")
    assert page.status_code == 200 and order["code"] in page.text
    assert soup(page.text).select(".before-after")
