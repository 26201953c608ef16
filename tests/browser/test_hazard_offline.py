"""A hazard no clause covers, in real Chromium: reported offline on the phone's form,
synced when the phone is back online, then on the supervisor's map (GeoJSON) and page, a
work order for it that the contractor completes with an after photo, and verified."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.contractors.models import Contract, Contractor
from server.defects.models import Defect
from server.sites.models import Zone
from server.workorders.models import WorkOrder
from server.inspections.models import Inspection
from tests.browser.conftest import LiveServer, collect_errors, context_options, sign_in, wait_for_service_worker, wait_until
from tests.browser.test_supervisor_flow import CONTRACTORS, camera_jpeg, no_csp_trouble
from tests.browser.test_offline_core import count, download_for_offline, outbox, wait_outbox_empty
from server.assets.models import Asset
from server.core.geo import offset

pytestmark = pytest.mark.browser
SUPERVISOR = ("supervisor", "Super-2026-demo")


def test_a_hazard_reported_offline_syncs_and_reaches_the_map(browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    # A bench in Z2, which a contract covers (seating in Z1 has none): the hazard gets a work order.
    ((asset_uuid,),) = live_server.query(
        select(Asset.id).join(Zone, Zone.id == Asset.zone_id)
        .where(Zone.code == "Z2", Asset.category == "seating", Asset.active.is_(True)).order_by(Asset.code).limit(1))
    asset_id = str(asset_uuid)
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

    # -- a work order for it, done by the contractor whose contract covers it, verified ----------
    boss.goto(f"/supervise/orders/new?defect={defect_id}")
    assert boss.locator('#order-new input[name="defect_id"]').count() == 1
    boss.click("#issue")
    boss.wait_for_url(re.compile(r".*/supervise/orders/[0-9a-f-]{36}$"))
    order_id = boss.url.rsplit("/", 1)[1]
    ((company,),) = live_server.query(
        select(Contractor.code).join(Contract, Contract.contractor_id == Contractor.id)
        .join(WorkOrder, WorkOrder.contract_id == Contract.id).where(WorkOrder.id == uuid.UUID(order_id)))
    crew_ctx = browser.new_context(**{
        **context_options(live_server.url), "timezone_id": "Asia/Shanghai",
        "geolocation": {"latitude": near[0], "longitude": near[1], "accuracy": 5}, "permissions": ["geolocation"],
    })
    crew = crew_ctx.new_page()
    crew_errors = collect_errors(crew)
    sign_in(crew, *CONTRACTORS[company], landing="**/contractor")
    crew.goto(f"/contractor/orders/{order_id}")
    crew.click("#accept")
    crew.click("#start")
    crew.wait_for_selector("#complete-form")
    wait_until(crew, """(id) => {
        const el = document.querySelector(`.fix-item[data-defect="${id}"] [data-distance]`);
        return el && /^[0-5] /.test(el.textContent);
    }""", 15000, str(defect_id))
    crew.set_input_files("#after-photos", str(camera_jpeg(tmp_path / "after.jpg", (60, 140, 80))))
    wait_until(crew, "() => document.querySelectorAll('#photo-checks li[data-ok=\"true\"]').length === 1", 15000)
    crew.fill("#complete-notes", "Branch removed / 已清除")
    crew.click("#complete")
    wait_until(crew, "() => document.querySelector('#completion-state').dataset.state === 'synced'", 30000)
    assert not no_csp_trouble(crew_errors), crew_errors
    boss.goto(f"/supervise/orders/{order_id}")
    assert boss.inner_text("#order-status") == "Completed"
    boss.click("#verify")
    # verify swaps the order in place (htmx): wait for the new status, not a navigation
    boss.wait_for_function("() => document.querySelector('#order-status').textContent.trim() === 'Verified'")
    assert boss.inner_text("#order-status") == "Verified"
    assert live_server.query(select(Defect.status).where(Defect.id == defect_id)) == [("closed",)]
    crew_ctx.close()
    boss_ctx.close()
    phone_ctx.close()
