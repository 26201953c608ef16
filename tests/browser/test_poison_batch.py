"""One record the server keeps failing cannot hold up the phone's outbox (web/static/js/
sync-batches.js), in real Chromium: the server answers 500 to every batch holding that
record (a server-side bug with one record, whatever it is); "Sync now" again and again
sends the batch whole once more, then in halves, then one by one — the good records are
stored, the bad one stays queued on the phone, nothing is dropped."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from server.inspections.models import Inspection
from tests.browser.conftest import LiveServer, context_options, sign_in, wait_until
from tests.browser.test_offline_core import count, enqueue, inspection_body, seating_asset

pytestmark = pytest.mark.browser

GOOD = 12
OUTBOX_JS = "async () => (await import('/static/js/outbox.js')).list()"
SYNC_NOW_JS = "async () => { const s = await import('/static/js/sync.js'); return await s.syncNow({ force: true }); }"


def test_a_record_failing_every_batch_is_split_off_and_the_rest_sync(browser: Any, live_server: LiveServer) -> None:
    # No service worker: the page's own sync loop is what is tested, and every request it
    # makes goes through the route below.
    context = browser.new_context(**{**context_options(live_server.url), "service_workers": "block"})
    try:
        page = context.new_page()
        sign_in(page)
        poison = str(uuid.uuid4())
        posts: list[int] = []

        def sync_route(route: Any) -> None:
            request = route.request
            if request.method == "POST":
                records = json.loads(request.post_data or "{}").get("records", [])
                posts.append(len(records))
                if any(r.get("id") == poison for r in records):
                    route.fulfill(status=500, content_type="application/json",
                                  body=json.dumps({"code": "internal_error", "message": "boom", "field": None, "errors": []}))
                    return
            route.continue_()

        page.route("**/api/sync", sync_route)
        asset_id, _ = seating_asset(live_server)
        ids = [str(uuid.uuid4()) for _ in range(GOOD)]
        ids.insert(5, poison)
        # The modules loaded first (no service worker serves them offline); all thirteen records
        page.evaluate("async () => { await import('/static/js/outbox.js'); await import('/static/js/sync.js'); }")
        context.set_offline(True)  # in the outbox before the first run sends them together in the outbox before the first run sends them together
        for record_id in ids:
            enqueue(page, record_id, inspection_body(asset_id))
        context.set_offline(False)
        page.evaluate(SYNC_NOW_JS)

        def entry(record_id: str) -> dict[str, Any] | None:
            return next((e for e in page.evaluate(OUTBOX_JS) if e["id"] == record_id), None)

        # Answered 500 once: retried whole, nothing split yet, nothing dropped.
        first = wait_until(page, f"""async () => {{ const l = await ({OUTBOX_JS})();
                                     return l.some((e) => e.server_errors >= 1) ? l : null; }}""")
        assert len(first) + count(live_server, Inspection, Inspection.id.in_([uuid.UUID(i) for i in ids])) == GOOD + 1
        for _ in range(12):
            page.evaluate(SYNC_NOW_JS)
            if count(live_server, Inspection, Inspection.id.in_([uuid.UUID(i) for i in ids if i != poison])) == GOOD:
                break
        assert count(live_server, Inspection, Inspection.id.in_([uuid.UUID(i) for i in ids if i != poison])) == GOOD, posts
        left = page.evaluate(OUTBOX_JS)
        assert [e["id"] for e in left] == [poison], left  # the bad one, and only it, still waits
        bad = entry(poison)
        assert bad is not None and bad["state"] == "queued" and bad["batch_cap"] == 1
        assert bad["last_error"]["status"] == 500 and bad["attempts"] >= 3
        assert posts[:2] == [GOOD + 1, GOOD + 1]  # the first 500 is retried whole, then it splits
        assert max(posts[2:]) <= (GOOD + 2) // 2
        # Sent again alone, still refused by the broken server: it stays, never dropped.
        page.evaluate(SYNC_NOW_JS)
        assert entry(poison) is not None and posts[-1] == 1
        assert count(live_server, Inspection, Inspection.id == uuid.UUID(poison)) == 0
    finally:
        context.close()
