"""Issue 12 item 6 in Chromium: the map's filters swap the list and redraw the points without
a navigation (the URL holds the filters, back brings the page before them), and verifying an
order swaps it in place with the top bar's count updated out of band."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from server.defects.models import Defect

from tests.browser.conftest import LiveServer, sign_in, wait_until
from tests.browser.test_views import DESKTOP, PHONE, SUPERVISOR, new_page, set_language

pytestmark = pytest.mark.browser

MARK = "() => { window.__noReload = true; }"
NOT_RELOADED = "() => window.__noReload === true"


@pytest.mark.parametrize(("viewport", "lang"), [(DESKTOP, "en"), (PHONE, "zh")])
def test_map_filter_swaps_list_and_points_and_back_restores(browser: Any, live_server: LiveServer,
                                                             viewport: dict[str, int], lang: str) -> None:
    page = new_page(browser, live_server, viewport, lang)
    try:
        sign_in(page, *SUPERVISOR, landing="**/supervise")
        set_language(page, lang)
        page.goto("/supervise/map")
        page.wait_for_selector("#map[data-drawn-ms]", timeout=30000)
        title = page.title()
        first_count = int(page.get_attribute("#map", "data-count"))
        severities = set(page.eval_on_selector_all("#defect-list tr[data-defect]", "rs => rs.map(r => r.dataset.severity)"))
        assert len(severities) > 1
        page.evaluate(MARK)
        page.click("#filter-panel summary")
        page.check("input[name=severity][value=urgent]")
        page.click("#apply-filters")
        page.wait_for_url("**/supervise/map?*severity=urgent*")
        wait_until(page, "() => (document.getElementById('map').dataset.source || '').includes('severity=urgent')", 30000)
        assert page.evaluate(NOT_RELOADED), "the filter reloaded the page instead of swapping"
        listed = set(page.eval_on_selector_all("#defect-list tr[data-defect]", "rs => rs.map(r => r.dataset.severity)"))
        assert listed == {"urgent"}
        drawn = int(page.get_attribute("#map", "data-count"))
        assert 0 < drawn < first_count
        assert page.locator("#filters-active").text_content().strip() == "1"
        assert page.title() == title and title
        # The back button: the page before the filter, its points and list.
        page.go_back()
        page.wait_for_url("**/supervise/map")
        page.wait_for_selector("#map[data-drawn-ms]", timeout=30000)
        wait_until(page, "() => !(document.getElementById('map').dataset.source || '').includes('severity=')", 30000)
        assert int(page.get_attribute("#map", "data-count")) == first_count
        assert not page.is_checked("input[name=severity][value=urgent]")
    finally:
        page.context.close()


def test_verify_swaps_in_place_and_the_count_follows(browser: Any, live_server: LiveServer) -> None:
    page = new_page(browser, live_server, DESKTOP, "en")
    try:
        sign_in(page, *SUPERVISOR, landing="**/supervise")
        order = live_server.query("SELECT id FROM work_orders WHERE status = 'completed' ORDER BY code")[0][0]
        path = f"/supervise/orders/{order}"
        if len(path) < 40:  # SQLite keeps the hex without dashes
            path = f"/supervise/orders/{uuid.UUID(str(order))}"
        page.goto(path)
        before = int(page.get_attribute("#nav-count", "data-count"))
        assert before > 0
        page.evaluate(MARK)
        page.click("#verify")
        page.wait_for_selector(f"#nav-count[data-count='{before - 1}']", state="attached", timeout=15000)
        assert page.evaluate(NOT_RELOADED), "verify reloaded the page instead of swapping in place"
        assert page.locator("#verify").count() == 0
        assert page.url.endswith(path)
        assert page.locator("main h1").count() == 1 and page.locator("header.topbar").count() == 1
    finally:
        page.context.close()


@pytest.mark.parametrize(("viewport", "lang"), [(DESKTOP, "en"), (PHONE, "zh")])
def test_dismiss_in_the_panel_updates_the_row_and_the_point(browser: Any, live_server: LiveServer,
                                                           viewport: dict[str, int], lang: str) -> None:
    page = new_page(browser, live_server, viewport, lang)
    try:
        sign_in(page, *SUPERVISOR, landing="**/supervise")
        set_language(page, lang)
        page.goto("/supervise/map?status=open")
        page.wait_for_selector("#map[data-drawn-ms]", timeout=30000)
        open_points = int(page.get_attribute("#map", "data-open"))
        assert open_points == int(page.get_attribute("#map", "data-count")) > 0
        row = page.locator("#defect-list tr[data-status=open]").first
        defect = row.get_attribute("data-defect")
        page.evaluate(MARK)
        row.locator("a.defect-link").click()
        panel = page.locator(f"#detail article.defect-detail[data-defect='{defect}']")
        panel.wait_for(timeout=15000)
        panel.locator("textarea[name=reason]").fill("Duplicate of an earlier report")
        panel.locator("button.danger").click()
        page.wait_for_selector(f"#detail article.defect-detail[data-defect='{defect}'][data-status=dismissed]",
                               timeout=15000)
        wait_until(page, f"() => document.querySelector('tr[data-defect=\"{defect}\"]').dataset.status === 'dismissed'",
                   15000)
        assert page.evaluate(NOT_RELOADED), "dismiss reloaded the page instead of swapping in place"
        row = page.locator(f"tr[data-defect='{defect}']")
        assert row.locator("input[name=defect]").is_disabled()
        assert not row.locator("input[name=defect]").is_checked()
        status_word = row.locator(".status").text_content().strip()
        assert status_word == panel.locator(".status").first.text_content().strip() and status_word
        assert int(page.get_attribute("#map", "data-open")) == open_points - 1
        assert int(page.get_attribute("#map", "data-count")) == open_points  # the point stays, greyed
        assert live_server.query(select(Defect.status).where(Defect.id == uuid.UUID(defect))) == [("dismissed",)]
    finally:
        page.context.close()
