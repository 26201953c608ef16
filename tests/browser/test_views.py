"""What users see, measured in real Chromium with bounding boxes (issue 12): the inspector's
compact bar (≤ 64 px, a menu), touch targets ≥ 44 px, the map filling the viewport with its
list and the clicked defect's panel on screen, no sideways scroll at 390 px in zh and en."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, LiveServer, sign_in, wait_until  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
INSPECTOR = ("inspector", "Inspect-2026-demo")
SUPERVISOR = ("supervisor", "Super-2026-demo")

# Every visible control a finger taps, smaller than 44 × 44 px (inline text links inside a
# sentence excepted: those are not controls of their own).
SMALL_TARGETS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('a[href], button, summary, input:not([type=hidden]), select, label.check')) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!r.width || !r.height || style.visibility === 'hidden') continue;
    if (el.closest('.leaflet-container')) continue;  // the map's own controls and markers
    if (el.matches('input[type=checkbox], input[type=radio]') && el.closest('label')) continue;  // the label is the target
    // A visually hidden input (a camera button, a styled toggle): its label is what the finger taps.
    if (el.labels && [...el.labels].some((l) => { const b = l.getBoundingClientRect(); return b.width >= 44 && b.height >= 44; })) continue;
    if (el.matches('input[type=checkbox]') && el.closest('td')) { const c = el.closest('td').getBoundingClientRect();
      if (c.height >= 44) continue; }
    if (r.height < 44 || r.width < 44) out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${Math.round(r.width)}x${Math.round(r.height)} "${(el.textContent || '').trim().slice(0, 30)}"`);
  }
  return out;
}"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def new_page(browser: Any, server: LiveServer, viewport: dict[str, int], lang: str) -> Any:
    ctx = browser.new_context(base_url=server.url, viewport=viewport, locale="zh-CN" if lang == "zh" else "en-US",
                              service_workers="block")
    page = ctx.new_page()
    return page


def set_language(page: Any, lang: str) -> None:
    page.context.add_cookies([{"name": "fc_lang", "value": lang, "url": page.url}])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_inspector_bar_is_compact_with_a_menu(browser: Any, live_server: LiveServer, lang: str) -> None:
    page = new_page(browser, live_server, PHONE, lang)
    try:
        sign_in(page, *INSPECTOR)
        for path in ("/inspect", "/inspect/assets", "/inspect/outbox"):
            page.goto(path)
            page.wait_for_selector("#fc-syncbar[data-mounted]")
            bar = page.locator("header.topbar.compact").bounding_box()
            assert bar is not None and bar["height"] <= 64, (path, bar)
            assert page.evaluate(OVERFLOW) <= 0, path
            assert page.evaluate(SMALL_TARGETS) == [], path
        # the finder's first asset starts near the top, not 750 px down
        page.goto("/inspect/assets")
        page.wait_for_selector("#fc-syncbar[data-mounted]")
        page.wait_for_selector("#asset-list > li")
        first = page.locator("#asset-list > li").first.bounding_box()
        assert first is not None and first["y"] < 450, first
        # the menu holds the language, sign-out, the offline panel and this phone's name
        assert not page.is_visible("form.signout button")
        page.click("#fc-menu-button")
        for selector in ("form.signout button", ".lang-switch button", "#fc-syncbar details.sb-offline summary",
                         "#menu-device-name"):
            assert page.is_visible(selector), selector
        assert page.evaluate(SMALL_TARGETS) == []
        assert page.evaluate(OVERFLOW) <= 0
        page.keyboard.press("Escape")
        assert not page.is_visible("form.signout button")
    finally:
        page.context.close()


def test_offline_panel_shows_the_size_before_the_tap(browser: Any, live_server: LiveServer) -> None:
    page = new_page(browser, live_server, PHONE, "en")
    try:
        sign_in(page, *INSPECTOR)
        page.wait_for_selector("#fc-syncbar[data-mounted]")
        page.click("#fc-menu-button")
        page.click("#fc-syncbar details.sb-offline summary")
        wait_until(page, "() => !!document.querySelector('[data-download-size]').dataset.bytes")
        text = page.text_content("[data-download-size]")
        assert "Will download about" in text and "assets" in text and "MB" in text or "KB" in text, text
        assert page.get_attribute("[data-download]", "aria-describedby") == "download-size"
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_first_on_a_desktop(browser: Any, live_server: LiveServer, lang: str) -> None:
    page = new_page(browser, live_server, DESKTOP, lang)
    try:
        sign_in(page, *SUPERVISOR, landing="**/supervise")
        set_language(page, lang)
        page.goto("/supervise/map")
        page.wait_for_selector("#map[data-drawn-ms]", timeout=30000)
        vw, vh = DESKTOP["width"], DESKTOP["height"]
        m = page.locator("#map").bounding_box()
        assert m is not None and m["y"] < 80 and m["y"] + m["height"] <= vh + 1 and m["height"] > vh * 0.7, m
        assert m["width"] > vw * 0.55
        side = page.locator("#map-side").bounding_box()
        assert side is not None and side["x"] + side["width"] <= vw + 1 and side["x"] >= m["x"] + m["width"] - 1
        assert page.evaluate(OVERFLOW) <= 0
        # filters are folded and still in the URL
        assert not page.is_visible("#f-category")
        page.click("#filter-panel summary")
        assert page.is_visible("#f-category")
        page.check("input[name=severity][value=high]")
        page.click("#apply-filters")
        page.wait_for_url("**severity=high**")
        page.wait_for_selector("#map[data-drawn-ms]", timeout=30000)
        assert page.locator("#filters-active").text_content().strip() != ""
        # a row's click shows the defect's panel on screen, beside the map
        page.click("#defect-list a.defect-link >> nth=0")
        page.wait_for_selector("#detail .defect-detail", timeout=15000)
        d = page.locator("#detail").bounding_box()
        assert d is not None and d["y"] >= 0 and d["y"] < vh - 100 and d["x"] + d["width"] <= vw + 1, d
        assert page.locator("#detail a.inspection-link").count() >= 1
        # the list's columns are not cut off
        for cell in page.locator("#defect-list tbody tr >> nth=0").locator("td").all():
            box = cell.bounding_box()
            if box and box["width"]:
                assert box["x"] + box["width"] <= vw + 1
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_first_on_a_phone(browser: Any, live_server: LiveServer, lang: str) -> None:
    page = new_page(browser, live_server, PHONE, lang)
    try:
        sign_in(page, *SUPERVISOR, landing="**/supervise")
        set_language(page, lang)
        page.goto("/supervise/map")
        page.wait_for_selector("#map[data-drawn-ms]", timeout=30000)
        vh = PHONE["height"]
        m = page.locator("#map").bounding_box()
        assert m is not None and m["y"] < 300 and m["y"] + m["height"] <= vh + 1, m
        sheet = page.locator("#map-side").bounding_box()
        assert sheet is not None and sheet["y"] + sheet["height"] <= vh + 1 and sheet["y"] > m["y"], sheet
        assert page.evaluate(OVERFLOW) <= 0
        page.click("#defect-list a.defect-link >> nth=0")
        page.wait_for_selector("#detail .defect-detail", timeout=15000)
        d = page.locator("#detail").bounding_box()
        assert d is not None and 0 <= d["y"] < vh - 60, d
        assert page.evaluate(OVERFLOW) <= 0
        # the inspection page too: no sideways scroll
        page.click("#detail a.inspection-link >> nth=0")
        page.wait_for_selector("article.inspection-detail")
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        page.context.close()


def test_contractor_order_has_a_small_map_of_its_defects(browser: Any, live_server: LiveServer) -> None:
    page = new_page(browser, live_server, PHONE, "zh")
    try:
        sign_in(page, "green", "Lvyuan-2026-demo", landing="**/contractor**")
        page.goto("/contractor")
        link = page.locator('a[href^="/contractor/orders/"]').first
        page.goto(str(link.get_attribute("href")))
        page.wait_for_selector("#order-map[data-drawn]", timeout=20000)
        drawn = int(str(page.get_attribute("#order-map", "data-drawn")))
        assert drawn == page.locator(".fix-item[data-lat]").count() > 0
        box = page.locator("#order-map").bounding_box()
        assert box is not None and box["width"] <= PHONE["width"] and box["height"] > 150
        assert page.evaluate(OVERFLOW) <= 0
    finally:
        page.context.close()
