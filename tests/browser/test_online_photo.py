"""Online, end to end (issue 3, done-when): inspect an asset with a photo through the phone's UI.

"The server holds the inspection, its clause results, its photo (display and thumbnail
sizes, no EXIF) and, for a failing clause, a defect." In real Chromium with the network on:
the demo inspector opens Z1-SE-001 (open defect: SE-2 only) from its page, types values
that fail SE-1 and pass the rest, takes a camera JPEG (3000 × 2250, EXIF with GPS, time and
camera make) through the file chooser, and saves. The outbox sends it at once; the test then
reads the database, the media folder and the photo endpoints.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from server.assets.models import Asset
from server.defects.models import Defect
from server.inspections.models import ClauseResult, Inspection, InspectionPhoto
from server.photos.models import Photo
from tests.browser.conftest import LiveServer, collect_errors, context_options, sign_in, wait_until
from tests.photo_helpers import jpeg, photo_like

pytestmark = pytest.mark.browser

SEAT = {"latitude": 32.1049062, "longitude": 118.7075114, "accuracy": 6}  # where Z1-SE-001 stands


# What a JPEG may keep: how its pixels are laid out and coloured (JFIF, the ICC colour
# profile, Adobe's colour transform), never who, where or when.
RENDERING = (b"JFIF\x00", b"ICC_PROFILE\x00", b"Adobe")


def metadata_segments(data: bytes) -> list[bytes]:
    """The first bytes of each APPn or COM segment of a JPEG (before its image data) that is
    not about rendering: EXIF (GPS, time, camera), XMP, IPTC, comments."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    found, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
        if marker == 0xDA:  # start of scan: the image data follows
            break
        payload = data[at + 4:at + 2 + length]
        if (0xE0 <= marker <= 0xEF or marker == 0xFE) and not payload.startswith(RENDERING):
            found.append(payload[:12])
        at += 2 + length
    return found


def test_an_inspection_with_a_photo_reaches_the_server_whole(browser: Any, live_server: LiveServer,
                                                               tmp_path: Path) -> None:
    camera = tmp_path / "IMG_0001.jpg"
    camera.write_bytes(jpeg(image=photo_like(3000, 2250), gps=(32.10491, 118.70751), taken="2026:11:20 10:15:30",
                            offset="+08:00"))
    with Image.open(camera) as original:  # the camera's file does carry what must not be served
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    context = browser.new_context(**{**context_options(live_server.url), "locale": "en-GB",
                                     "timezone_id": "Asia/Shanghai", "geolocation": SEAT,
                                     "permissions": ["geolocation"]})
    try:
        page = context.new_page()
        errors = collect_errors(page)
        sign_in(page)
        [(seat_id,)] = live_server.query(select(Asset.id).where(Asset.code == "Z1-SE-001"))
        seat_id = uuid.UUID(str(seat_id))
        page.goto(f"/inspect/assets/{seat_id}")
        page.click("#inspect-link")
        page.wait_for_selector("form#inspection[data-ready=true]")
        page.click('label[for="obs-usable-yes"]')
        page.fill("#obs-damage_pct", "40")  # SE-1: more than 10 % damaged
        page.fill("#obs-missing_pct", "0")
        page.click('label[for="obs-tilt_affects_use-no"]')
        page.fill("#obs-rust_pct", "2")
        assert page.get_attribute("#result-SE-1", "data-result") == "fail"
        with page.expect_file_chooser() as chooser:
            page.click('label[for="inspection-photo"]')  # the camera button
        chooser.value.set_files(str(camera))
        page.wait_for_selector("[data-photos=inspection-photo] .thumbs li img")
        page.click("#save")
        page.wait_for_url(re.compile(rf".*/inspect/assets/{seat_id}(#saved)?$"))
        wait_until(page, "async () => (await (await import('/static/js/outbox.js')).list()).length === 0", 20000)

        [(inspection_id, verdict)] = live_server.query(
            select(Inspection.id, Inspection.verdict).where(Inspection.asset_id == seat_id)
            .order_by(Inspection.received_at.desc()).limit(1))
        inspection_id = uuid.UUID(str(inspection_id))
        assert verdict == "non_compliant"
        results = dict(live_server.query(select(ClauseResult.clause_id, ClauseResult.result)
                                         .where(ClauseResult.inspection_id == inspection_id)))
        assert results == {"SE-1": "fail", "SE-2": "pass", "SE-3": "pass", "SE-4": "pass"}
        [(sha, damage_index)] = live_server.query(select(InspectionPhoto.photo_sha256, InspectionPhoto.damage_index)
                                                  .where(InspectionPhoto.inspection_id == inspection_id))
        assert damage_index is None
        [(width, height, media_type, exif_lat)] = live_server.query(
            select(Photo.width, Photo.height, Photo.media_type, Photo.exif_lat).where(Photo.sha256 == sha))
        assert (width, height, media_type) == (1600, 1200, "image/jpeg")  # resized on the phone
        assert exif_lat is None  # the phone's re-encoding already dropped the camera's GPS
        defects = live_server.query(select(Defect.clause_id, Defect.status, Defect.opened_by_inspection_id)
                                    .where(Defect.asset_id == seat_id, Defect.clause_id == "SE-1"))
        assert [(c, s, uuid.UUID(str(i))) for c, s, i in defects] == [("SE-1", "open", inspection_id)]
        # The SE-2 defect the bench already had is now seen passing, for the supervisor to close.
        [(passed_by,)] = live_server.query(select(Defect.passed_inspection_id)
                                           .where(Defect.asset_id == seat_id, Defect.clause_id == "SE-2"))
        assert uuid.UUID(str(passed_by)) == inspection_id

        derived = Path(live_server.env["MEDIA_ROOT"]) / "derived" / sha[:2] / sha[2:4]
        for variant, size in (("display", (1600, 1200)), ("thumb", (320, 240))):
            assert (derived / f"{sha}-{variant}.jpg").is_file(), variant
            response = page.request.get(f"/photos/{sha}/{variant}")
            assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
            served = response.body()
            assert Image.open(io.BytesIO(served)).size == size, variant
            assert metadata_segments(served) == [], variant
            assert not Image.open(io.BytesIO(served)).getexif() and b"TestCam" not in served
        assert errors == [], errors
    finally:
        context.close()
