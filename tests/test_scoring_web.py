"""The scores through HTTP: API, pages, evidence, trend SVG, CSV, closing, and who sees what."""

from __future__ import annotations

import csv
import io
import re

from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.core.audit.models import AuditEvent
from server.core.db import Database
from tests.conftest import csrf_token, sign_in
from tests.factories import PASSWORD
from tests.test_scoring_example import build_example

MONTH = "2026-03"


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


async def test_api_answers_the_worked_example(client: AsyncTestClient, database: Database) -> None:
    await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    response = await client.get(f"/api/scores?month={MONTH}&scope=zone&zone=A")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["month"] == MONTH and body["timezone"] == "Asia/Shanghai" and body["status"] == "final"
    assert body["scoring_version"] == "2026.1" and body["standards_version"] == "2026.1"
    assert body["rule"]["weights"] == {"compliance": 0.6, "timeliness": 0.25, "coverage": 0.15}
    [zone] = body["scores"]
    assert zone["scope"] == "zone:A" and zone["score"] == 63.5 and zone["payment_pct"] == 80
    assert (zone["assets"], zone["inspected"], zone["compliant"], zone["orders_due"]) == (6, 5, 3, 5)
    assert round(zone["coverage"], 4) == 0.8333

    every = (await client.get(f"/api/scores?month={MONTH}")).json()["scores"]
    assert [s["scope"] for s in every][:3] == ["site", "zone:A", "zone:B"]
    assert {s["scope"]: s["score"] for s in every}["contractor:CIVIL"] == 66.3
    zones = (await client.get(f"/api/scores?month={MONTH}&scope=zone")).json()["scores"]
    assert [(s["scope"], s["score"], s["notes"]) for s in zones] == [
        ("zone:A", 63.5, []), ("zone:B", None, ["no_assets", "no_orders_due"])]


