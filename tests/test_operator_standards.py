"""The operator's standards version (2027.1): the server judges each record by the version in
force at its observed_at. The sync clock is set explicitly, so the tests hold on any date."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.core.db import Database
from server.defects.models import Defect
from server.inspections.models import Inspection
from tests.factories import add_site_with_asset
from tests.sync_helpers import add_asset, inspection, phone, record, send

NOW = dt.datetime(2027, 1, 10, 2, 0, tzinfo=dt.timezone.utc)  # the server's clock in these tests
LIGHT_OK = {"lit_at_night": True, "exposed_wiring": False, "tilt_deg": 1}


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import sync.service

    monkeypatch.setattr(sync.service, "utcnow", lambda: NOW)


async def _setup(client: AsyncTestClient, database: Database) -> dict:
    ids = await add_site_with_asset(database)
    ids["light"] = await add_asset(database, ids["zone"], "street_light", "SL-0001")
    ids["user"] = await phone(client, database, zones=[ids["zone"]])
    return ids


async def test_observed_at_picks_the_version(client: AsyncTestClient, database: Database) -> None:
    ids = await _setup(client, database)
    # The seat, observed either side of 2027-01-01 (Shanghai time): 2026.1, then 2027.1.
    before = record("inspection", inspection(ids["asset"], observed_at="2026-12-31T23:59:00+08:00"))
    after = record("inspection", inspection(ids["asset"], observed_at="2027-01-01T00:01:00+08:00",
                                            standards_version="2027.1"))
    light = record("inspection", inspection(ids["light"], LIGHT_OK, observed_at="2027-01-02T09:00:00+08:00",
                                            standards_version="2027.1"))
    failing = record("inspection", inspection(ids["light"], {**LIGHT_OK, "exposed_wiring": True},
                                              observed_at="2027-01-03T09:00:00+08:00", standards_version="2027.1"))
    results = (await send(client, before, after, light, failing)).json()["results"]
    assert [r["status"] for r in results] == [201, 201, 201, 201], results
    assert [r["result"]["standards_version"] for r in results] == ["2026.1", "2027.1", "2027.1", "2027.1"]
    assert results[2]["result"]["clauses"] == {"SL-1": "pass", "SL-2": "pass", "SL-3": "pass"}
    assert results[3]["result"]["clauses"]["SL-2"] == "fail" and results[3]["result"]["verdict"] == "non_compliant"
    async with database.session(write=False) as s:
        stored = dict((await s.execute(select(Inspection.id, Inspection.standards_version))).all())
        defect = (await s.execute(select(Defect).where(Defect.asset_id == ids["light"]))).scalar_one()
    assert sorted(stored.values()) == ["2026.1", "2027.1", "2027.1", "2027.1"]
    # The defect takes the clause's severity in the version it was judged by (SL-2 is urgent).
    assert (defect.clause_id, defect.severity) == ("SL-2", "urgent")


async def test_a_street_light_observed_before_its_version_is_refused(client: AsyncTestClient,
                                                                      database: Database) -> None:
    ids = await _setup(client, database)
    early = record("inspection", inspection(ids["light"], LIGHT_OK, observed_at="2026-12-31T12:00:00+08:00"))
    [result] = (await send(client, early)).json()["results"]
    assert result["status"] == 422 and result["field"] == "body.asset_id", result
    assert result["errors"][0]["code"] == "unknown_category"
    async with database.session(write=False) as s:
        assert (await s.execute(select(Inspection.id))).first() is None


async def test_the_api_serves_each_version_with_its_etag(client: AsyncTestClient, database: Database) -> None:
    await _setup(client, database)
    first = await client.get("/api/standards?date=2026-12-31")
    second = await client.get("/api/standards?date=2027-01-01")
    assert first.json()["version"] == "2026.1" and second.json()["version"] == "2027.1"
    assert first.headers["etag"] != second.headers["etag"]
    assert second.json()["categories"]["street_light"]["written_by"] == "operator"
    assert "written_by" not in second.json()["categories"]["seating"]
    again = await client.get("/api/standards?date=2027-01-01", headers={"If-None-Match": second.headers["etag"]})
    assert again.status_code == 304


async def test_the_standards_page_marks_the_operators_categories(client: AsyncTestClient,
                                                                 database: Database) -> None:
    await _setup(client, database)
    page = await client.get("/standards?version=2027.1", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    from bs4 import BeautifulSoup

    html = BeautifulSoup(page.text, "html.parser")
    marked = {section["id"] for section in html.select("section.standard-category")
              if section.select_one(".written-by-operator")}
    assert marked == {"cat-street_light", "cat-railing", "cat-play_equipment", "cat-public_toilet"}
    first = await client.get("/standards?version=2026.1")
    assert "written-by-operator" not in first.text
