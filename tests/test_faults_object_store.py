"""The object store goes away mid-upload (issue 17): the app runs as a real process (uvicorn)
with MEDIA_STORE=s3 on the real S3 server of the tests (Swift with s3api,
tests/object_store.py), and the Swift proxy is frozen while a photo is being placed, then
killed outright (SIGKILL), then started again.

The phone-side contract holds: the upload is answered `503 media_store_unavailable` with
Retry-After (a retryable error: the phone keeps the photo), the server still lists the
photo as missing, nothing half-stored is in the bucket or served, and the same upload
goes through once the store is back.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from server.core.config import DatabaseSettings
from server.core.db import Database
from server.photos.models import Photo
from server.photos.settings import StoreSettings
from server.photos.stores import BucketStore, expected_sha256
from tests.conftest import DatabaseFactory, s3_environment
from tests.factories import add_user
from tests.fault_helpers import AppProcess, Phone, wait_for
from tests.object_store import SwiftServer
from tests.photo_helpers import jpeg, photo_like, sha
from tests.sync_helpers import count


@dataclass
class BucketApp:
    process: AppProcess
    database_url: str
    media: Path
    bucket: BucketStore


@pytest.fixture(scope="module")
def bucket_app(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory, swift: SwiftServer
) -> Iterator[BucketApp]:
    url = database_factory.fresh()

    async def users() -> None:
        db = Database.connect(DatabaseSettings(url=url))
        try:
            await add_user(db, "ivy", "inspector", language="en")
        finally:
            await db.dispose()

    asyncio.run(users())
    root = tmp_path_factory.mktemp("store-faults")
    env = s3_environment(swift, swift.new_bucket())
    server = AppProcess(url, root / "media", root / "server.log")
    server.env.update(env)
    bucket = BucketStore(StoreSettings(kind="s3", bucket=env["MEDIA_S3_BUCKET"], endpoint=swift.endpoint,
                                       region=env["MEDIA_S3_REGION"], access_key_id=env["MEDIA_S3_ACCESS_KEY_ID"],
                                       secret_access_key=env["MEDIA_S3_SECRET_ACCESS_KEY"], timeout_s=5))
    try:
        server.start()
        yield BucketApp(server, url, root / "media", bucket)
    finally:
        server.stop()
        database_factory.drop(url)


@pytest.fixture
async def db(bucket_app: BucketApp) -> AsyncIterator[Database]:
    database = Database.connect(DatabaseSettings(url=bucket_app.database_url))
    yield database
    await database.dispose()


@pytest.fixture
async def ivy(bucket_app: BucketApp) -> AsyncIterator[Phone]:
    async with Phone(bucket_app.process.url, "ivy", timeout=60) as phone:
        await phone.sign_in()
        yield phone
    print(f"--- server log (shown when the test fails) ---\n{bucket_app.process.log()}")


def photo_headers(phone: Phone) -> dict[str, str]:
    return {**phone.headers(), "Content-Type": "image/jpeg"}


async def missing(phone: Phone, *hashes: str) -> list[str]:
    answer = await phone.http.post("/api/photos/missing", json={"sha256": list(hashes)}, headers=phone.headers())
    assert answer.status_code == 200, answer.text
    return answer.json()["missing"]


def assert_only_whole_objects(bucket: BucketStore) -> list[str]:
    """Every object in the bucket is whole: an original hashes to its name, a derived size
    decodes completely. The keys."""
    keys = list(bucket.keys())
    for key in keys:
        data = bucket.read(key) or b""
        want = expected_sha256(key)
        if want is not None:
            assert hashlib.sha256(data).hexdigest() == want, key
        else:
            Image.open(io.BytesIO(data)).load()
    return keys


async def test_the_object_store_killed_mid_upload_is_a_retryable_503_and_nothing_half_stored(
    bucket_app: BucketApp, swift: SwiftServer, ivy: Phone, db: Database
) -> None:
    before = jpeg(image=photo_like(800, 600, seed=21))
    assert (await ivy.http.put(f"/api/photos/{sha(before)}", content=before, headers=photo_headers(ivy))).status_code == 201

    photo = jpeg(image=photo_like(2400, 1800, seed=22))  # re-encoded: three objects to place
    piecewise = jpeg(image=photo_like(1200, 900, seed=23))
    half = len(piecewise) // 2
    swift.pause()  # the store stops answering: the app's requests to it hang ...
    try:
        upload = asyncio.create_task(
            ivy.http.put(f"/api/photos/{sha(photo)}", content=photo, headers=photo_headers(ivy)))
        # ... once the whole body has arrived and the app is placing it in the store,
        staged = await asyncio.to_thread(
            wait_for, lambda: [p for p in (bucket_app.media / "partial").glob("*.upload") if p.stat().st_size == len(photo)],
            "the app to have the whole body", 20)
        await asyncio.sleep(0.5)
        assert not upload.done()
        swift.kill_proxy()  # ... the store dies under it
        answer = await upload
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["code"] == "media_store_unavailable"
        assert "stays on the phone" in body["message"]
        assert int(answer.headers["retry-after"]) > 0
        assert not any(p.exists() for p in staged)  # the staged body is not kept either

        # While the store is away: the photo is still missing (the phone keeps it and asks
        # again), a held photo is not served half — a 503, never a truncated image — and a
        # resumable upload still takes its pieces, on the local disk.
        assert await missing(ivy, sha(photo), sha(before)) == [sha(photo)]
        shown = await ivy.http.get(f"/photos/{sha(before)}/thumb")
        assert shown.status_code == 503 and shown.json()["code"] == "media_store_unavailable"
        total = len(piecewise)
        first = await ivy.http.patch(f"/api/photos/{sha(piecewise)}", params={"offset": 0, "total": total},
                                     content=piecewise[:half], headers=photo_headers(ivy))
        assert first.status_code == 202, first.text
        last = await ivy.http.patch(f"/api/photos/{sha(piecewise)}", params={"offset": half, "total": total},
                                    content=piecewise[half:], headers=photo_headers(ivy))
        assert last.status_code == 503, last.text
        # Whole and verified on the server, only not placed: nothing to send again.
        progress = (await ivy.http.get(f"/api/photos/{sha(piecewise)}/upload")).json()
        assert progress == {"offset": total, "complete": False, "total": total}
        assert await count(db, Photo) == 1
    finally:
        if "proxy" not in swift.processes:
            swift.start_proxy()
        else:
            swift.resume()

    # The store is back: nothing of the two photos was left in it half-stored (nor their
    # originals at all), and the phone's retries store them whole.
    keys = assert_only_whole_objects(bucket_app.bucket)
    for data in (photo, piecewise):
        assert f"{sha(data)[:2]}/{sha(data)[2:4]}/{sha(data)}.jpg" not in keys
    retried = await ivy.http.put(f"/api/photos/{sha(photo)}", content=photo, headers=photo_headers(ivy))
    assert retried.status_code == 201, retried.text
    finished = await ivy.http.patch(f"/api/photos/{sha(piecewise)}", params={"offset": total, "total": total},
                                    content=b"", headers=photo_headers(ivy))
    assert finished.status_code == 201, finished.text
    assert await missing(ivy, sha(photo), sha(piecewise)) == []
    keys = assert_only_whole_objects(bucket_app.bucket)
    for data in (photo, piecewise):
        assert bucket_app.bucket.read(f"{sha(data)[:2]}/{sha(data)[2:4]}/{sha(data)}.jpg") == data
        assert sum(sha(data) in key for key in keys) == 3  # original, display, thumb
        shown = await ivy.http.get(f"/photos/{sha(data)}/display")
        assert shown.status_code == 200
        assert Image.open(io.BytesIO(shown.content)).size[0] <= 1600
    assert (await ivy.http.get(f"/photos/{sha(before)}/thumb")).status_code == 200
    assert not list((bucket_app.media / "partial").iterdir())  # no pieces left behind
