"""Photo faults (issue 6): the media disk out of space, and uploads cut off on the wire.

The app runs as a real process (uvicorn), so "full" is the kernel's ENOSPC from a small
tmpfs mounted as MEDIA_ROOT, and "cut off" is a real TCP connection closed half-way
through a body it announced whole. tests/test_photos_upload.py and
tests/test_photos_resumable.py cover the same answers in-process (a mocked ENOSPC, a
simulated disconnect); these show them end to end.

Also here: abandoned partial uploads are deleted by the scheduled jobs (with the photos in the
folder and in a bucket). The object store going away mid-upload: tests/test_faults_object_store.py.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from server.core.config import DatabaseSettings, get_settings
from server.core.db import Database
from server.photos import images
from server.photos.models import Photo
from server.photos.settings import get_upload_settings
from server.photos.storage import MediaStore
from server.workorders.jobs import run_round
from tests.conftest import DatabaseFactory
from tests.factories import add_user
from tests.fault_helpers import (
    AppProcess,
    Phone,
    files_under,
    fill_up,
    send_cut_off,
    small_filesystem,
    use_up_inodes,
    wait_for,
)
from tests.photo_helpers import jpeg, photo_like, photo_store, sha, signed_in_api
from tests.sync_helpers import count

KB = 1024


@dataclass
class PhotoApp:
    """One app process for this module's tests (starting one is the slow part), on its own
    database, with two inspectors: `ivy` (English) and `wei` (Chinese). Each test uses
    photos of its own, so what one stores does not meet another's."""

    process: AppProcess
    database_url: str
    media: Path


@pytest.fixture(scope="module")
def photo_app(database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhotoApp]:
    url = database_factory.fresh()

    async def users() -> None:
        db = Database.connect(DatabaseSettings(url=url))
        try:
            await add_user(db, "ivy", "inspector", language="en")
            await add_user(db, "wei", "inspector", language="zh")
        finally:
            await db.dispose()

    asyncio.run(users())
    root = tmp_path_factory.mktemp("photo-faults")
    server = AppProcess(url, root / "media", root / "server.log")
    try:
        server.start()
        yield PhotoApp(server, url, root / "media")
    finally:
        server.stop()
        database_factory.drop(url)


@pytest.fixture
def app(photo_app: PhotoApp) -> Iterator[AppProcess]:
    yield photo_app.process
    print(f"--- server log (shown when the test fails) ---\n{photo_app.process.log()}")


@pytest.fixture
def media(photo_app: PhotoApp) -> Path:
    return photo_app.media


@pytest.fixture
async def db(photo_app: PhotoApp) -> AsyncIterator[Database]:
    """The app's database, for checking what it stored."""
    database = Database.connect(DatabaseSettings(url=photo_app.database_url))
    yield database
    await database.dispose()


@pytest.fixture
async def ivy(app: AppProcess) -> AsyncIterator[Phone]:
    async with Phone(app.url, "ivy") as phone:
        await phone.sign_in()
        yield phone


@pytest.fixture
async def wei(app: AppProcess) -> AsyncIterator[Phone]:
    async with Phone(app.url, "wei") as phone:
        await phone.sign_in()
        yield phone


def photo_headers(phone: Phone) -> dict[str, str]:
    return {**phone.headers(), "Content-Type": "image/jpeg"}


def raw_headers(phone: Phone) -> dict[str, str]:
    """The headers of a photo upload written by hand on a socket, the session cookie too."""
    cookie = "; ".join(f"{name}={value}" for name, value in phone.http.cookies.items())
    return {**photo_headers(phone), "Cookie": cookie}


async def put(phone: Phone, data: bytes) -> httpx.Response:
    return await phone.http.put(f"/api/photos/{sha(data)}", content=data, headers=photo_headers(phone))


async def patch(phone: Phone, data: bytes, offset: int, piece: bytes) -> httpx.Response:
    return await phone.http.patch(f"/api/photos/{sha(data)}", params={"offset": offset, "total": len(data)},
                                  content=piece, headers=photo_headers(phone))


async def missing(phone: Phone, *hashes: str) -> list[str]:
    answer = await phone.http.post("/api/photos/missing", json={"sha256": list(hashes)}, headers=phone.headers())
    assert answer.status_code == 200, answer.text
    return answer.json()["missing"]


async def progress(phone: Phone, data: bytes) -> dict:
    answer = await phone.http.get(f"/api/photos/{sha(data)}/upload")
    assert answer.status_code == 200, answer.text
    return answer.json()


def leftovers(media: Path, photo: bytes) -> list[str]:
    """Files under `media` that belong to `photo`, and any PUT body still staged."""
    return [name for name in files_under(media) if sha(photo) in name or name.endswith(".upload")]


def stored_bytes(media: Path, data: bytes) -> bytes:
    """The original as stored under its hash (which it must hash to)."""
    digest = sha(data)
    original = (media / digest[:2] / digest[2:4] / f"{digest}.jpg").read_bytes()
    assert hashlib.sha256(original).hexdigest() == digest
    return original


