"""Uploading photos through HTTP (docs/sync.md §1): PUT, /missing, and every refusal.

After each refusal nothing is stored: no Photo row, no file under MEDIA_ROOT (not even a
partial one), no object in the bucket. The tests taking `media_store` run twice: photos in
the folder, and in a bucket on a real S3 server (tests/conftest.py).
"""

from __future__ import annotations

import errno
import io

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select

from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.photos import storage
from server.photos.models import Photo
from tests.photo_helpers import (
    Counter,
    assert_nothing_stored,
    bomb_png,
    heic_like,
    jpeg,
    lazy_body,
    derived_key,
    media_root,
    original_key,
    photo_count,
    photo_like,
    pieces,
    png,
    sha,
    signed_in_api,
    stored_bytes,
    stored_files,
    streaming_client,
    text_named_jpg,
    truncated_jpeg,
    webp,
)

MB = 1024 * 1024


async def put(client: AsyncTestClient, headers: dict[str, str], data: bytes, name: str | None = None, **extra: str):
    return await client.put(
        f"/api/photos/{name or sha(data)}",
        content=data,
        headers={**headers, "Content-Type": "image/jpeg", **extra},
    )


async def test_a_photo_is_stored_under_its_hash_with_both_sizes(
    client: AsyncTestClient, database: Database, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg(image=photo_like(1600, 1200), quality=85)
    digest = sha(data)

    response = await put(client, headers, data)

    assert response.status_code == 201, response.text
    assert response.json() == {
        "sha256": digest, "width": 1600, "height": 1200, "media_type": "image/jpeg", "size_bytes": len(data),
    }
    assert stored_bytes(original_key(digest)) == data
    display = Image.open(io.BytesIO(stored_bytes(derived_key(digest, "display")) or b""))
    thumb = Image.open(io.BytesIO(stored_bytes(derived_key(digest, "thumb")) or b""))
    assert (display.format, display.size) == ("JPEG", (1600, 1200))
    assert (thumb.format, thumb.size) == ("JPEG", (320, 240))
    assert len(stored_files()) == 3
    async with database.session(write=False) as s:
        photo = await s.get(Photo, digest)
        event = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "photo.uploaded"))).one()
    assert photo is not None and photo.uploaded_by is not None
    assert (photo.media_type, photo.size_bytes, photo.width, photo.height) == ("image/jpeg", len(data), 1600, 1200)
    assert (event.entity_type, event.entity_id, event.device_id) == ("photo", digest, "phone-ivy")
    assert event.user_id == photo.uploaded_by


async def test_the_same_photo_twice_is_stored_once(client: AsyncTestClient, database: Database, media_store: str) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg()
    first = await put(client, headers, data)
    again = await put(client, headers, data)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert await photo_count(database) == 1
    assert len(stored_files()) == 3
    async with database.session(write=False) as s:
        events = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "photo.uploaded"))).all()
    assert len(events) == 1


async def test_one_photo_sent_twice_at_once_is_stored_once(database: Database, media_store: str) -> None:
    """Two phones (or two tabs) racing with the same photo: one row, both answered with it."""
    import asyncio

    from server.core.config import get_settings
    from server.photos.service import Uploader, ingest_bytes

    data = jpeg(image=photo_like(800, 600))
    first, second = await asyncio.gather(
        ingest_bytes(database, get_settings(), data, Uploader(None, "a")),
        ingest_bytes(database, get_settings(), data, Uploader(None, "b")),
    )
    assert sorted((first.created, second.created)) == [False, True]
    assert first.photo == second.photo
    assert await photo_count(database) == 1
    assert len(stored_files()) == 3


async def test_missing_names_only_the_hashes_the_server_lacks(client: AsyncTestClient, database: Database) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    held = jpeg(200, 100)
    await put(client, headers, held)
    other, third = sha(b"not uploaded"), sha(b"nor this")

    response = await client.post(
        "/api/photos/missing", json={"sha256": [other, sha(held), third, other]}, headers=headers
    )

    assert response.status_code == 200
    assert response.json() == {"missing": [other, third]}
    empty = await client.post("/api/photos/missing", json={"sha256": []}, headers=headers)
    assert empty.json() == {"missing": []}


