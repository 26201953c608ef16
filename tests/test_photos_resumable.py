"""Resumable uploads: `PATCH /api/photos/{sha256}?offset=&total=` and `GET …/upload`.

Each test runs with photos in the folder and in a bucket (`media_store`, tests/conftest.py):
the pieces are staged on the local disk either way, and only a whole, verified photo
reaches the store."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.core.db import Database
from server.photos.models import Photo
from tests.photo_helpers import (
    assert_nothing_stored,
    jpeg,
    original_key,
    photo_like,
    pieces,
    sha,
    signed_in_api,
    stored_bytes,
    stored_files,
    streaming_client,
    text_named_jpg,
)


async def patch(client: AsyncTestClient, headers: dict[str, str], digest: str, piece: bytes, offset: int, total: int):
    return await client.patch(
        f"/api/photos/{digest}",
        params={"offset": offset, "total": total},
        content=piece,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )


async def progress(client: AsyncTestClient, digest: str) -> dict:
    response = await client.get(f"/api/photos/{digest}/upload")
    assert response.status_code == 200
    return response.json()


def thirds(data: bytes) -> list[tuple[int, bytes]]:
    a, b = len(data) // 3, 2 * len(data) // 3
    return [(0, data[:a]), (a, data[a:b]), (b, data[b:])]


async def test_an_upload_in_three_pieces(client: AsyncTestClient, database: Database, media_store: str) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg(image=photo_like(1000, 750), gps=(32.1, 118.7))
    digest, total = sha(data), len(data)
    (o1, p1), (o2, p2), (o3, p3) = thirds(data)
    assert await progress(client, digest) == {"offset": 0, "complete": False, "total": None}

    first = await patch(client, headers, digest, p1, o1, total)
    assert first.status_code == 202
    assert first.json() == {"offset": o2, "complete": False, "total": total}
    assert first.headers["upload-offset"] == str(o2)
    assert await progress(client, digest) == {"offset": o2, "complete": False, "total": total}

    # The first piece again (its answer was lost, say): refused with where to go on.
    repeated = await patch(client, headers, digest, p1, o1, total)
    assert repeated.status_code == 409
    body = repeated.json()
    assert (body["code"], body["field"], body["expected_offset"]) == ("upload_offset_mismatch", "offset", o2)
    assert str(o2) in body["message"]
    assert repeated.headers["upload-offset"] == str(o2)
    skipped = await patch(client, headers, digest, p3, o3, total)
    assert skipped.status_code == 409 and skipped.json()["expected_offset"] == o2

    second = await patch(client, headers, digest, p2, o2, total)
    assert second.json()["offset"] == o3
    last = await patch(client, headers, digest, p3, o3, total)
    assert last.status_code == 201, last.text
    assert last.json() == {"sha256": digest, "width": 1000, "height": 750, "media_type": "image/jpeg", "size_bytes": total}

    assert await progress(client, digest) == {"offset": total, "complete": True, "total": total}
    assert not any(name.startswith("partial/") and not name.endswith("/") for name in stored_files())
    assert len(stored_files()) == 3
    async with database.session(write=False) as s:
        photo = await s.get(Photo, digest)
    assert photo is not None and photo.exif_lat == pytest.approx(32.1)
    # A piece for a photo already held: answered like a PUT of it.
    again = await patch(client, headers, digest, p1, 0, total)
    assert (again.status_code, again.json()["sha256"]) == (200, digest)


async def test_an_interrupted_piece_is_resumed_from_what_arrived(client: AsyncTestClient, database: Database, media_store: str) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg(image=photo_like(1200, 900))
    digest, total = sha(data), len(data)
    (o1, p1), (o2, p2), (o3, p3) = thirds(data)
    assert (await patch(client, headers, digest, p1, o1, total)).status_code == 202

    # The signal goes 10 000 bytes into the second piece.
    async with streaming_client(client) as stream:
        cut = await stream.patch(
            f"/api/photos/{digest}",
            params={"offset": o2, "total": total},
            content=pieces(p2, chunk=2500, cut_after=10_000),
            headers=headers,
        )
    assert cut.status_code == 400
    assert cut.json()["code"] == "upload_interrupted"
    assert await progress(client, digest) == {"offset": o2 + 10_000, "complete": False, "total": total}
    async with database.session(write=False) as s:
        assert (await s.scalars(select(Photo))).all() == []
    assert not any(name.endswith(".jpg") for name in stored_files())  # nothing stored as a photo

    resumed_at = o2 + 10_000
    rest = await patch(client, headers, digest, data[resumed_at:], resumed_at, total)
    assert rest.status_code == 201, rest.text
    assert stored_bytes(original_key(digest)) == data


async def test_a_refused_upload_leaves_no_pieces(client: AsyncTestClient, database: Database, media_store: str) -> None:
    headers = await signed_in_api(client, database, "wei", "inspector", language="zh")
    data = text_named_jpg()
    digest, total = sha(data), len(data)
    (o1, p1), (o2, p2), (o3, p3) = thirds(data)
    for offset, piece in ((o1, p1), (o2, p2)):
        assert (await patch(client, headers, digest, piece, offset, total)).status_code == 202
    last = await patch(client, headers, digest, p3, o3, total)
    assert last.status_code == 415
    assert last.json()["code"] == "photo_type_unsupported"
    assert "不是 JPEG" in last.json()["message"]
    await assert_nothing_stored(database)
    assert await progress(client, digest) == {"offset": 0, "complete": False, "total": None}


async def test_pieces_that_do_not_add_up_to_the_hash_are_refused(client: AsyncTestClient, database: Database, media_store: str) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg()
    digest, total = sha(data), len(data)
    half = total // 2
    assert (await patch(client, headers, digest, data[:half], 0, total)).status_code == 202
    damaged = bytes(b ^ 0xFF for b in data[half:])
    response = await patch(client, headers, digest, damaged, half, total)
    assert response.status_code == 422
    assert response.json()["code"] == "photo_hash_mismatch"
    await assert_nothing_stored(database)


async def test_totals_and_offsets_are_checked(client: AsyncTestClient, database: Database, media_store: str) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg()
    digest, total = sha(data), len(data)

    over_limit = await patch(client, headers, digest, data[:100], 0, 21 * 1024 * 1024)
    assert (over_limit.status_code, over_limit.json()["code"]) == (413, "photo_too_large")
    zero = await patch(client, headers, digest, b"", 0, 0)
    assert (zero.status_code, zero.json()["code"]) == (422, "upload_total_invalid")
    negative = await patch(client, headers, digest, data[:10], -1, total)
    assert (negative.status_code, negative.json()["code"]) == (422, "upload_offset_invalid")
    ahead = await patch(client, headers, digest, data[:10], 10, total)
    assert ahead.status_code == 409 and ahead.json()["expected_offset"] == 0
    await assert_nothing_stored(database)

    assert (await patch(client, headers, digest, data[:100], 0, total)).status_code == 202
    beyond = await patch(client, headers, digest, data[100:] + b"extra", 100, total)
    assert (beyond.status_code, beyond.json()["code"]) == (422, "upload_exceeds_total")
    assert (await progress(client, digest))["offset"] == 100  # the oversized piece was dropped
    other_total = await patch(client, headers, digest, data[100:200], 100, total + 1)
    assert (other_total.status_code, other_total.json()["code"]) == (409, "upload_total_mismatch")

    done = await patch(client, headers, digest, data[100:], 100, total)
    assert done.status_code == 201


async def test_starting_again_with_another_total_replaces_the_old_pieces(
    client: AsyncTestClient, database: Database, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg()
    digest, total = sha(data), len(data)
    assert (await patch(client, headers, digest, b"junk" * 10, 0, total + 7)).status_code == 202
    assert (await patch(client, headers, digest, data, 0, total)).status_code == 201
    assert [name for name in stored_files() if name.startswith("partial")] == []


async def test_resumable_uploads_need_a_signed_in_user(client: AsyncTestClient, database: Database, media_store: str) -> None:
    data = jpeg()
    await client.get("/login")
    response = await client.patch(
        f"/api/photos/{sha(data)}",
        params={"offset": 0, "total": len(data)},
        content=data,
        headers={"X-CSRFToken": client.cookies["fc_csrf"]},
    )
    assert response.status_code == 401
    assert (await client.get(f"/api/photos/{sha(data)}/upload")).status_code == 401
    await assert_nothing_stored(database)


async def test_a_whole_upload_overtaking_a_resumable_one_clears_its_pieces(
    client: AsyncTestClient, database: Database, media_store: str
) -> None:
    headers = await signed_in_api(client, database, "ivy", "inspector")
    data = jpeg()
    digest, total = sha(data), len(data)
    assert (await patch(client, headers, digest, data[:500], 0, total)).status_code == 202
    whole = await client.put(f"/api/photos/{digest}", content=data, headers=headers)
    assert whole.status_code == 201
    assert [name for name in stored_files() if name.startswith("partial")] == []
    assert await progress(client, digest) == {"offset": total, "complete": True, "total": total}
