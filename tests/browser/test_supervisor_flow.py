"""The whole round in real Chromium: the supervisor filters the defect map by zone and
severity, selects defects and issues a work order; the contractor, with no signal, reads the
order and completes it with an after photo at each defect; back online it syncs; the
supervisor reviews before and after side by side and verifies; the defects close."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.defects.models import Defect
from server.sites.models import Zone
from server.core.geo import offset
from server.workorders.models import WorkOrder
from tests.browser.conftest import LiveServer, collect_errors, context_options, sign_in, wait_until

pytestmark = pytest.mark.browser

SUPERVISOR = ("supervisor", "Super-2026-demo")
CONTRACTORS = {"GREEN": ("green", "Lvyuan-2026-demo"), "CIVIL": ("civil", "Chengjian-2026-demo")}


def candidates(server: LiveServer) -> tuple[str, list[tuple[str, float, float]]]:
    """Up to two open, high-severity defects in Z2 that one contractor's contract covers."""
    rows = server.query(
        select(Contractor.code, Defect.id, Defect.lat, Defect.lon)
        .join(Zone, Zone.id == Defect.zone_id)
        .join(ContractZone, ContractZone.zone_id == Defect.zone_id)
        .join(ContractCategory, (ContractCategory.contract_id == ContractZone.contract_id)
              & (ContractCategory.category == Defect.category))
        .join(Contract, Contract.id == ContractZone.contract_id)
        .join(Contractor, Contractor.id == Contract.contractor_id)
        .where(Zone.code == "Z2", Defect.severity == "high", Defect.status == "open")
        .order_by(Contractor.code, Defect.opened_at)
    )
    assert rows, "the demo has no open high-severity defect in Z2"
    company = rows[0][0]
    return company, [(str(i), lat, lon) for c, i, lat, lon in rows if c == company][:2]


def camera_jpeg(path: Path, colour: tuple[int, int, int]) -> Path:
    image = Image.new("RGB", (1200, 900), colour)
    for x in range(0, 1200, 80):
        image.paste((240, 240, 240), (x, 0, x + 6, 900))
    image.save(path, "JPEG", quality=88)
    return path


def no_csp_trouble(errors: list[str]) -> list[str]:
    return [e for e in errors if "Content Security Policy" in e or "pageerror" in e]


