"""Likely duplicates on the phone (issue 4), in real Chromium, online and offline.

"When an inspector adds a new asset or defect within a configured distance of an open one of
the same category, the app warns of a likely duplicate — on the phone too, from the offline
data." The demo's Z1-SE-001 stands alone (no other bench within 30 m) with an open SE-2
defect; the test puts a new bench 6 m north of it with an open SE-1 defect, through the sync
API. Then the new-asset page and the form of Z1-SE-001 are read twice: online with nothing
downloaded (the phone asks the server for the data around the point), and with the network
off after "Download for offline" (the phone judges from its bundle): the same warnings.
One test: one server, one browser context, one sign-in.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, collect_errors, context_options, sign_in, wait_for_service_worker
from tests.browser.test_offline_core import download_for_offline

pytestmark = pytest.mark.browser

SEAT = {"latitude": 32.1049062, "longitude": 118.7075114, "accuracy": 5}  # where Z1-SE-001 stands
METRE_NORTH = 1 / 111195.08  # degrees of latitude per metre (mean sphere, as the phone measures)
FAILING_SE1 = {"damage_pct": 40, "usable": True, "missing_pct": 0, "tilt_affects_use": False, "rust_pct": 0}


def send(context: Any, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """One record through the sync API as the signed-in inspector; its result."""
    token = next(c["value"] for c in context.cookies() if c["name"] == "fc_csrf")
    record_id = str(uuid.uuid4())
    response = context.request.post("/api/sync", data={"records": [{"kind": kind, "id": record_id, "body": body}]},
                                    headers={"X-CSRFToken": token})
    [result] = response.json()["results"]
    assert result["status"] == 201, result
    return result["result"]


def bench_next_door(context: Any) -> tuple[str, str]:
    """A new bench 6 m north of Z1-SE-001 with an open SE-1 defect: (id, code)."""
    here = {"lat": round(SEAT["latitude"] + 6 * METRE_NORTH, 7), "lon": SEAT["longitude"], "accuracy_m": 5}
    asset = send(context, "asset", {"category": "seating", "name": "Bench next door", "position": here, "notes": ""})
    shanghai = dt.timezone(dt.timedelta(hours=8))
    observed = (dt.datetime.now(shanghai) - dt.timedelta(minutes=5)).isoformat(timespec="seconds")
    inspection = send(context, "inspection", {
        "asset_id": asset["asset_id"], "observed_at": observed, "position": here, "observations": FAILING_SE1,
        "damages": [], "not_applicable": [], "notes": "", "photos": [],
    })
    assert inspection["clauses"]["SE-1"] == "fail" and len(inspection["defects_opened"]) == 1
    return asset["asset_id"], asset["code"]


def lines(page: Any, box: str) -> list[tuple[str, list[str]]]:
    """Each line of a warning box: its text and the links in it."""
    found = page.eval_on_selector_all(
        f"{box} p, {box} li",
        "els => els.map(e => [e.textContent, [...e.querySelectorAll('a')].map(a => a.getAttribute('href'))])",
    )
    return [(text, links) for text, links in found]


def warnings(page: Any, seat_id: str) -> dict[str, Any]:
    """What the new-asset page and the form of Z1-SE-001 warn of, as the inspector uses them."""
    page.goto("/inspect/assets/new")
    page.wait_for_selector("#gps-status[data-state=fix]")
    assert page.get_attribute("#na-duplicates", "role") == "status"
    page.select_option("#na-category", "seating")
    page.wait_for_selector("#na-duplicates li >> nth=1")
    new_asset = lines(page, "#na-duplicates")
    page.select_option("#na-category", "planter")  # no planter near: the warning goes
    page.wait_for_selector("#na-duplicates li", state="detached")
    assert page.inner_text("#na-duplicates") == ""
    page.select_option("#na-category", "seating")
    page.fill("#na-name", "Bench")
    assert page.is_enabled("#na-save")  # a warning, never a refusal

    page.goto(f"/inspect/form/seating?asset={seat_id}")
    page.wait_for_selector("form#inspection[data-ready=true]")
    assert page.inner_text("#duplicates") == ""
    page.fill("#obs-damage_pct", "40")  # SE-1 fails: the bench next door has that defect open
    page.wait_for_selector("#duplicates p")
    only_se1 = lines(page, "#duplicates")
    page.fill("#obs-missing_pct", "40")  # SE-2 fails: this bench has that defect open itself
    page.wait_for_selector("#duplicates p >> nth=1")
    both = lines(page, "#duplicates")
    page.fill("#obs-damage_pct", "5")
    page.fill("#obs-missing_pct", "5")
    page.wait_for_selector("#duplicates p", state="detached")
    return {"new_asset": new_asset, "form_se1": only_se1, "form_both": both}


def test_likely_duplicates_online_and_offline_agree(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(**{**context_options(live_server.url), "locale": "en-GB",
                                     "timezone_id": "Asia/Shanghai", "geolocation": SEAT,
                                     "permissions": ["geolocation"]})
    try:
        page = context.new_page()
        errors = collect_errors(page)
        sign_in(page)
        wait_for_service_worker(page)
        [(seat_id, seat_name)] = live_server.query("SELECT id, name FROM assets WHERE code = 'Z1-SE-001'")
        seat_id = str(uuid.UUID(str(seat_id)))
        near_id, near_code = bench_next_door(context)
        asked: list[str] = []
        context.on("request", lambda r: asked.append(r.url) if "/api/offline/nearby" in r.url else None)

        online = warnings(page, seat_id)
        assert asked, "with nothing downloaded the phone asks the server for the data around it"
        assert online["new_asset"] == [
            ("Likely duplicate: an asset of this category is already recorded within 10 m. "
             "If it is the same one, open it instead of adding a new one:", []),
            (f"Z1-SE-001 {seat_name} · 0 m", [f"/inspect/assets/{seat_id}"]),
            (f"{near_code} Bench next door · 6 m", [f"/inspect/assets/{near_id}"]),
        ]
        near_line = (f"SE-1: likely duplicate — {near_code} Bench next door, 6 m away, already has an open defect "
                     f"for this clause. Open {near_code} Bench next door", [f"/inspect/assets/{near_id}"])
        assert online["form_se1"] == [near_line]
        assert online["form_both"] == [
            near_line,
            ("SE-2: this asset already has an open defect for this clause; saving adds this inspection to it "
             "as evidence.", []),
        ]

        download_for_offline(page)
        context.set_offline(True)
        asked.clear()
        offline = warnings(page, seat_id)
        assert offline == online  # the same answer from the phone's own data
        assert asked == []
        unexpected = [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e]
        assert unexpected == [], unexpected
    finally:
        context.close()
