"""Issue 12: a record the server refused because its asset was retired meanwhile goes to
another asset of the same category from the outbox ("choose another asset"), in Chromium:
the refusal shows under needs attention, the finder lists only that category, the form
reopens on the same record with the new asset, and the server stores it once, there."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine

from server.assets.models import Asset
from server.inspections.models import Inspection
from tests.browser.conftest import LiveServer, _run_async, wait_until
from tests.browser.test_offline_core import enqueue, inspection_body, outbox, seating_asset, wait_outbox_empty

pytestmark = pytest.mark.browser


def retire(server: LiveServer, asset_id: str) -> None:
    """The admin retires the asset while the record waits on the phone (straight in the database)."""
    async def run() -> None:
        engine = create_async_engine(server.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(update(Asset).where(Asset.id == uuid.UUID(asset_id)).values(active=False))
        finally:
            await engine.dispose()

    _run_async(run())


def test_a_record_of_a_retired_asset_goes_to_another_asset(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    retired, _ = seating_asset(live_server, 0)
    retire(live_server, retired)
    record_id = str(uuid.uuid4())
    enqueue(page, record_id, inspection_body(retired))
    wait_until(page, "() => document.querySelector('[data-attention]').dataset.count === '1'", 30000)
    (entry,) = outbox(page)
    assert entry["state"] == "needs_attention"
    assert [e["code"] for e in entry["last_error"]["errors"]] == ["asset_inactive"]

    page.goto("/inspect/outbox")
    item = page.locator(f"#ob-attention li[data-id='{record_id}']")
    item.wait_for()
    choose = item.locator("[data-choose-asset]")
    assert choose.is_visible()
    choose.click()
    page.wait_for_url(re.compile(r".*/inspect/assets#reassign=.*category=seating"))
    page.wait_for_selector("#asset-list li a")
    hrefs = page.eval_on_selector_all("#asset-list li a", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith("/inspect/form/seating?asset=") and f"entry={record_id}" in h for h in hrefs)
    assert not any(retired in h for h in hrefs)  # the retired asset is not offered
    target = page.locator("#asset-list li").first.get_attribute("data-id")
    page.locator("#asset-list li a").first.click()
    page.wait_for_selector("form#inspection[data-ready=true]")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/inspect/assets/.*"))
    wait_outbox_empty(page, 30000)
    stored = live_server.query(select(Inspection.asset_id).where(Inspection.id == uuid.UUID(record_id)))
    assert [str(uuid.UUID(str(a))) for (a,) in stored] == [target]
