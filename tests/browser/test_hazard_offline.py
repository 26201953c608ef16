"""A hazard no clause covers, in real Chromium: reported offline on the phone's form,
synced when the phone is back online, then on the supervisor's map (GeoJSON) and page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from server.defects.models import Defect
from server.inspections.models import Inspection
from tests.browser.conftest import LiveServer, collect_errors, context_options, sign_in, wait_for_service_worker
from tests.browser.test_offline_core import count, download_for_offline, outbox, seating_asset, wait_outbox_empty
from server.assets.models import Asset
from server.workorders.geo import offset

pytestmark = pytest.mark.browser
SUPERVISOR = ("supervisor", "Super-2026-demo")


def test_a_hazard_reported_offline_syncs_and_reaches_the_map(browser: Any, live_server: LiveServer) -> None:
    asset_id, _code = seating_asset(live_server)
    ((lat, lon),) = live_server.query(select(Asset.lat, Asset.lon).where(Asset.id == uuid.UUID(asset_id)))
    near = offset(lat, lon, 6, 4)
    phone_ctx = browser.new_context(**{
        **context_options(live_server.url), "timezone_id": "Asia/Shanghai",
        "geolocation": {"latitude": near[0], "longitude": near[1], "accuracy": 5}, "permissions": ["geolocation"],
    })
    page = phone_ctx.new_page()
    errors = collect_errors(page)
    sign_in(page)
    wait_for_service_worker(page)
    assert page.locator('a#hazard-link[href="/inspect/hazard"]').count() == 1
    download_for_offline(page)
    before = count(live_server, Inspection, Inspection.kind == "hazard")

    page.context.set_offline(True)
    response = page.goto("/inspect/hazard")
    assert response is not None and response.ok and response.from_service_worker
    page.wait_for_selector("#gps-status")
    page.select_option("#hz-severity", "urgent")
    page.select_option("#hz-category", "other")
    page.fill("#hz-notes", "Fallen branch across the path")
    page.click("#hz-save")
    page.wait_for_url("**/inspect/outbox")
    (entry,) = [e for e in outbox(page) if e["kind"] == "hazard"]
    assert entry["body"]["severity"] == "urgent" and entry["body"]["position"]["lat"] == pytest.approx(near[0], abs=1e-5)
    assert count(live_server, Inspection, Inspection.kind == "hazard") == before  # nothing sent yet

    page.context.set_offline(False)
    page.goto("/inspect")
    wait_outbox_empty(page, 30000)
    assert count(live_server, Inspection, Inspection.kind == "hazard") == before + 1
    ((defect_id, severity, status),) = live_server.query(
        select(Defect.id, Defect.severity, Defect.status).where(Defect.opened_by_inspection_id == uuid.UUID(entry["id"])))
    assert (severity, status) == ("urgent", "open")
    assert not errors, errors

    boss_ctx = browser.new_context(**{**context_options(live_server.url), "viewport": {"width": 1400, "height": 900}})
    boss = boss_ctx.new_page()
    sign_in(boss, *SUPERVISOR, landing="**/supervise")
    geo = boss.request.get("/api/defects.geojson?severity=urgent")
    assert geo.ok
    features = [f for f in geo.json()["features"] if str(defect_id) in (f.get("id"), f.get("properties", {}).get("id"))]
    assert len(features) == 1
    boss.goto("/supervise/map?severity=urgent")
    assert boss.locator(f'#defect-list a[href*="{defect_id}"]').count() >= 1
    assert boss.goto(f"/supervise/defects/{defect_id}").ok
    assert "Fallen branch across the path" in boss.content() or "HZ-" in boss.content()
    boss_ctx.close()
    phone_ctx.close()
