"""Rounds in real Chromium: the due list on the phone shrinking offline as inspections are
saved, an emergency round reaching the phone at the top of its list, a missed round flagged
by the job for the supervisor. Schedules are made through /supervise/rounds, as a supervisor does."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from server.assets.models import Asset
from server.core.config import REPO_ROOT
from server.sites.models import Zone
from tests.browser.conftest import LiveServer, sign_in, wait_for_service_worker, wait_until
from tests.browser.test_offline_core import download_for_offline, enqueue, inspection_body, seating_asset

pytestmark = pytest.mark.browser
SUPERVISOR = ("supervisor", "Super-2026-demo")


def site_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def add_schedule(page: Any, zone: str, category: str, every_days: int, effective: dt.date) -> None:
    page.goto("/supervise/rounds")
    form = page.locator("#schedule-form")
    value = form.locator("select[name=zone] option", has_text=f"{zone} ·").get_attribute("value")
    form.locator("select[name=zone]").select_option(value)
    form.locator("select[name=category]").select_option(category)
    form.locator("select[name=kind]").select_option("every_days")
    form.locator("input[name=every_days]").fill(str(every_days))
    form.locator("input[name=effective_from]").fill(effective.isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/supervise/rounds")
    page.wait_for_selector(f"tr[data-schedule='{zone}:{category}:{effective.isoformat()}']")


def zone_assets(server: LiveServer, zone: str, category: str | None = None) -> int:
    query = select(func.count()).select_from(Asset).join(Zone, Zone.id == Asset.zone_id).where(
        Zone.code == zone, Asset.active.is_(True))
    if category:
        query = query.where(Asset.category == category)
    return server.query(query)[0][0]


def due_ready(page: Any, source: str) -> int:
    page.wait_for_selector(f"#due-list[data-ready={source}]", timeout=20000)
    return int(page.get_attribute("#due-list", "data-left"))


def test_the_due_list_offline_an_emergency_and_a_missed_round(context: Any, live_server: LiveServer) -> None:
    supervisor = context.browser.new_context(base_url=live_server.url, locale="en-US")
    boss = supervisor.new_page()
    sign_in(boss, *SUPERVISOR, landing="**/supervise")
    today = site_today()
    add_schedule(boss, "Z1", "seating", 1, today)

    page = context.new_page()
    sign_in(page)
    wait_for_service_worker(page)
    download_for_offline(page)
    page.goto("/inspect")
    seats = zone_assets(live_server, "Z1", "seating")
    assert seats > 2
    assert due_ready(page, "from_bundle") == seats
    assert page.locator("#due-list li[data-state=due_today]").count() == seats
    # The server's list is the same list.
    server_list = page.evaluate("async () => (await (await fetch('/api/rounds/due')).json())")
    phone = page.evaluate("() => [...document.querySelectorAll('#due-list li[data-code]')].map((li) => li.dataset.code)")
    assert phone == [i["code"] for i in server_list["items"]]

    # Offline: each inspection saved counts at once.
    context.set_offline(True)
    page.reload()
    assert due_ready(page, "from_bundle") == seats
    for n in (1, 2):
        asset_id, code = seating_asset(live_server, n - 1)
        enqueue(page, str(uuid.uuid4()), inspection_body(asset_id))
        wait_until(page, f"() => document.querySelector('#due-list').dataset.left === '{seats - n}'")
        assert page.get_attribute(f"#due-list li[data-code='{code}']", "data-state") == "done"
    page.reload()  # from the page cache, still offline, the outbox still counts
    assert due_ready(page, "from_bundle") == seats - 2

    # Back online the records sync; the list stays as it was.
    context.set_offline(False)
    wait_until(page, "async () => (await (await import('/static/js/outbox.js')).list()).length === 0", 30000)
    page.reload()
    assert due_ready(page, "from_bundle") == seats - 2

    # An emergency round over Z2 reaches the phone at the top of its list.
    boss.goto("/supervise/rounds")
    boss.fill("#emergency-form input[name=reason]", "Storm 暴雨")
    z2 = boss.locator("#emergency-form label", has_text="Z2 ·").locator("input")
    z2.check()
    boss.fill("#emergency-form input[name=hours]", "6")
    boss.click("#emergency-form button[type=submit]")
    boss.wait_for_url("**/supervise/rounds/emergencies/*")
    z2_assets = zone_assets(live_server, "Z2")
    assert boss.get_attribute("#emergency-progress", "data-total") == str(z2_assets)
    assert boss.locator("svg.rounds-map circle[data-state=open]").count() == z2_assets

    page.reload()
    wait_until(page, f"() => document.querySelector('#due-list').dataset.left === '{seats - 2 + z2_assets}'", 20000)
    states = page.evaluate("() => [...document.querySelectorAll('#due-list li[data-state]')].map((li) => li.dataset.state)")
    assert states[:z2_assets] == ["emergency"] * z2_assets
    assert "emergency" not in states[z2_assets:]

    # A missed round: Z3 planters every day from three days ago; nobody went. The job flags it.
    add_schedule(boss, "Z3", "planter", 1, today - dt.timedelta(days=3))
    env = {**os.environ, "DATABASE_URL": live_server.database_url}
    done = subprocess.run([sys.executable, "-m", "server", "rounds-missed"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("missed: Z3 planter") == 3, done.stdout
    boss.goto("/supervise/rounds")
    day = (today - dt.timedelta(days=1)).isoformat()
    boss.wait_for_selector(f"tr[data-missed='Z3:planter:{day}']")
    assert boss.inner_text("[data-unread]") == "3"
    supervisor.close()
