"""Outbox entries belong to the user who captured them (a shared phone), in real Chromium.

Inspector Li (the demo `inspector`) saves an inspection with no way to reach the sync API,
signs out; Inspector Zhang (`inspector2`) signs in on the same phone with the network back.
Zhang's own record is sent under Zhang; Li's is shown as waiting for Li and never sent under
Zhang's session (no request carries it). When Li signs in again it is sent, and the server
holds it as Li's. Both inspectors cover zone Z3, so a wrong send would have been accepted:
only the phone's tagging keeps it out.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from server.assets.models import Asset
from server.inspections.models import Inspection
from tests.browser.conftest import (
    open_menu,
    LiveServer,
    collect_errors,
    context_options,
    sign_in,
    wait_for_service_worker,
    wait_until,
)
from tests.browser.test_offline_core import enqueue, inspection_body, jpeg, outbox

pytestmark = pytest.mark.browser

LI = ("inspector", "Inspect-2026-demo")
ZHANG = ("inspector2", "Inspect-2026-demo2")
SYNC_API = re.compile(r".*/api/(sync|photos)(/.*)?$")


def user(server: LiveServer, username: str) -> tuple[uuid.UUID, str]:
    [(user_id, name)] = server.query("SELECT id, display_name FROM users WHERE username = :u", u=username)
    return uuid.UUID(str(user_id)), name


def inspector_of(server: LiveServer, record_id: str) -> list[uuid.UUID]:
    rows = server.query(select(Inspection.inspector_id).where(Inspection.id == uuid.UUID(record_id)))
    return [uuid.UUID(str(r[0])) for r in rows]


def sync_now(page: Any) -> None:
    """Press "Sync now" and wait for the run to end (the button is disabled while it runs,
    from within the click itself)."""
    page.click("[data-sync-now]")
    page.wait_for_selector("[data-sync-now]:enabled", timeout=20000)


def test_a_shared_phone_sends_each_record_under_its_own_user(browser: Any, live_server: LiveServer) -> None:
    li_id, li_name = user(live_server, LI[0])
    zhang_id, zhang_name = user(live_server, ZHANG[0])
    benches = select(Asset.id).where(Asset.code.in_(["Z3-SE-001", "Z3-SE-002"])).order_by(Asset.code)
    z3_benches = live_server.query(benches)
    li_asset, zhang_asset = (str(uuid.UUID(str(r[0]))) for r in z3_benches)
    context = browser.new_context(**context_options(live_server.url))
    try:
        page = context.new_page()
        errors = collect_errors(page)
        sign_in(page, *LI)
        wait_for_service_worker(page)

        # Li saves with no way to reach the sync API (no signal where it counts), then signs out.
        context.route(SYNC_API, lambda route: route.abort("internetdisconnected"))
        li_record = str(uuid.uuid4())
        enqueue(page, li_record, inspection_body(li_asset), [jpeg(21)])
        [entry] = outbox(page)
        assert (entry["user_id"], entry["user_name"]) == (str(li_id), li_name)
        open_menu(page)
        page.click("form.signout button")
        page.wait_for_url("**/login")

        # Zhang signs in on the same phone; the sync API answers again, and every call is watched.
        context.unroute(SYNC_API)
        sent: list[str] = []

        def watch(route: Any) -> None:
            sent.append(route.request.url + " " + (route.request.post_data or ""))
            route.continue_()

        context.route(SYNC_API, watch)
        sign_in(page, *ZHANG)
        zhang_record = str(uuid.uuid4())
        enqueue(page, zhang_record, inspection_body(zhang_asset), [jpeg(22)])
        sent_and_gone = "async (id) => !(await (await import('/static/js/outbox.js')).list()).some((e) => e.id === id)"
        wait_until(page, sent_and_gone, arg=zhang_record)
        sync_now(page)  # a forced run too: Li's record still stays
        assert inspector_of(live_server, zhang_record) == [zhang_id]
        assert inspector_of(live_server, li_record) == []
        assert [e["id"] for e in outbox(page)] == [li_record]
        assert sent and not any(li_record in s for s in sent), "Li's record went out under Zhang's session"
        others = page.locator("[data-others]")
        assert others.is_visible()
        assert others.inner_text() == f"1 record waiting for {li_name} to sign in"  # one record, one form (CLDR plurals)
        assert page.get_attribute("[data-waiting]", "data-records") == "0"  # Zhang has nothing waiting
        page.goto("/inspect/outbox")
        item = page.locator(f"#ob-waiting li[data-id='{li_record}']")
        item.wait_for()
        assert item.get_attribute("data-owner") == str(li_id)
        assert li_name in item.locator("[data-state]").inner_text()
        assert item.locator(".ob-actions").is_hidden()  # Zhang can neither send nor delete it
        # Nor correct it: the form refuses another user's entry.
        page.goto(f"/inspect/form/seating?asset={li_asset}&entry={li_record}")
        page.wait_for_selector("#form-alert:not([hidden])")

        # Li signs in again: the record goes, under Li.
        page.goto("/inspect")
        open_menu(page)
        page.click("form.signout button")
        page.wait_for_url("**/login")
        sign_in(page, *LI)
        sync_now(page)
        wait_until(page, "async () => (await (await import('/static/js/outbox.js')).list()).length === 0", 20000)
        assert inspector_of(live_server, li_record) == [li_id]
        assert page.is_hidden("[data-others]")
        sent_li = [s for s in sent if li_record in s]
        assert len(sent_li) == 1 and json.loads(sent_li[0].split(" ", 1)[1])["records"][0]["id"] == li_record
        unexpected = [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e]
        assert unexpected == [], unexpected
    finally:
        context.close()
