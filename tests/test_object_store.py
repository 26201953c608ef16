"""The real S3 server of the tests (tests/object_store.py: Swift + s3api + tempauth) answers
the S3 API as a bucket would (the session's `swift` fixture, tests/conftest.py): signed
writes and reads, listing by prefix, presigned URLs that expire, and unsigned requests
refused. Without Swift installed they fail, never skip (`make test-deps` installs it)."""

from __future__ import annotations

import datetime as dt

import httpx
import obstore
import pytest
from obstore.store import S3Store

from tests.object_store import SwiftServer


@pytest.fixture
def bucket(swift: SwiftServer) -> S3Store:
    return S3Store(swift.new_bucket(), **swift.store_options())  # type: ignore[arg-type]


def test_signed_put_get_list_and_delete(bucket: S3Store) -> None:
    obstore.put(bucket, "ab/cd/photo.jpg", b"\xff\xd8 jpeg bytes")
    obstore.put(bucket, "partial/x.part", b"half")
    assert bytes(obstore.get(bucket, "ab/cd/photo.jpg").bytes()) == b"\xff\xd8 jpeg bytes"
    listed = [m["path"] for batch in obstore.list(bucket, prefix="ab") for m in batch]
    assert listed == ["ab/cd/photo.jpg"]
    assert obstore.head(bucket, "partial/x.part")["size"] == 4
    obstore.delete(bucket, "partial/x.part")
    with pytest.raises(FileNotFoundError):
        obstore.head(bucket, "partial/x.part")


def test_presigned_urls_work_and_unsigned_requests_are_refused(swift: SwiftServer, bucket: S3Store) -> None:
    obstore.put(bucket, "p.jpg", b"photo")
    url = obstore.sign(bucket, "GET", "p.jpg", dt.timedelta(seconds=60))
    assert httpx.get(url).content == b"photo"
    bare = url.split("?", 1)[0]
    assert httpx.get(bare).status_code in (400, 401, 403)  # without the signature nobody reads a photo
    tampered = url.replace("p.jpg", "q.jpg")
    assert httpx.get(tampered).status_code in (400, 403, 404)


def test_a_paused_store_times_out_and_comes_back(swift: SwiftServer, bucket: S3Store) -> None:
    """The fault the photo tests need: the object store stops answering mid-way, then returns."""
    obstore.put(bucket, "before", b"1")
    swift.pause()
    try:
        with pytest.raises(httpx.TimeoutException):
            httpx.get(obstore.sign(bucket, "GET", "before", dt.timedelta(seconds=60)), timeout=1)
    finally:
        swift.resume()
    assert bytes(obstore.get(bucket, "before").bytes()) == b"1"
