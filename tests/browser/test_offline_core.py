"""The offline core in real Chromium: service worker, download for offline, outbox and sync.

Records are put in the outbox through the same module the inspection form uses
(`/static/js/outbox.js`), and the server is checked through its database.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from server.assets.models import Asset
from server.inspections.models import Inspection, InspectionPhoto
from server.photos.models import Photo
from server.sites.models import Zone
from sync.models import SyncReceipt
from tests.browser.conftest import (
    open_menu,
    LiveServer,
    Profile,
    collect_errors,
    sign_in,
    wait_for_service_worker,
    wait_until,
)

pytestmark = pytest.mark.browser

# -- helpers -------------------------------------------------------------------------------

ENQUEUE_JS = """
async ({ id, body, photos }) => {
  const { enqueue } = await import('/static/js/outbox.js');
  const items = [];
  for (const b64 of photos) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    items.push({ sha256, blob: new Blob([bytes], { type: 'image/jpeg' }), type: 'image/jpeg',
                 taken_at: new Date().toISOString(), lat: 32.1, lon: 118.7 });
  }
  body.photos = items.map((p) => ({ sha256: p.sha256, damage_index: null }));
  await enqueue({ kind: 'inspection', id, body, photos: items });
  return items.map((p) => p.sha256);
}
"""

OUTBOX_JS = "async () => (await import('/static/js/outbox.js')).list()"
COUNTS_JS = "async () => (await import('/static/js/outbox.js')).counts()"


def jpeg(seed: int, size: tuple[int, int] = (64, 48), noise: bool = False) -> bytes:
    """A real JPEG, different for every seed (noise makes it big: no compression wins)."""
    rng = random.Random(seed)
    if noise:
        img = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    else:
        img = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def seating_asset(server: LiveServer, index: int = 0) -> tuple[str, str]:
    """(id, code) of an active seating asset in zone Z1, one of the inspector's zones."""
    rows = server.query(
        select(Asset.id, Asset.code)
        .join(Zone, Zone.id == Asset.zone_id)
        .where(Zone.code == "Z1", Asset.category == "seating", Asset.active.is_(True))
        .order_by(Asset.code)
    )
    asset_id, code = rows[index]
    return str(asset_id), code


def inspection_body(asset_id: str, **observations: Any) -> dict[str, Any]:
    observed = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(minutes=2)
    return {
        "asset_id": asset_id,
        "observed_at": observed.isoformat(timespec="seconds"),
        "position": {"lat": 32.1001, "lon": 118.7002, "accuracy_m": 6.5},
        "observations": observations or {"damage_pct": 5, "usable": True},
        "damages": [],
        "not_applicable": [],
        "notes": "",
        "photos": [],
    }


def enqueue(page: Any, record_id: str, body: dict[str, Any], photos: list[bytes] = ()) -> list[str]:
    return page.evaluate(ENQUEUE_JS, {"id": record_id, "body": body, "photos": [b64(p) for p in photos]})