@pytest.mark.parametrize(
    ("hashes", "status", "code", "field"),
    [
        (["ABCDEF" + "0" * 58], 422, "photo_hash_invalid", "sha256[0]"),
        ([sha(b"x"), "photo.jpg"], 422, "photo_hash_invalid", "sha256[1]"),
        ([sha(str(i).encode()) for i in range(501)], 422, "too_many_photos", "sha256"),
    ],
)
async def test_missing_refuses_bad_queries(
    client: AsyncTestClient, database: Database, hashes: list[str], status: int, code: str, field: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    response = await client.post("/api/photos/missing", json={"sha256": hashes}, headers=headers)
    assert response.status_code == status
    assert (response.json()["code"], response.json()["field"]) == (code, field)


async def test_a_hash_mismatch_is_refused_and_nothing_stored(
    client: AsyncTestClient, database: Database, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "wei", "inspector", language="zh")
    data = jpeg()
    response = await put(client, headers, data, name=sha(data + b"?"))
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("photo_hash_mismatch", "sha256")
    assert "SHA-256" in body["message"] and "未保存" in body["message"]
    await assert_nothing_stored(database)


async def test_a_malformed_name_is_refused(client: AsyncTestClient, database: Database) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    response = await put(client, headers, jpeg(), name="photo.jpg")
    assert response.status_code == 422
    assert response.json()["code"] == "photo_hash_invalid"
    await assert_nothing_stored(database)


REFUSALS = {
    "text file named .jpg": (text_named_jpg, 415, "photo_type_unsupported", "not a JPEG, PNG or WebP", "不是 JPEG"),
    "HEIC from an iPhone": (heic_like, 415, "photo_type_unsupported", "HEIC/HEIF photos are not accepted", "HEIC"),
    "truncated JPEG": (truncated_jpeg, 422, "photo_unreadable", "damaged or incomplete", "已损坏或不完整"),
    "decompression bomb": (bomb_png, 422, "photo_decompression_bomb", "too many pixels", "像素过多"),
    "empty body": (lambda: b"", 415, "photo_type_unsupported", "not a JPEG, PNG or WebP", "不是 JPEG"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
@pytest.mark.parametrize("language", ["en", "zh"])
async def test_bad_files_are_refused_in_the_users_language(
    client: AsyncTestClient, database: Database, case: str, language: str, media_store: str
) -> None:
    make, status, code, english, chinese = REFUSALS[case]
    headers = await signed_in_api(client, database, f"user-{language}", "inspector", language=language)
    response = await put(client, headers, make())
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["code"], body["field"]) == (code, "body")
    assert (english if language == "en" else chinese) in body["message"]
    await assert_nothing_stored(database)


async def test_the_pixel_limit_comes_from_the_settings(
    client: AsyncTestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    from server.core.config import get_settings

    monkeypatch.setenv("MAX_IMAGE_PIXELS", "100000")
    get_settings.cache_clear()
    refused = await put(client, headers, jpeg(400, 300))  # 120 000 pixels
    assert refused.status_code == 422
    assert refused.json()["code"] == "photo_decompression_bomb"
    assert "100,000" in refused.json()["message"]
    await assert_nothing_stored(database)
    accepted = await put(client, headers, jpeg(300, 300))  # 90 000 pixels
    assert accepted.status_code == 201


async def test_the_type_comes_from_the_bytes_not_the_content_type(
    client: AsyncTestClient, database: Database, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    for data, media_type in ((png(alpha=True), "image/png"), (webp(), "image/webp")):
        response = await put(client, headers, data)  # sent as image/jpeg
        assert response.status_code == 201, response.text
        assert response.json()["media_type"] == media_type
        assert (response.json()["width"], response.json()["height"]) == (300, 200)
    extensions = sorted(name.rsplit(".", 1)[1] for name in stored_files() if not name.startswith("derived"))
    assert extensions == ["png", "webp"]


async def test_a_200_mb_upload_is_refused_once_past_the_limit_without_buffering(
    client: AsyncTestClient, database: Database
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    counter = Counter()
    async with streaming_client(client) as stream:
        response = await stream.put(
            f"/api/photos/{sha(b'big')}",
            content=lazy_body(200 * MB, counter),
            headers={**headers, "Content-Type": "image/jpeg"},
        )
    assert response.status_code == 413
    assert response.json()["code"] == "photo_too_large"
    assert "20 MB" in response.json()["message"]
    # Refused as soon as the running count passed MAX_UPLOAD_MB (20), not at the end.
    assert 20 * MB < counter.produced <= 21 * MB
    await assert_nothing_stored(database)


async def test_an_announced_length_over_the_limit_is_refused_before_reading(
    client: AsyncTestClient, database: Database
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    counter = Counter()
    async with streaming_client(client) as stream:
        response = await stream.put(
            f"/api/photos/{sha(b'big')}",
            content=lazy_body(200 * MB, counter),
            headers={**headers, "Content-Type": "image/jpeg", "Content-Length": str(200 * MB)},
        )
    assert response.status_code == 413
    assert counter.produced == 0
    await assert_nothing_stored(database)


async def test_an_upload_cut_off_half_way_is_never_stored(
    client: AsyncTestClient, database: Database, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg(image=photo_like(800, 600))
    async with streaming_client(client) as stream:
        response = await stream.put(
            f"/api/photos/{sha(data)}",
            content=pieces(data, chunk=16 * 1024, cut_after=len(data) // 2),
            headers={**headers, "Content-Type": "image/jpeg"},
        )
    assert response.status_code == 400
    assert response.json()["code"] == "upload_interrupted"
    await assert_nothing_stored(database)
    # Sent again whole, it is stored.
    assert (await put(client, headers, data)).status_code == 201


@pytest.mark.parametrize(
    "failing",
    ["write_atomic", "move_atomic", "link_atomic"],
    ids=["thumbnail write", "original move (after the thumbnail)", "display link (after the original)"],
)
async def test_a_full_media_disk_is_507_and_nothing_is_recorded(
    client: AsyncTestClient, database: Database, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    headers = await signed_in_api(client, database, "wei", "inspector", language="zh")
    calls = []

    def full(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, failing, full)
    response = await put(client, headers, jpeg())
    assert response.status_code == 507
    body = response.json()
    assert body["code"] == "media_storage_full"
    assert "存储空间已满" in body["message"]
    assert calls
    await assert_nothing_stored(database)
    async with database.session(write=False) as s:
        assert (await s.scalars(select(AuditEvent).where(AuditEvent.action == "photo.uploaded"))).all() == []
    monkeypatch.undo()
    assert (await put(client, headers, jpeg())).status_code == 201  # room again: it goes through


async def test_a_phones_jpeg_is_its_own_display_size(client: AsyncTestClient, database: Database, media_store: str) -> None:
    """Nothing to remove from it: the display size is the original (in a folder hard-linked,
    not a copy)."""
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg(image=photo_like(1600, 1200), quality=85)
    assert (await put(client, headers, data)).status_code == 201
    digest = sha(data)
    assert stored_bytes(derived_key(digest, "display")) == stored_bytes(original_key(digest)) == data
    if media_store == "folder":
        original = media_root() / original_key(digest)
        display = media_root() / derived_key(digest, "display")
        assert display.stat().st_ino == original.stat().st_ino


async def test_exif_position_and_time_are_read_into_the_row(client: AsyncTestClient, database: Database) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    shanghai = jpeg(gps=(32.1005, 118.7003), taken="2026:11:20 10:15:30")
    offset = jpeg(300, 200, gps=(-33.8568, -151.2153), taken="2026:11:20 10:15:30", offset="+11:00")
    no_fix = jpeg(200, 200, gps=(0.0, 0.0))
    for data in (shanghai, offset, no_fix):
        assert (await put(client, headers, data)).status_code == 201
    async with database.session(write=False) as s:
        first = await s.get(Photo, sha(shanghai))
        second = await s.get(Photo, sha(offset))
        third = await s.get(Photo, sha(no_fix))
    assert first is not None and second is not None and third is not None
    assert first.exif_lat == pytest.approx(32.1005, abs=1e-6)
    assert first.exif_lon == pytest.approx(118.7003, abs=1e-6)
    # No OffsetTimeOriginal: the site's time zone (Asia/Shanghai, UTC+8).
    assert first.exif_taken_at is not None and first.exif_taken_at.isoformat() == "2026-11-20T02:15:30+00:00"
    assert second.exif_lat == pytest.approx(-33.8568, abs=1e-6)
    assert second.exif_lon == pytest.approx(-151.2153, abs=1e-6)
    assert second.exif_taken_at is not None and second.exif_taken_at.isoformat() == "2026-11-19T23:15:30+00:00"
    assert (third.exif_lat, third.exif_lon, third.exif_taken_at) == (None, None, None)


async def test_exif_orientation_is_applied_portrait_stays_portrait(
    client: AsyncTestClient, database: Database, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    # Stored 400×300 with the red corner top-left; orientation 6 = turn 90° clockwise to view.
    data = jpeg(400, 300, orientation=6, gps=(32.1, 118.7))
    response = await put(client, headers, data)
    assert (response.json()["width"], response.json()["height"]) == (300, 400)
    digest = sha(data)
    for variant, size in (("display", (300, 400)), ("thumb", (240, 320))):
        image = Image.open(io.BytesIO(stored_bytes(derived_key(digest, variant)) or b""))
        assert image.size == size
        assert not image.getexif()  # no orientation left to apply twice
        red = image.convert("RGB").getpixel((image.width - 3, 3))
        blue = image.convert("RGB").getpixel((3, 3))
        assert red[0] > 150 and red[2] < 100, red  # the red corner is now top-right
        assert blue[2] > 150 and blue[0] < 100, blue


@pytest.mark.parametrize(
    "make",
    [
        lambda: jpeg(image=photo_like(1200, 900), gps=(32.1, 118.7), taken="2026:11:20 10:15:30"),
        lambda: jpeg(image=photo_like(2400, 1800), gps=(32.1, 118.7), taken="2026:11:20 10:15:30"),
        lambda: jpeg(400, 300, orientation=8, gps=(32.1, 118.7)),
    ],
    ids=["in size (served as is, metadata removed)", "larger (re-encoded)", "rotated (re-encoded)"],
)
async def test_derived_sizes_carry_no_exif(client: AsyncTestClient, database: Database, make, media_store: str) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = make()
    assert b"Exif\x00\x00" in data
    assert (await put(client, headers, data)).status_code == 201
    digest = sha(data)
    for variant, limit in (("display", 1600), ("thumb", 320)):
        raw = stored_bytes(derived_key(digest, variant)) or b""
        assert b"Exif" not in raw and b"TestCam" not in raw
        image = Image.open(io.BytesIO(raw))
        assert not image.getexif()
        assert max(image.size) <= limit
        image.load()  # whole and decodable
    assert b"Exif\x00\x00" in (stored_bytes(original_key(digest)) or b"")  # the original keeps it, as evidence


async def test_uploads_need_a_signed_in_user_and_the_csrf_header(client: AsyncTestClient, database: Database) -> None:
    data = jpeg()
    await client.get("/login")
    signed_out = await client.put(
        f"/api/photos/{sha(data)}", content=data, headers={"X-CSRFToken": client.cookies["fc_csrf"]}
    )
    assert signed_out.status_code == 401
    assert signed_out.json()["code"] == "not_signed_in"
    headers = await signed_in_api(client, database, "ivy", "inspector")
    no_csrf = await client.put(f"/api/photos/{sha(data)}", content=data)
    assert no_csrf.status_code == 403
    assert no_csrf.json()["code"] == "csrf_failed"
    await assert_nothing_stored(database)
    assert (await put(client, headers, data)).status_code == 201
