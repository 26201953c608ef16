"""The media disk out of space, seen from the phone in real Chromium (issue 6, faults).

The live server's MEDIA_ROOT becomes a small tmpfs filled to the last byte, so the photo
upload of a sync run meets the kernel's ENOSPC and the server answers 507. The record must
stay on the phone — queued, its photo kept, the reason shown on the outbox page — and go
through once there is room again. (tests/test_faults_photos.py shows the 507 itself.)
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import pytest

from server.core.i18n import translate
from server.inspections.models import Inspection, InspectionPhoto
from server.photos.models import Photo
from sync.models import SyncReceipt
from tests.browser.conftest import LiveServer, wait_until
from tests.browser.test_offline_core import (
    count,
    enqueue,
    inspection_body,
    jpeg,
    seating_asset,
    wait_outbox_empty,
)
from tests.fault_helpers import files_under, fill_up, small_filesystem

pytestmark = pytest.mark.browser

ENTRY_JS = """async (id) => (await (await import('/static/js/outbox.js')).list()).find((e) => e.id === id) || null"""
PHONE_PHOTOS_JS = """async () => (await (await import('/static/js/store.js')).getAll('photos')).map((p) => p.sha256)"""


def test_a_full_media_disk_keeps_the_record_on_the_phone_until_there_is_room(
    inspector_page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    page = inspector_page
    media = tmp_path / "media"  # the live server's MEDIA_ROOT
    asset_id, _ = seating_asset(live_server)
    record_id = str(uuid.uuid4())
    photo = jpeg(21, (640, 480), noise=True)
    with small_filesystem(media, 1024):
        filler = fill_up(media)
        (sha,) = enqueue(page, record_id, inspection_body(asset_id), [photo])

        entry = wait_until(page, f"""async () => {{ const e = await ({ENTRY_JS})('{record_id}');
                                     return e && e.state === 'queued' && e.attempts >= 1 ? e : null; }}""")
        error = entry["last_error"]
        assert (error["status"], error["code"]) == (507, "media_storage_full")
        assert error["message"] == translate("en", "photos.storage_full")
        assert entry["next_attempt_at"] > 0  # retried later, with backoff
        assert sha in page.evaluate(PHONE_PHOTOS_JS)  # the photo is kept on the phone
        rid = uuid.UUID(record_id)
        assert count(live_server, Inspection, Inspection.id == rid) == 0
        assert count(live_server, Photo, Photo.sha256 == sha) == 0
        assert files_under(media) == []  # nothing half-written on the server

        # The inspector sees why it waits.
        page.goto("/inspect/outbox")
        item = page.locator(f"#ob-waiting li[data-id='{record_id}']")
        item.wait_for()
        assert error["message"] in item.locator("[data-reason]").inner_text()
        assert page.locator(f"#ob-attention li[data-id='{record_id}']").count() == 0

        # Room again: "retry" sends it, photo first, and the phone lets go of it.
        filler.unlink()
        item.locator("[data-retry]").click()
        wait_outbox_empty(page, 30000)
        assert sha not in page.evaluate(PHONE_PHOTOS_JS)
        assert count(live_server, Inspection, Inspection.id == rid) == 1
        assert count(live_server, InspectionPhoto, InspectionPhoto.inspection_id == rid) == 1
        assert count(live_server, SyncReceipt, SyncReceipt.id == rid) == 1
        stored = media / sha[:2] / sha[2:4] / f"{sha}.jpg"
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