def test_filter_order_complete_offline_sync_verify(browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    company, chosen = candidates(live_server)
    ids = [i for i, _, _ in chosen]

    # -- the supervisor: filter, select, issue ------------------------------------------------
    boss_ctx = browser.new_context(**{**context_options(live_server.url), "viewport": {"width": 1400, "height": 900}})
    boss = boss_ctx.new_page()
    errors = collect_errors(boss)
    sign_in(boss, *SUPERVISOR, landing="**/supervise")
    boss.goto("/supervise/map")
    boss.click("#filter-panel summary")  # the filters are folded beside the map
    boss.check('input[name="zone"][value="Z2"]')
    boss.check('input[name="severity"][value="high"]')
    boss.click("#apply-filters")
    boss.wait_for_url(re.compile(r".*/supervise/map\?.*zone=Z2.*severity=high.*"))
    # The filters swap the list in place (htmx) and map.js redraws the points from it.
    wait_until(boss, "() => (document.getElementById('map').dataset.source || '').includes('severity=high')", 30000)
    rows = boss.locator("#defect-list tbody tr")
    assert rows.count() > 0
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.zone)")) == {"Z2"}
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.severity)")) == {"high"}
    # The map drew every matching defect on its canvas, with Leaflet's styles allowed by the CSP.
    drawn = wait_until(boss, "() => document.getElementById('map').dataset.count", 15000)
    assert int(drawn) == int(boss.get_attribute("#defect-total", "data-total"))
    assert boss.locator("#map canvas").count() >= 1
    assert boss.locator("#map .leaflet-tooltip").count() >= 1  # zone labels
    assert not no_csp_trouble(errors), errors
    # The detail opens beside the list through htmx.
    filtered_url = boss.url
    assert "zone=Z2" in filtered_url and "&from=" not in filtered_url  # empty fields stay out of a shared link
    boss.click(f'tr[data-defect="{ids[0]}"] a.defect-link')
    boss.wait_for_selector(f'#detail .defect-detail[data-defect="{ids[0]}"]')
    assert boss.url == filtered_url  # the filtered view stays in the address bar
    for defect_id in ids:
        boss.check(f'tr[data-defect="{defect_id}"] input[name="defect"]')
    assert boss.inner_text("#selected-count").startswith(str(len(ids)))
    boss.click("#issue-order")
    boss.wait_for_url(re.compile(r".*/supervise/orders/new\?.*"))
    assert boss.locator('#order-new input[name="defect_id"]').count() == len(ids)
    boss.click("#issue")
    boss.wait_for_url(re.compile(r".*/supervise/orders/[0-9a-f-]{36}$"))
    order_id = boss.url.rsplit("/", 1)[1]
    assert boss.inner_text("#order-status") == "Issued"

    # -- the contractor: accept and start online, read and complete offline -------------------
    first = chosen[0]
    near = offset(first[1], first[2], 4, 3)
    phone_ctx = browser.new_context(**{
        **context_options(live_server.url), "viewport": {"width": 390, "height": 844}, "timezone_id": "Asia/Shanghai",
        "geolocation": {"latitude": near[0], "longitude": near[1], "accuracy": 6}, "permissions": ["geolocation"],
    })
    phone = phone_ctx.new_page()
    phone_errors = collect_errors(phone)
    username, password = CONTRACTORS[company]
    sign_in(phone, username, password, landing="**/contractor")
    wait_until(phone, "() => !!navigator.serviceWorker.controller", 20000)
    phone.click(f'a[href="/contractor/orders/{order_id}"]')
    phone.click("#accept")
    phone.click("#start")
    phone.wait_for_selector("#complete-form")
    phone.goto("/contractor")  # the list stores every assigned order's page for offline reading
    wait_until(phone, "() => document.querySelector('#wo-sync [data-cached]').textContent !== ''", 15000)

    phone_ctx.set_offline(True)
    phone.goto(f"/contractor/orders/{order_id}")  # served from the phone: no signal
    phone.wait_for_selector("#complete-form")
    for n, (defect_id, lat, lon) in enumerate(chosen):
        here = offset(lat, lon, 4, 3)
        phone_ctx.set_geolocation({"latitude": here[0], "longitude": here[1], "accuracy": 6})
        wait_until(phone, """(id) => {
            const el = document.querySelector(`.fix-item[data-defect="${id}"] [data-distance]`);
            return el && /^[0-5] /.test(el.textContent);
        }""", 15000, defect_id)
        phone.set_input_files("#after-photos", str(camera_jpeg(tmp_path / f"after{n}.jpg", (40 + 60 * n, 120, 70))))
        wait_until(phone, f"() => document.querySelectorAll('#photo-checks li[data-ok=\"true\"]').length === {n + 1}", 15000)
    phone.fill("#complete-notes", "新换路面砖 / new paving")
    phone.click("#complete")
    phone.wait_for_selector('#completion-state[data-state="queued"]')
    assert live_server.query(select(WorkOrder.status).where(WorkOrder.id == uuid.UUID(order_id))) == [("in_progress",)]

    # -- back online: it syncs ---------------------------------------------------------------------
    phone_ctx.set_offline(False)
    wait_until(phone, "() => document.querySelector('#completion-state').dataset.state === 'synced'", 30000)
    assert live_server.query(select(WorkOrder.status).where(WorkOrder.id == uuid.UUID(order_id))) == [("completed",)]
    assert not no_csp_trouble(phone_errors), phone_errors

    # -- the supervisor reviews before and after, and verifies --------------------------------------
    boss.goto(f"/supervise/orders/{order_id}")
    assert boss.inner_text("#order-status") == "Completed"
    after = boss.locator(".before-after img.after-photo")
    assert after.count() == len(ids)
    wait_until(boss, "() => [...document.querySelectorAll('img.after-photo')].every(i => i.complete && i.naturalWidth > 0)", 15000)
    boss.click("#verify")  # swapped in place (htmx), the address stays the order's
    wait_until(boss, "() => document.getElementById('order-status').textContent.trim() === 'Verified'", 15000)
    assert re.match(rf".*/supervise/orders/{order_id}$", boss.url)
    statuses = live_server.query(select(Defect.status).where(Defect.id.in_([uuid.UUID(i) for i in ids])))
    assert statuses == [("closed",)] * len(ids)
    assert set(boss.locator(".before-after").evaluate_all("els => els.map(e => e.dataset.status)")) == {"closed"}
    phone_ctx.close()
    boss_ctx.close()