# ---- the media disk out of space ------------------------------------------------------------


@pytest.fixture
async def full_media(media: Path) -> AsyncIterator[Path]:
    """MEDIA_ROOT on a real 4 MB filesystem (the app opens its folders afresh each time)."""
    with small_filesystem(media, 4 * KB):
        yield media


async def test_a_full_media_disk_is_507_in_the_users_language_and_keeps_nothing(
    full_media: Path, ivy: Phone, wei: Phone, db: Database
) -> None:
    photo = jpeg(image=photo_like(1000, 750, seed=1))
    filler = fill_up(full_media, leave=64 * KB)  # less room than the photo needs
    for phone, words in ((ivy, "photo storage is full"), (wei, "存储空间已满")):
        answer = await put(phone, photo)
        assert answer.status_code == 507, answer.text
        body = answer.json()
        assert body["code"] == "media_storage_full" and words in body["message"]
    assert files_under(full_media) == []  # the part that fitted was removed again
    assert await count(db, Photo, Photo.sha256 == sha(photo)) == 0
    assert await missing(ivy, sha(photo)) == [sha(photo)]  # the phone keeps it and asks again

    # Room again: the same upload goes through, whole.
    filler.unlink()
    assert (await put(ivy, photo)).status_code == 201
    assert stored_bytes(full_media, photo) == photo
    assert await missing(ivy, sha(photo)) == []


async def test_a_media_disk_out_of_inodes_is_507_from_the_first_upload(
    media: Path, ivy: Phone, db: Database
) -> None:
    """Bytes to spare but no file can be made — not even the folder uploads arrive in, on
    a MEDIA_ROOT that has never had one: still 507, never a 500."""
    photo = jpeg(image=photo_like(800, 600, seed=9))
    with small_filesystem(media, 4 * KB, inodes=64):
        fillers = use_up_inodes(media)
        answer = await put(ivy, photo)
        assert answer.status_code == 507, answer.text
        assert answer.json()["code"] == "media_storage_full"
        assert await count(db, Photo, Photo.sha256 == sha(photo)) == 0
        for filler in fillers:
            filler.unlink()
        assert (await put(ivy, photo)).status_code == 201
        assert stored_bytes(media, photo) == photo


async def test_a_disk_that_fills_while_the_sizes_are_written_keeps_nothing(
    full_media: Path, ivy: Phone, db: Database
) -> None:
    """Room for the upload itself but not for its display size: the thumbnail already
    written is removed again, and so is the staged upload."""
    photo = jpeg(image=photo_like(2400, 1800, seed=2))  # over 1600 px: a display size is made
    made = images.process(photo, max_pixels=50_000_000, site_timezone="Asia/Shanghai")
    assert len(made.display) > 64 * KB
    filler = fill_up(full_media, leave=len(photo) + len(made.thumb) + 32 * KB)
    answer = await put(ivy, photo)
    assert answer.status_code == 507, answer.text
    assert answer.json()["code"] == "media_storage_full"
    assert files_under(full_media) == []
    assert await count(db, Photo, Photo.sha256 == sha(photo)) == 0
    filler.unlink()
    assert (await put(ivy, photo)).status_code == 201
    assert stored_bytes(full_media, photo) == photo


async def test_a_resumable_upload_stopped_by_a_full_disk_goes_on_when_there_is_room(
    full_media: Path, ivy: Phone, db: Database
) -> None:
    photo = jpeg(image=photo_like(1000, 750, seed=3))
    filler = fill_up(full_media, leave=64 * KB)
    answer = await patch(ivy, photo, 0, photo)  # the whole photo as one piece
    assert answer.status_code == 507, answer.text
    assert answer.json()["code"] == "media_storage_full"
    held = (await progress(ivy, photo))["offset"]
    assert 0 < held < len(photo)
    # What reached the disk is kept to resume from — the photo's first bytes, nothing else.
    assert files_under(full_media) == [f"partial/{sha(photo)}.{len(photo)}.part"]
    assert (full_media / "partial" / f"{sha(photo)}.{len(photo)}.part").read_bytes() == photo[:held]
    assert await count(db, Photo, Photo.sha256 == sha(photo)) == 0

    filler.unlink()
    done = await patch(ivy, photo, held, photo[held:])
    assert done.status_code == 201, done.text
    assert stored_bytes(full_media, photo) == photo
    assert not any(name.startswith("partial/") for name in files_under(full_media))


# ---- uploads cut off on the wire -----------------------------------------------------------------


