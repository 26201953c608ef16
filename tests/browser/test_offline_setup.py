"""Offline set-up in real Chromium (issue 12): without a download "nearest first" is the
server's sort over all the inspector's assets, and saving with no signal and nothing
downloaded confirms the save on a page the phone has, never "This page is not stored"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from server.assets.models import Asset
from server.sites.models import Zone
from tests.browser.conftest import LiveServer, context_options, sign_in, wait_for_service_worker, wait_until

pytestmark = pytest.mark.browser


def last_asset_by_code(server: LiveServer) -> tuple[str, str, float, float, str]:
    """The inspector's (Z1–Z3) active asset that comes last by code: never in the first 50."""
    rows = server.query(
        select(Asset.id, Asset.code, Asset.lat, Asset.lon, Asset.category).join(Zone, Zone.id == Asset.zone_id)
        .where(Zone.code.in_(["Z1", "Z2", "Z3"]), Asset.active.is_(True)).order_by(Asset.code.desc()).limit(1)
    )
    aid, code, lat, lon, category = rows[0]
    return str(aid), code, lat, lon, category


def test_nearest_first_without_a_download_is_sorted_by_the_server(browser: Any, live_server: LiveServer) -> None:
    aid, code, lat, lon, _ = last_asset_by_code(live_server)
    context = browser.new_context(**{**context_options(live_server.url), "viewport": {"width": 390, "height": 844},
                                     "service_workers": "block", "geolocation": {"latitude": lat, "longitude": lon,
                                                                                "accuracy": 5},
                                     "permissions": ["geolocation"]})
    try:
        page = context.new_page()
        sign_in(page)
        page.goto("/inspect/assets")
        # the page's own list is the first 50 by code: the asset where the phone stands is not in it
        assert page.locator(f'#asset-list li[data-id="{aid}"]').count() == 0 or \
            page.get_attribute("#asset-list", "data-source") == "server-nearest"
        wait_until(page, "() => document.querySelector('#asset-list').dataset.source === 'server-nearest'", 20000)
        wait_until(page, f"() => document.querySelector('#asset-list li').dataset.id === '{aid}'")
        assert page.inner_text("#asset-list li:first-child .asset-code") == code
        assert page.inner_text("#asset-list li:first-child .asset-dist") in ("0 m", "1 m")
    finally:
        context.close()


def test_saving_offline_without_a_download_confirms_on_a_page_the_phone_has(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(**{**context_options(live_server.url), "viewport": {"width": 390, "height": 844},
                                     "locale": "en-US"})
    try:
        page = context.new_page()
        sign_in(page)
        wait_for_service_worker(page)
        page.goto("/inspect")  # kept by the service worker as visited
        page.goto("/inspect/assets?q=Z1-SE-001")
        aid = str(page.get_attribute('#asset-list li[data-code="Z1-SE-001"]', "data-id"))
        page.goto(f"/inspect/form/seating?asset={aid}")
        page.wait_for_selector("form#inspection[data-ready=true]")
        page.click('label[for="obs-usable-yes"]')
        page.fill("#obs-damage_pct", "3")
        context.set_offline(True)
        page.click("#save")
        page.wait_for_url(re.compile(r".*/inspect(/assets|/outbox)?(#saved)?$"), timeout=20000)
        page.wait_for_selector("#saved-note:not([hidden])")
        assert "Saved on this phone" in page.inner_text("#saved-note")
        assert "not stored" not in page.inner_text("body").lower()
        entries = page.evaluate("async () => (await import('/static/js/outbox.js')).list()")
        assert len(entries) == 1 and entries[0]["body"]["asset_id"] == aid
    finally:
        context.set_offline(False)
        context.close()
