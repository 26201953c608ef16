"""An operator's standards version end to end in real Chromium, on a set clock:

the admin installs, through /admin/standards, a version adding `street_light` that takes
effect tomorrow; an inspector adds a street light, downloads for offline, goes offline,
and after midnight (the new version now in force) inspects it with live verdicts from
that version; synced, the server judges it by the version in force when it was observed.

The server runs under faketime at fixed moments and the phone's clock is Playwright's, so
nothing depends on today. The shipped data is only version 2026.1 (STANDARDS_DIR): no
shipped version has street lights, only the installed one does.
"""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from server.assets.models import Asset
from server.defects.models import Defect
from server.inspections.models import ClauseResult, Inspection
from tests.browser.conftest import (
    INSPECTOR, LiveServer, clone_database, collect_errors, context_options, drop_database, sign_in,
    wait_for_service_worker,
)
from tests.browser.test_inspection_form import choose, outbox, result
from tests.browser.test_offline_core import download_for_offline, seating_asset, wait_outbox_empty
from server.core.geo import offset

pytestmark = pytest.mark.browser
DATA = Path(__file__).resolve().parents[2] / "standards" / "data"
ADMIN = ("admin", "Manage-2026-demo")
EVENING = "2026-12-20 23:40:00"  # Asia/Shanghai; the new version takes effect the next day
AFTER_MIDNIGHT = "2026-12-21 00:10:00"
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"  # Debian's faketime (Makefile test-deps)