def outbox(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(OUTBOX_JS)


def wait_outbox_empty(page: Any, timeout_ms: int = 20000) -> None:
    wait_until(page, "async () => (await (await import('/static/js/outbox.js')).list()).length === 0", timeout_ms)


def count(server: LiveServer, model: Any, *where: Any) -> int:
    return server.query(select(func.count()).select_from(model).where(*where))[0][0]


def download_for_offline(page: Any) -> str:
    open_menu(page)
    page.click("#fc-syncbar summary")
    page.wait_for_selector("#fc-syncbar details[data-ready]")  # the download code loads on first open
    page.click("[data-download]")
    page.wait_for_selector("#fc-syncbar details[data-state=done], #fc-syncbar details[data-state=failed]", timeout=90000)
    status = page.inner_text("[data-download-status]")
    assert page.get_attribute("#fc-syncbar details", "data-state") == "done", status
    return status


# -- the service worker and the shell --------------------------------------------------------


def test_service_worker_installs_and_serves_the_shell(context: Any, live_server: LiveServer) -> None:
    page = context.new_page()
    errors = collect_errors(page)
    sign_in(page)
    wait_for_service_worker(page)

    sw = page.request.get("/sw.js")
    assert sw.headers["service-worker-allowed"] == "/"
    assert sw.headers["cache-control"] == "no-cache"
    files = json.loads(sw.text().split("const BUILD = ", 1)[1].split(";\n", 1)[0])["files"]
    assert "/static/js/sync.js" in files and "/manifest.webmanifest" in files
    cached = page.evaluate(
        "async () => (await (await caches.open('fieldcheck-static-v1')).keys()).map((r) => new URL(r.url).pathname)"
    )
    assert set(files) | {"/offline"} <= set(cached)

    manifest = page.request.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    doc = manifest.json()
    assert doc["start_url"] == "/inspect" and doc["display"] == "standalone"
    purposes = {(i["sizes"], i["purpose"]) for i in doc["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in doc["icons"]:
        data = page.request.get(icon["src"]).body()
        assert Image.open(io.BytesIO(data)).size == tuple(int(n) for n in icon["sizes"].split("x"))

    # A repeat load: the shell comes from the service worker, no static byte from the network.
    from_network: list[str] = []
    context.on("request", lambda r: from_network.append(r.url) if r.service_worker and "/static/" in r.url else None)
    served = []
    page.on("response", lambda r: served.append((r.url, r.from_service_worker)) if "/static/" in r.url else None)
    page.reload()
    page.wait_for_selector("#fc-syncbar[data-mounted]")
    assert served and all(sw for _, sw in served), served
    assert from_network == []
    assert errors == [], errors


def test_download_for_offline_then_pages_work_without_network(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    asset_id, code = seating_asset(live_server)
    status = download_for_offline(page)
    assert "→" in status  # storage before → after
    stored = page.evaluate(
        """async () => { const s = await import('/static/js/store.js');
             return { assets: (await s.getAll('assets')).length, zones: (await s.getAll('zones')).length,
                      standards: !!(await s.getMeta('standards')), since: await s.getMeta('bundle_generated_at') }; }"""
    )
    zones_of_inspector = ("Z1", "Z2", "Z3")
    expected = count(live_server, Asset, Asset.active.is_(True),
                     Asset.zone_id.in_(select(Zone.id).where(Zone.code.in_(zones_of_inspector))))
    assert stored["assets"] == expected and stored["zones"] == 3 and stored["standards"] and stored["since"]

    page.context.set_offline(True)
    for url in ("/inspect", f"/inspect/assets/{asset_id}", f"/inspect/form/seating?asset={asset_id}", "/inspect/outbox"):
        response = page.goto(url)
        assert response is not None and response.ok, url
        assert response.from_service_worker, url
        page.wait_for_selector("#fc-syncbar[data-mounted]")
        assert page.get_attribute("[data-net]", "data-state") == "offline"
    # The asset page offline is the one shell, filled from the stored bundle.
    page.goto(f"/inspect/assets/{asset_id}")
    page.wait_for_selector("body[data-shell='ready']")
    assert page.inner_text(".asset-code") == code
    assert page.get_attribute("#inspect-link", "href") == f"/inspect/form/seating?asset={asset_id}"
    keys = page.evaluate("async () => (await (await caches.open('fieldcheck-pages-v1')).keys()).map((r) => new URL(r.url).pathname)")
    assert not [k for k in keys if k.startswith("/inspect/assets/") and k not in ("/inspect/assets/shell", "/inspect/assets/new")], keys
    # An asset this phone never stored: the shell says so.
    page.goto("/inspect/assets/00000000-0000-4000-8000-000000000000")
    page.wait_for_selector("body[data-shell='missing']")
    # A page never downloaded: the offline page, not the browser's error.
    page.goto("/supervise")
    assert page.locator(".offline-page").count() == 1

    # A second download asks only for what changed since the first.
    page.context.set_offline(False)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/offline/bundle" in r.url else None)
    page.goto("/inspect")
    page.wait_for_selector("#fc-syncbar[data-mounted]")
    download_for_offline(page)
    assert asked and "since=" in asked[-1]

    # Signing out forgets the stored pages (they show this inspector's data).
    open_menu(page)
    page.click("form.signout button")
    page.wait_for_url("**/login")
    assert "fieldcheck-pages-v1" not in page.evaluate("caches.keys()")


def test_the_worker_script_changes_with_any_static_file(tmp_path: Path) -> None:
    from server.pwa import SW_BUILD_LINE, service_worker_source

    root = tmp_path / "static"
    (root / "js").mkdir(parents=True)
    (root / "vendor").mkdir()
    (root / "sw.js").write_text(f"// worker\n{SW_BUILD_LINE}\n")
    (root / "manifest.webmanifest").write_text("{}")
    (root / "js" / "a.js").write_text("export const a = 1;")
    (root / "vendor" / "LICENSE").write_text("licence text")
    first = service_worker_source(root)
    build = json.loads(first.split("const BUILD = ", 1)[1].split(";\n", 1)[0])
    assert build["files"] == ["/static/js/a.js", "/manifest.webmanifest"]
    assert service_worker_source(root) == first
    (root / "js" / "a.js").write_text("export const a = 22;")  # other size: mtimes can tie
    assert service_worker_source(root) != first


# -- the outbox and the sync protocol ---------------------------------------------------------


def test_offline_record_survives_reload_and_restart_and_syncs_once(profile: Profile, live_server: LiveServer) -> None:
    context = profile.open()
    page = context.new_page()
    sign_in(page)
    wait_for_service_worker(page)
    download_for_offline(page)
    asset_id, _ = seating_asset(live_server)
    record_id = str(uuid.uuid4())

    context.set_offline(True)
    page.goto("/inspect")
    shas = enqueue(page, record_id, inspection_body(asset_id), [jpeg(1), jpeg(2)])
    bar = page.locator("[data-waiting]")
    wait_until(page, "() => document.querySelector('[data-waiting]').dataset.records === '1'")
    assert bar.get_attribute("data-photos") == "2"
    assert int(bar.get_attribute("data-bytes")) > sum(len(jpeg(i)) for i in (1, 2))

    page.reload()
    page.wait_for_selector("#fc-syncbar[data-mounted]")
    assert [e["id"] for e in outbox(page)] == [record_id]

    # Close the browser and open it again on the same profile, still with no network. The
    # server is down as well: on start the browser may wake the service worker for
    # Background Sync before the emulated offline state reaches it.
    live_server.stop()
    context = profile.reopen()
    context.set_offline(True)
    page = context.new_page()
    response = page.goto("/inspect")
    assert response is not None and response.from_service_worker
    page.wait_for_selector("#fc-syncbar[data-mounted]")
    entries = wait_until(page, '''async () => { const l = await (await import('/static/js/outbox.js')).list();
                                     return l.every((e) => e.state === 'queued') && l; }''')
    assert [(e["id"], sorted(e["photos"])) for e in entries] == [(record_id, sorted(shas))]
    assert count(live_server, Inspection, Inspection.id == uuid.UUID(record_id)) == 0

    live_server.start()
    context.set_offline(False)  # the `online` event starts the sync
    wait_outbox_empty(page)
    wait_until(page, "() => document.querySelector('[data-waiting]').dataset.records === '0'")
    assert page.evaluate("async () => (await (await import('/static/js/store.js')).getAll('photos')).length") == 0
    rid = uuid.UUID(record_id)
    assert count(live_server, Inspection, Inspection.id == rid) == 1
    assert count(live_server, InspectionPhoto, InspectionPhoto.inspection_id == rid) == 2
    assert count(live_server, Photo, Photo.sha256.in_(shas)) == 2
    assert count(live_server, SyncReceipt, SyncReceipt.id == rid) == 1


def test_server_errors_keep_the_entry_queued_until_it_succeeds(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    calls: list[int] = []

    def fail_twice(route: Any) -> None:
        calls.append(1)
        if len(calls) <= 2:
            route.fulfill(status=500, content_type="application/json",
                          body='{"code": "internal_error", "message": "boom", "field": null, "errors": []}')
        else:
            route.continue_()

    page.context.route("**/api/sync", fail_twice)
    asset_id, _ = seating_asset(live_server)
    record_id = str(uuid.uuid4())
    enqueue(page, record_id, inspection_body(asset_id), [jpeg(3)])

    entry = wait_until(page, """async () => { const e = (await (await import('/static/js/outbox.js')).list())[0];
                                 return e && e.attempts >= 1 && e.state === 'queued' ? e : null; }""")
    assert entry["last_error"]["status"] == 500
    assert entry["next_attempt_at"] > 0
    assert count(live_server, Inspection, Inspection.id == uuid.UUID(record_id)) == 0

    wait_outbox_empty(page, 30000)  # retried with backoff (1 s, then 2 s) and accepted
    assert len(calls) >= 3
    assert count(live_server, Inspection, Inspection.id == uuid.UUID(record_id)) == 1


def test_the_same_entry_sent_five_times_is_stored_once(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    asset_id, _ = seating_asset(live_server)
    record_id = str(uuid.uuid4())
    body = inspection_body(asset_id)
    sent: list[int] = []

    # The first two answers are lost on the way back (the server stored the record, the
    # phone heard nothing): the phone must send again, and the server answer "duplicate".
    def lose_answers(route: Any) -> None:
        sent.append(1)
        if len(sent) <= 2:
            route.fetch()
            route.abort("connectionreset")
        else:
            route.continue_()

    page.context.route("**/api/sync", lose_answers)
    enqueue(page, record_id, body, [jpeg(4)])
    wait_outbox_empty(page, 30000)
    assert len(sent) == 3  # kept and sent again after each lost answer
    page.context.unroute("**/api/sync")
    while len(sent) < 5:  # and twice more from the outbox, as if saved again
        enqueue(page, record_id, body, [jpeg(4)])
        wait_outbox_empty(page)
        sent.append(1)

    rid = uuid.UUID(record_id)
    assert count(live_server, Inspection, Inspection.id == rid) == 1
    assert count(live_server, InspectionPhoto, InspectionPhoto.inspection_id == rid) == 1
    assert count(live_server, SyncReceipt, SyncReceipt.id == rid) == 1


def test_a_conflict_shows_under_needs_attention_with_the_reason(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    asset_id, _ = seating_asset(live_server)
    record_id = str(uuid.uuid4())
    enqueue(page, record_id, inspection_body(asset_id))
    wait_outbox_empty(page)

    other = inspection_body(asset_id, damage_pct=40, usable=False)  # other content, same id
    enqueue(page, record_id, other, [jpeg(5)])
    wait_until(page, "() => document.querySelector('[data-attention]').dataset.count === '1'")
    assert page.is_visible("[data-attention]")
    (entry,) = outbox(page)
    assert entry["state"] == "needs_attention" and entry["last_error"]["status"] == 409
    assert entry["last_error"]["code"] == "record_conflict"

    page.click("[data-attention]")
    page.wait_for_url("**/inspect/outbox")
    item = page.locator(f"#ob-attention li[data-id='{record_id}']")
    item.wait_for()
    reason = item.locator("[data-reason]").inner_text()
    assert "record_conflict" in reason and entry["last_error"]["message"] in reason
    assert item.locator("[data-fix]").is_hidden()  # a conflict cannot be fixed by editing

    with page.expect_download() as info:
        item.locator("[data-export]").click()
    exported = json.loads(Path(info.value.path()).read_text())
    assert exported["entry"]["id"] == record_id
    assert base64.b64decode(exported["photos"][0]["base64"]) == jpeg(5)

    item.locator("[data-delete]").click()
    page.click("#ob-confirm [value=cancel]")
    assert len(outbox(page)) == 1  # cancelled: still there
    item.locator("[data-delete]").click()
    page.click("#ob-confirm [data-confirm-delete]")
    wait_until(page, "async () => (await (await import('/static/js/outbox.js')).list()).length === 0")
    # The stored record is the first one, untouched.
    assert count(live_server, Inspection, Inspection.id == uuid.UUID(record_id)) == 1


def test_a_refused_record_can_be_fixed_and_sent_again(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    asset_id, _ = seating_asset(live_server)
    record_id = str(uuid.uuid4())
    enqueue(page, record_id, inspection_body(asset_id, damage_pct=500, usable=True))  # out of range
    wait_until(page, "() => document.querySelector('[data-attention]').dataset.count === '1'")
    (entry,) = outbox(page)
    assert entry["last_error"]["status"] == 422 and entry["last_error"]["errors"]

    page.goto("/inspect/outbox")
    item = page.locator(f"#ob-attention li[data-id='{record_id}']")
    item.wait_for()
    assert item.locator("[data-errors] li").count() >= 1
    assert item.locator("[data-fix]").get_attribute("href") == f"/inspect/form/seating?asset={asset_id}&entry={record_id}"

    fixed = inspection_body(asset_id, damage_pct=5, usable=True)
    page.evaluate("async ([id, body]) => (await import('/static/js/outbox.js')).retry(id, body)", [record_id, fixed])
    wait_outbox_empty(page)
    assert count(live_server, Inspection, Inspection.id == uuid.UUID(record_id)) == 1


def test_counts_and_progress_are_visible_while_syncing(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    asset_id, _ = seating_asset(live_server)
    held: list[Any] = []
    page.context.route("**/api/sync", lambda route: held.append(route))  # hold the batch

    page.context.set_offline(True)
    enqueue(page, str(uuid.uuid4()), inspection_body(asset_id), [jpeg(6), jpeg(7)])
    enqueue(page, str(uuid.uuid4()), inspection_body(asset_id), [jpeg(8)])
    wait_until(page, "() => document.querySelector('[data-waiting]').dataset.records === '2'")
    bar = page.locator("[data-waiting]")
    assert bar.get_attribute("data-photos") == "3"
    assert "2" in bar.inner_text() and "3" in bar.inner_text()
    assert page.get_attribute("[data-net]", "data-state") == "offline"

    page.context.set_offline(False)
    wait_until(page, "() => document.querySelector('#fc-syncbar').dataset.syncing === '1'")
    page.wait_for_selector("[data-progress]:not([hidden]) progress")
    for _ in range(150):  # the photos go first, then the batch reaches the route
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the batch should be waiting at the route"
    assert page.is_visible("[data-progress] progress")
    entries = outbox(page)
    assert [e["state"] for e in entries] == ["sending", "sending"]
    for route in held:
        route.continue_()
    page.context.unroute("**/api/sync")
    wait_outbox_empty(page)
    page.wait_for_selector("[data-progress][hidden]", state="attached")
    wait_until(page, "() => document.querySelector('[data-waiting]').dataset.records === '0'")
    assert page.get_attribute("[data-net]", "data-state") == "online"
    assert "Storage" in (page.text_content("[data-storage]") or "")


def test_an_expired_session_keeps_everything_queued(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    asset_id, _ = seating_asset(live_server)
    record_id = str(uuid.uuid4())
    page.context.clear_cookies(name="fc_session")
    enqueue(page, record_id, inspection_body(asset_id), [jpeg(9)])
    page.wait_for_selector("[data-auth]:not([hidden])")
    (entry,) = outbox(page)
    assert entry["state"] == "queued" and entry["attempts"] == 0

    sign_in(page)  # back to /inspect: the page-load sync sends it
    wait_outbox_empty(page)
    assert page.is_hidden("[data-auth]")
    assert count(live_server, Inspection, Inspection.id == uuid.UUID(record_id)) == 1


def test_a_large_photo_resumes_where_the_upload_stopped(inspector_page: Any, live_server: LiveServer) -> None:
    page = inspector_page
    big = jpeg(10, (1200, 900), noise=True)
    assert len(big) > 1024 * 1024
    asset_id, _ = seating_asset(live_server)
    record_id = str(uuid.uuid4())
    pieces: list[str] = []

    def cut_second_piece(route: Any) -> None:
        if route.request.method != "PATCH":
            route.continue_()
            return
        pieces.append(route.request.url)
        if len(pieces) == 2:
            route.abort("connectionreset")  # the signal drops mid-upload
        else:
            route.continue_()

    page.context.route("**/api/photos/*", cut_second_piece)
    enqueue(page, record_id, inspection_body(asset_id), [big])
    wait_outbox_empty(page, 30000)
    offsets = [int(u.split("offset=")[1].split("&")[0]) for u in pieces]
    assert offsets.count(0) == 1, offsets  # the first piece was not sent again
    assert count(live_server, Photo, Photo.size_bytes == len(big)) == 1
    assert count(live_server, Inspection, Inspection.id == uuid.UUID(record_id)) == 1