async def test_a_photo_upload_cut_off_on_the_wire_is_never_stored(
    app: AppProcess, ivy: Phone, db: Database, media: Path
) -> None:
    photo = jpeg(image=photo_like(1200, 900, seed=4))
    conn = send_cut_off(app.port, "PUT", f"/api/photos/{sha(photo)}",
                        raw_headers(ivy), len(photo), photo[: len(photo) // 2])
    staged = wait_for(lambda: [p for p in (media / "partial").glob("*.upload") if p.stat().st_size],
                      "the app to be receiving the body")
    conn.close()  # the signal drops
    wait_for(lambda: not any(p.exists() for p in staged), "the app to let go of the half body")

    assert leftovers(media, photo) == []  # nothing kept of it, under its name or any other
    assert await count(db, Photo, Photo.sha256 == sha(photo)) == 0
    assert await missing(ivy, sha(photo)) == [sha(photo)]

    assert (await put(ivy, photo)).status_code == 201  # sent again whole: stored whole
    assert stored_bytes(media, photo) == photo


async def test_a_resumable_piece_cut_off_on_the_wire_resumes_from_what_arrived(
    app: AppProcess, ivy: Phone, db: Database, media: Path
) -> None:
    photo = jpeg(image=photo_like(1200, 900, seed=5))
    pieces = media / "partial" / f"{sha(photo)}.{len(photo)}.part"
    sent = photo[: len(photo) * 3 // 5]
    conn = send_cut_off(app.port, "PATCH", f"/api/photos/{sha(photo)}?offset=0&total={len(photo)}",
                        raw_headers(ivy), len(photo), sent)
    # Every byte sent is being written (less the app's write buffer), then the signal drops.
    wait_for(lambda: pieces.exists() and pieces.stat().st_size > len(sent) - 16 * KB, "the piece to arrive")
    conn.close()
    wait_for(lambda: not _locked(pieces), "the app to let go of the piece")

    assert await progress(ivy, photo) == {"offset": len(sent), "complete": False, "total": len(photo)}
    assert pieces.read_bytes() == sent
    assert await count(db, Photo, Photo.sha256 == sha(photo)) == 0
    assert await missing(ivy, sha(photo)) == [sha(photo)]
    assert leftovers(media, photo) == [f"partial/{sha(photo)}.{len(photo)}.part"]  # not stored truncated

    done = await patch(ivy, photo, len(sent), photo[len(sent):])
    assert done.status_code == 201, done.text
    assert stored_bytes(media, photo) == photo
    assert not pieces.exists()


def _locked(path: Path) -> bool:
    """Whether someone holds the upload lock (flock) on `path`."""
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


# ---- abandoned partial uploads ---------------------------------------------------------------------


async def test_abandoned_partial_uploads_are_deleted_by_the_scheduled_jobs(
    client: AsyncTestClient, database: Database, monkeypatch: pytest.MonkeyPatch, media_store: str
) -> None:
    """With either store (the pieces are staged on the local disk for both); in a bucket
    nothing unfinished exists to clean: photos are placed with single whole PUTs."""
    monkeypatch.setenv("PARTIAL_UPLOAD_MAX_AGE_H", "2")
    get_upload_settings.cache_clear()
    headers = await signed_in_api(client, database, "ivy", "inspector")
    old, fresh, busy = (jpeg(image=photo_like(600, 450, seed=s)) for s in (6, 7, 8))
    for data in (old, fresh, busy):
        answer = await client.patch(f"/api/photos/{sha(data)}", params={"offset": 0, "total": len(data)},
                                    content=data[:1000], headers=headers)
        assert answer.status_code == 202
    store = MediaStore(get_settings().media.root)
    orphan = store.staging_file()  # a PUT body left behind by a killed app
    orphan.write_bytes(b"\xff\xd8" + b"\0" * 500)
    three_hours_ago = time.time() - 3 * 3600
    for path in (store.resumable_file(sha(old), len(old)), store.resumable_file(sha(busy), len(busy)), orphan):
        os.utime(path, (three_hours_ago, three_hours_ago))

    with open(store.resumable_file(sha(busy), len(busy)), "ab") as appending:  # a piece arriving now
        fcntl.flock(appending.fileno(), fcntl.LOCK_EX)
        await run_round(database)
    get_upload_settings.cache_clear()

    left = sorted(p.name for p in store.partial_dir.iterdir())
    assert left == sorted([f"{sha(fresh)}.{len(fresh)}.part", f"{sha(busy)}.{len(busy)}.part"])
    # The phone whose pieces went is told to start again from 0, and can.
    assert (await client.get(f"/api/photos/{sha(old)}/upload")).json() == {"offset": 0, "complete": False,
                                                                          "total": None}
    resumed = await client.patch(f"/api/photos/{sha(old)}", params={"offset": 1000, "total": len(old)},
                                 content=old[1000:], headers=headers)
    assert resumed.status_code == 409 and resumed.json()["expected_offset"] == 0
    again = await client.patch(f"/api/photos/{sha(old)}", params={"offset": 0, "total": len(old)},
                               content=old, headers=headers)
    assert again.status_code == 201
    assert await count(database, Photo) == 1
    if media_store == "s3":
        assert sum(sha(old) in key for key in photo_store().keys()) == 3