def version_zip() -> bytes:
    """Version 2027.1's files as "2026.5", effective 2026-12-21: adds street_light and three more."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path in sorted((DATA / "2027-01-01").glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            if path.name == "manifest.yaml":
                text = text.replace('version: "2027.1"', 'version: "2026.5"').replace(
                    "effective_from: 2027-01-01", "effective_from: 2026-12-21")
            z.writestr(f"2026-5/{path.name}", text)
    return buf.getvalue()


@pytest.fixture
def clocked_server(demo_template_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    name = f"fc_ov_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    url = clone_database(demo_template_url, name)
    server = LiveServer(url, tmp_path / "media", tmp_path / "server.log")
    server.env.update({"TZ": "Asia/Shanghai", "STANDARDS_DIR": str(DATA / "2026-01-01"),
                       "STANDARDS_RECHECK_SECONDS": "0"})
    server.env.update(clock(EVENING))
    server.start(timeout=60)
    yield server
    server.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- server log ---\n{server.log()}")
    drop_database(url)


def clock(moment: str) -> dict[str, str]:
    """libfaketime in the server's own process (not the `faketime` wrapper, whose child a
    stop() would leave running): its clock starts at `moment`, Shanghai time, and runs."""
    return {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": f"@{moment}", "FAKETIME_DONT_RESET": "1"}


def shanghai(moment: str) -> str:
    return moment.replace(" ", "T") + "+08:00"


def test_installed_version_reaches_an_offline_phone_and_judges_a_street_light(browser: Any, clocked_server: LiveServer) -> None:
    server = clocked_server
    # -- the admin installs 2026.5 (effective tomorrow) ----------------------------------------
    admin_ctx = browser.new_context(**{**context_options(server.url), "timezone_id": "Asia/Shanghai",
                                       "viewport": {"width": 1280, "height": 900}})
    admin = admin_ctx.new_page()
    admin_errors = collect_errors(admin)
    sign_in(admin, *ADMIN, landing="**/admin**")
    admin.goto("/admin/standards")
    assert admin.get_attribute('#versions tr[data-version="2026.1"]', "data-state") == "in_force"
    admin.set_input_files("#s-file", files=[{"name": "2026-5.zip", "mimeType": "application/zip", "buffer": version_zip()}])
    admin.click("#standards-upload button[type=submit]")
    admin.wait_for_selector("#preview-summary")
    added = admin.inner_text('ul[data-diff="categories_added"]')
    assert "street_light" in added and "Street light" in added
    admin.click("#standards-install button[type=submit]")
    admin.wait_for_selector("#installed")
    assert admin.get_attribute('#versions tr[data-version="2026.5"]', "data-state") == "scheduled"
    assert not admin_errors, admin_errors
    admin_ctx.close()

    # -- the inspector adds a street light and downloads for offline (still the 20th) ----------
    seat_id, _ = seating_asset(server)
    ((lat, lon),) = server.query(select(Asset.lat, Asset.lon).where(Asset.id == uuid.UUID(seat_id)))
    here = offset(lat, lon, 30, 20)  # away from the bench: no duplicate warning to answer
    phone_ctx = browser.new_context(**{
        **context_options(server.url), "timezone_id": "Asia/Shanghai",
        "geolocation": {"latitude": here[0], "longitude": here[1], "accuracy": 5}, "permissions": ["geolocation"],
    })
    phone_ctx.clock.install(time=shanghai(EVENING))
    page = phone_ctx.new_page()
    errors = collect_errors(page)
    sign_in(page, *INSPECTOR)
    wait_for_service_worker(page)
    page.goto("/inspect/assets/new")
    page.wait_for_selector("#gps-status[data-state=fix]")
    page.select_option("#na-category", "street_light")
    page.fill("#na-name", "Lamp post by the east gate")
    page.click("#na-save")
    page.wait_for_selector("form#inspection[data-ready=true]")
    page.goto("/inspect")
    wait_outbox_empty(page, 30000)
    ((asset_id, category),) = server.query(select(Asset.id, Asset.category).where(Asset.name == "Lamp post by the east gate"))
    assert category == "street_light"
    download_for_offline(page)
    kept = page.evaluate("async () => (await import('/static/js/store.js')).getMeta('standards_set')")
    assert [v["version"] for v in kept] == ["2026.1", "2026.5"]

    # -- offline, after midnight: 2026.5 is in force; live verdicts from it ----------------------
    phone_ctx.set_offline(True)
    phone_ctx.clock.set_system_time(shanghai(AFTER_MIDNIGHT))
    response = page.goto(f"/inspect/form/street_light?asset={asset_id}")
    assert response is not None and response.ok and response.from_service_worker
    page.wait_for_selector("form#inspection[data-ready=true]")
    assert page.get_attribute("form#inspection", "data-standards-version") == "2026.5"
    assert result(page, "SL-1") == "unknown"
    choose(page, "lit_at_night", "yes")
    assert result(page, "SL-1") == "pass"
    choose(page, "exposed_wiring", "yes")
    assert result(page, "SL-2") == "fail"
    page.fill("#obs-tilt_deg", "2.5")
    assert result(page, "SL-3") == "pass"
    page.fill("#obs-tilt_deg", "4")
    assert result(page, "SL-3") == "fail"
    assert page.get_attribute("#overall", "data-verdict") == "non_compliant"
    page.click("#save")
    page.wait_for_url("**/inspect/assets**")
    (entry,) = [e for e in outbox(page) if e["kind"] == "inspection"]
    assert entry["body"]["standards_version"] == "2026.5"
    assert entry["body"]["observed_at"].startswith("2026-12-21T00:")

    # -- the server's clock passes midnight too; the phone syncs ---------------------------------
    server.stop()
    server.env.update(clock(AFTER_MIDNIGHT))
    server.start(timeout=60)
    phone_ctx.set_offline(False)
    page.goto("/inspect")
    wait_outbox_empty(page, 45000)
    ((version, compliant),) = server.query(
        select(Inspection.standards_version, Inspection.verdict).where(Inspection.id == uuid.UUID(entry["id"])))
    assert (version, compliant) == ("2026.5", "non_compliant")
    results = dict(server.query(select(ClauseResult.clause_id, ClauseResult.result)
                                .where(ClauseResult.inspection_id == uuid.UUID(entry["id"]))))
    assert results == {"SL-1": "pass", "SL-2": "fail", "SL-3": "fail"}
    severities = dict(server.query(select(Defect.clause_id, Defect.severity).where(Defect.asset_id == asset_id)))
    assert severities == {"SL-2": "urgent", "SL-3": "high"}
    assert not errors, errors
    phone_ctx.close()