async def test_api_refuses_bad_input_clearly(client: AsyncTestClient, database: Database) -> None:
    await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    bad = await client.get("/api/scores?month=2026-13")
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_month" and bad.json()["field"] == "month"
    assert "2026-13" in bad.json()["message"]
    unknown = await client.get(f"/api/scores?month={MONTH}&zone=Z9")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_zone" and unknown.json()["field"] == "zone"
    assert (await client.get(f"/api/scores?month={MONTH}&scope=planet")).json()["code"] == "unknown_scope"
    assert (await client.get("/api/scores?month=2025-06")).json()["code"] == "no_scoring_rule"
    assert (await client.get("/api/scores")).status_code == 400   # month is required
    page = await client.get("/scores/2026-13", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 400 and "2026-13" in page.text


async def test_a_contractor_sees_only_its_own_scope(client: AsyncTestClient, database: Database) -> None:
    await build_example(database)
    await sign_in(client, "civil", PASSWORD)
    own = await client.get(f"/api/scores?month={MONTH}")
    assert own.status_code == 200 and [s["scope"] for s in own.json()["scores"]] == ["contractor:CIVIL"]
    assert own.json()["scores"][0]["score"] == 66.3
    assert (await client.get(f"/api/scores?month={MONTH}&contractor=CIVIL")).status_code == 200

    other = await client.get(f"/api/scores?month={MONTH}&contractor=GREEN")
    missing = await client.get(f"/api/scores?month={MONTH}&contractor=NOPE")
    assert other.status_code == missing.status_code == 404
    assert other.json()["code"] == missing.json()["code"] == "unknown_contractor"
    for url in (f"/api/scores?month={MONTH}&scope=zone", f"/api/scores?month={MONTH}&scope=site",
                f"/api/scores?month={MONTH}&zone=A", f"/scores/{MONTH}/evidence?scope=contractor:GREEN",
                f"/scores/{MONTH}/trend?scope=site", f"/scores/{MONTH}/evidence.csv?scope=zone:A",
                f"/scores/{MONTH}/trend.svg?scope=contractor:GREEN"):
        assert (await client.get(url)).status_code == 404, url

    page = soup((await client.get(f"/scores/{MONTH}")).text)
    assert [tr["data-scope"] for tr in page.select("table.scores tbody tr")] == ["contractor:CIVIL"]
    assert not page.select("form[action$='/close']") and not page.select("svg.defect-map")
    evidence = await client.get(f"/scores/{MONTH}/evidence?scope=contractor:CIVIL&figure=timeliness")
    assert evidence.status_code == 200 and len(soup(evidence.text).select("table.evidence-orders tbody tr")) == 6
    rows = list(csv.reader(io.StringIO((await client.get(f"/scores/{MONTH}/scores.csv")).text.lstrip("\ufeff"))))
    assert [r[2] for r in rows[1:]] == ["contractor:CIVIL"]


async def test_inspectors_and_strangers_are_kept_out(client: AsyncTestClient, database: Database) -> None:
    await build_example(database)
    assert (await client.get(f"/api/scores?month={MONTH}")).status_code == 401
    await sign_in(client, "li", PASSWORD)
    assert (await client.get(f"/api/scores?month={MONTH}")).status_code == 403
    assert (await client.get(f"/scores/{MONTH}")).status_code == 403


async def test_the_api_is_in_the_openapi_schema(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/scores"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"month", "scope", "zone", "contractor", "category"} <= names
    assert any("ScoreOut" in key for key in schema["components"]["schemas"])


async def test_the_month_page_has_a_table_per_zone_contractor_and_category(client: AsyncTestClient,
                                                                          database: Database) -> None:
    await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    response = await client.get(f"/scores/{MONTH}", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.headers["vary"].startswith("HX-Request")
    page = soup(response.text)
    tables = {t["data-kind"]: [tr["data-scope"] for tr in t.select("tbody tr")] for t in page.select("table.scores")}
    assert tables == {"zone": ["zone:A", "zone:B"], "contractor": ["contractor:CIVIL", "contractor:GREEN"],
                      "category": [f"category:{k}" for k in ("green_space", "heritage_tree", "tree_guard", "planter",
                                                             "road_asphalt", "road_concrete", "sidewalk",
                                                             "sculpture", "seating")]}
    zone_a = page.select_one("tr[data-scope='zone:A']")
    assert zone_a.select_one("[data-figure=score]").get_text(strip=True) == "63.5"
    assert zone_a.select_one("[data-figure=coverage]").get_text(strip=True) == "83.3 %"
    # Every figure links to its evidence.
    for cell in zone_a.select("[data-figure]:not([data-figure=payment])"):
        href = cell.select_one("a")["href"]
        assert href.startswith(f"/scores/{MONTH}/evidence?scope=zone%3AA"), href
    assert page.select_one("tr[data-scope='zone:B'] .note-no_assets") is not None
    assert page.select_one("dl.summary [data-figure=score]").get_text(strip=True) == "63.5"
    assert page.select_one("svg.defect-map title") is not None
    assert page.select_one("form[action='/scores/2026-03/close']") is not None
    nav = page.select_one("nav.nav a[href='/scores']")
    assert nav is not None and nav.get("aria-current") == "page"
    fragment = await client.get(f"/scores/{MONTH}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "table" in fragment.text


async def test_evidence_lists_the_inspections_and_orders_behind_the_figures(client: AsyncTestClient,
                                                                            database: Database) -> None:
    ex = await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    page = soup((await client.get(f"/scores/{MONTH}/evidence?scope=zone:A", headers={"Accept-Language": "en"})).text)
    assets = {tr["data-asset"]: tr for tr in page.select("table.evidence-assets tbody tr")}
    assert sorted(assets) == ["A1", "A2", "A3", "A4", "A5", "A6"]           # A7 is inactive
    assert assets["A1"]["data-inspection"] == str(ex["A1 2026-03-20 09:30"])  # the latest counts
    assert "Not inspected" in assets["A4"].get_text()
    assert assets["A3"].select_one("time").get_text() == "2026-03-31 23:59"
    outcomes = {tr["data-order"]: tr["data-outcome"] for tr in page.select("table.evidence-orders tbody tr")}
    assert outcomes == {"WO-1": "on_time", "WO-2": "on_time", "WO-3": "on_time", "WO-4": "late", "WO-5": "late",
                        "WO-6": "cancelled"}
    assert "Coverage = 5 inspected ÷ 6 assets = 83.3 %" in page.get_text()
    compliance = soup((await client.get(f"/scores/{MONTH}/evidence?scope=zone:A&figure=compliance")).text)
    assert len(compliance.select("table.evidence-assets tbody tr")) == 5 and not compliance.select(".evidence-orders")
    assets_csv = (await client.get(f"/scores/{MONTH}/evidence.csv?scope=zone:A&part=assets")).text
    rows = list(csv.DictReader(io.StringIO(assets_csv.lstrip("\ufeff"))))
    assert [r["asset_code"] for r in rows] == ["A1", "A2", "A3", "A4", "A5", "A6"]
    assert rows[0]["latest_observed_at"] == "2026-03-20T09:30+08:00" and rows[0]["inspections_in_month"] == "2"
    orders = list(csv.DictReader(io.StringIO(
        (await client.get(f"/scores/{MONTH}/evidence.csv?scope=site&part=orders")).text.lstrip("\ufeff"))))
    assert {r["order_code"]: r["outcome"] for r in orders}["WO-5"] == "late"
    assert (await client.get(f"/scores/{MONTH}/evidence?scope=zone:A&figure=speed")).status_code == 400
    assert (await client.get(f"/scores/{MONTH}/evidence?scope=zone:Q")).status_code == 404


async def test_scores_csv_has_every_scope(client: AsyncTestClient, database: Database) -> None:
    await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    response = await client.get(f"/scores/{MONTH}/scores.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("\ufeff") and "attachment" in response.headers["content-disposition"]
    rows = {r["scope"]: r for r in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))}
    assert rows["site"]["score"] == "63.5" and rows["site"]["coverage"] == "0.8333"
    assert rows["zone:B"]["score"] == "" and rows["zone:B"]["notes"] == "no_assets no_orders_due"
    assert rows["contractor:CIVIL"]["payment_pct"] == "80" and rows["site"]["name_zh"] == "滨河绿带"


async def test_the_trend_is_an_accessible_svg_made_on_the_server(client: AsyncTestClient, database: Database) -> None:
    await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    page = soup((await client.get(f"/scores/{MONTH}/trend?scope=zone:A", headers={"Accept-Language": "en"})).text)
    svg = page.select_one("svg.trend-chart")
    assert svg is not None and svg["role"] == "img" and not page.select("script:not([src]):not([type='application/json'])")
    labelled = svg["aria-labelledby"].split()
    assert svg.select_one(f"#{labelled[0]}").name == "title" and svg.select_one(f"#{labelled[1]}").name == "desc"
    assert "2026-03: Score 63.5" in svg.select_one("desc").get_text()
    texts = [t.get_text() for t in svg.select("text")]
    assert "Month" in texts and "Score / %" in texts
    months = [tr["data-month"] for tr in page.select("table.trend-data tbody tr")]
    assert months[0] == "2025-04" and months[-1] == MONTH and len(months) == 12
    alone = await client.get(f"/scores/{MONTH}/trend.svg?scope=zone:A")
    assert alone.headers["content-type"].startswith("image/svg+xml") and alone.text.startswith("<svg")
    assert re.search(r'<circle cx="[\d.]+" cy="[\d.]+" r="3.5"', alone.text)


async def test_closing_and_reopening_through_the_pages(client: AsyncTestClient, database: Database) -> None:
    ex = await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    token = await csrf_token(client, f"/scores/{MONTH}")
    closed = await client.post(f"/scores/{MONTH}/close", data={"_csrf_token": token}, follow_redirects=False)
    assert closed.status_code == 303 and closed.headers["location"] == f"/scores/{MONTH}"
    page = soup((await client.get(f"/scores/{MONTH}")).text)
    assert page.select_one("[data-status]")["data-status"] == "closed" and page.select_one("#closed-notice")
    assert (await client.get(f"/api/scores?month={MONTH}")).json()["status"] == "closed"
    again = await client.post(f"/scores/{MONTH}/close", data={"_csrf_token": token},
                              headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.json()["code"] == "month_closed"
    # A supervisor cannot reopen; an admin can, with a reason.
    assert (await client.post(f"/scores/{MONTH}/reopen", data={"_csrf_token": token, "reason": "x"})).status_code == 403
    await sign_in(client, "admin", PASSWORD)
    token = await csrf_token(client, f"/scores/{MONTH}")
    no_reason = await client.post(f"/scores/{MONTH}/reopen", data={"_csrf_token": token, "reason": ""},
                                  headers={"Accept": "application/json"})
    # 422 as every missing reason (one code, one status: server/core/error_codes.py)
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    assert no_reason.json()["code"] == "reason_required"
    reopened = await client.post(f"/scores/{MONTH}/reopen", data={"_csrf_token": token, "reason": "late sync"},
                                 follow_redirects=False)
    assert reopened.status_code == 303
    assert (await client.get(f"/api/scores?month={MONTH}")).json()["status"] == "final"
    async with database.session(write=False) as s:
        actions = (await s.execute(select(AuditEvent.action, AuditEvent.user_id).where(
            AuditEvent.entity_type == "closed_month").order_by(AuditEvent.id))).all()
    assert actions == [("scoring.month_closed", ex["boss"]), ("scoring.month_reopened", ex["admin"])]
    early = await client.post("/scores/2099-01/close", data={"_csrf_token": token},
                              headers={"Accept": "application/json"})
    assert early.status_code == 409 and early.json()["code"] == "month_not_over"
