"""Issue 12 item 7 and the supervisor's phone header, in Chromium at 390 px in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_views import OVERFLOW, PHONE, SUPERVISOR, new_page

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_supervisor_phone_header_and_item_7_layouts(browser: Any, live_server: LiveServer, lang: str) -> None:
    page = new_page(browser, live_server, PHONE, lang)
    try:
        sign_in(page, *SUPERVISOR, landing="**/supervise**")
        page.goto("/")
        page.locator("form.lang-switch button[value='%s']" % lang).click()
        page.wait_for_load_state()
        for path in ("/supervise", "/supervise/orders", "/scores", "/standards", "/no-such-page"):
            page.goto(path)
            header = page.locator("header.topbar").bounding_box()
            assert header is not None and header["height"] <= 110, (path, header)
            assert page.evaluate(OVERFLOW) <= 0, path
        # The 404 page: still signed in, and its language switch works (no 403).
        page.goto("/no-such-page")
        assert page.locator("nav.nav a[href='/supervise']").count() == 1
        other = "en" if lang == "zh" else "zh"
        page.locator(f"form.lang-switch button[value='{other}']").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == ("en" if other == "en" else "zh-CN")
        page.locator(f"form.lang-switch button[value='{lang}']").click()
        page.wait_for_load_state()
        # The month picker keeps a usable month field at 390 px.
        page.goto("/scores")
        field = page.locator("#month-input").bounding_box()
        assert field is not None and field["width"] >= 120, field
        # The severity heading stays on one line.
        page.goto("/standards")
        head = page.locator("table.clauses thead th").nth(3)
        box = head.bounding_box()
        line = float(head.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 24"))
        assert box is not None and box["height"] < 2 * line + 20, box
    finally:
        page.context.close()


def test_orders_filter_swaps_in_place_keeps_the_url_and_back_works(browser: Any, live_server: LiveServer) -> None:
    page = new_page(browser, live_server, {"width": 1366, "height": 900}, "en")
    try:
        sign_in(page, *SUPERVISOR, landing="**/supervise**")
        page.goto("/supervise/orders")
        page.wait_for_function("() => window.htmx !== undefined")
        page.evaluate("() => { window.__noReload = true; }")
        page.locator("form.filters input[name=overdue]").check()
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_url("**/supervise/orders?*overdue=1*")
        page.wait_for_function("() => document.querySelector('form.filters input[name=overdue]').checked")
        assert page.evaluate("() => window.__noReload === true"), "the filter reloaded the page instead of swapping"
        page.go_back()
        page.wait_for_url("**/supervise/orders")
        page.wait_for_function("() => !document.querySelector('form.filters input[name=overdue]').checked")
        assert page.locator("#order-total").count() == 1
    finally:
        page.context.close()
