"""Where finished photos are kept: a folder (MEDIA_STORE=folder, the embedded default) or a
bucket through the S3 API (MEDIA_STORE=s3, with obstore).

Both hold the same keys, the folder layout of `storage.py` as object names:

    ab/cd/<sha256>.<ext>                 the original as uploaded (EXIF kept: evidence)
    derived/ab/cd/<sha256>-display.jpg   at most 1600 px, no EXIF
    derived/ab/cd/<sha256>-thumb.jpg     at most 320 px, no EXIF

Uploads still arriving are staged on the local disk in either case (MEDIA_ROOT/partial,
`storage.MediaStore`): their bytes are hashed there and reach the store only once they
are whole and their SHA-256 is the photo's name. A bucket is written with one plain PUT
per object (photos are at most MAX_UPLOAD_MB), so an object appears whole or not at all and
no unfinished multipart upload is ever left in the bucket; the original's PUT is then
checked against the MD5 the store answers as its ETag, so what the store holds is exactly
the bytes that were hashed. The database row comes last (service.py): a photo without its
row is never served.

An object store that does not answer (down, cut off, timing out after MEDIA_S3_TIMEOUT_S)
is `503 media_store_unavailable` with Retry-After: the phone keeps the photo and sends it
again, as after any 5xx.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import anyio
import obstore
from obstore.exceptions import BaseError as ObjectStoreError
from obstore.store import S3Store

from server.core.errors import AppError
from server.photos.settings import StoreSettings
from server.photos.storage import MediaStore, write_atomic

log = logging.getLogger("fieldcheck.photos")

RETRY_AFTER_S = 30
_CHUNK = 256 * 1024
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def original_key(sha256: str, extension: str) -> str:
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def derived_key(sha256: str, variant: str) -> str:
    return f"derived/{sha256[:2]}/{sha256[2:4]}/{sha256}-{variant}.jpg"


def expected_sha256(key: str) -> str | None:
    """The SHA-256 an original's bytes must have (its name); None for a derived size."""
    if key.startswith("derived/"):
        return None
    return key.rsplit("/", 1)[-1].split(".", 1)[0]


class StoreUnavailable(AppError):
    """The object store did not answer: retry later (nothing was recorded)."""

    def __init__(self) -> None:
        super().__init__("media_store_unavailable")
        self.headers = {"Retry-After": str(RETRY_AFTER_S)}


@dataclass(frozen=True)
class Opened:
    """A stored object ready to be sent: its size and its bytes, piece by piece."""

    size: int
    chunks: AsyncIterator[bytes]


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


def opened_bytes(data: bytes) -> Opened:
    return Opened(len(data), _once(data))


class PhotoStore(ABC):
    """What service.py, backup.py and media-move need of a store (blocking calls: run them
    in a worker thread; `open` is async, for serving)."""

    kind: str

    @abstractmethod
    def put(self, sha256: str, extension: str, raw: bytes, display: bytes | None, thumb: bytes,
            staged: Path | None = None) -> list[str]:
        """Place a judged photo: derived sizes first, the original last. `display=None`: the
        display size is the original itself. Returns the keys this call created; on failure
        they are removed again and the error raised."""

    @abstractmethod
    def put_derived(self, sha256: str, display: bytes, thumb: bytes) -> None:
        """Write the derived sizes again (after a loss)."""

    @abstractmethod
    def read(self, key: str) -> bytes | None:
        """The object's bytes; None when there is none."""

    @abstractmethod
    def write(self, key: str, data: bytes) -> None:
        """Store `data` as `key`, whole or not at all, durably."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove `key` (nothing when it is not there)."""

    @abstractmethod
    def keys(self) -> Iterator[str]:
        """Every finished object (never an upload still arriving)."""

    @abstractmethod
    async def open(self, key: str) -> Opened | None:
        """The object to send, streamed from the store; None when there is none or it is empty."""

    def discard(self, keys: list[str]) -> None:
        """Remove what a failed `put` created; a store that cannot be reached keeps them
        (whole objects without a database row are never served, and the next upload of the
        photo writes the same bytes again)."""
        for key in keys:
            try:
                self.delete(key)
            except StoreUnavailable:
                log.warning("could not remove %s after a failed upload (object store unavailable)", key)

    def is_empty(self) -> bool:
        return next(iter(self.keys()), None) is None


class FolderStore(PhotoStore):
    """Photos under MEDIA_ROOT (storage.MediaStore: atomic, durable, hard-linked display)."""

    kind = "folder"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.layout = MediaStore(root)

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, sha256: str, extension: str, raw: bytes, display: bytes | None, thumb: bytes,
            staged: Path | None = None) -> list[str]:
        created = self.layout.put(sha256, extension, staged if staged is not None else raw, display, thumb)
        return [str(path.relative_to(self.root)) for path in created]

    def put_derived(self, sha256: str, display: bytes, thumb: bytes) -> None:
        self.layout.put_derived(sha256, display, thumb)

    def read(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def write(self, key: str, data: bytes) -> None:
        write_atomic(self.path(key), data)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            # Unfinished uploads, and a write_atomic temporary caught half-way, are no photos.
            if relative.parts[0] == "partial" or path.name.startswith(".") or not path.is_file():
                continue
            yield relative.as_posix()

    async def open(self, key: str) -> Opened | None:
        try:
            content = await anyio.Path(self.path(key)).read_bytes()
        except FileNotFoundError:
            return None
        return opened_bytes(content) if content else None

    def copy_file(self, key: str, target: Path) -> None:
        shutil.copy2(self.path(key), target)


@contextmanager
def _reaching_the_store() -> Iterator[None]:
    """Any failure to talk to the bucket (other than "no such object") is a 503."""
    try:
        yield
    except FileNotFoundError:
        raise
    except (ObjectStoreError, OSError, TimeoutError) as exc:
        log.warning("object store unavailable: %s", exc)
        raise StoreUnavailable() from exc


class BucketStore(PhotoStore):
    """Photos in a bucket, through the S3 API (obstore, i.e. Rust's object_store)."""

    kind = "s3"

    def __init__(self, settings: StoreSettings) -> None:
        settings.check_bucket()
        timeout = dt.timedelta(seconds=settings.timeout_s)
        options: dict[str, object] = {
            "region": settings.region,
            "access_key_id": settings.access_key_id,
            "secret_access_key": settings.secret_access_key,
            "virtual_hosted_style_request": settings.virtual_hosted,
            "client_options": {
                "allow_http": settings.endpoint.startswith("http://"),
                "timeout": timeout,
                "connect_timeout": dt.timedelta(seconds=min(5.0, settings.timeout_s)),
            },
            # A few quick retries within the time allowed, then the phone's own retry takes over.
            "retry_config": {"max_retries": 3, "retry_timeout": timeout,
                             "backoff": {"init_backoff": dt.timedelta(milliseconds=100),
                                         "max_backoff": dt.timedelta(seconds=2), "base": 2.0}},
        }
        if settings.endpoint:
            options["endpoint"] = settings.endpoint
        self.bucket = settings.bucket
        self.s3 = S3Store(settings.bucket, **options)  # type: ignore[arg-type]

    def _put(self, key: str, data: bytes) -> None:
        content_type = MEDIA_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
        with _reaching_the_store():
            done = obstore.put(self.s3, key, data, use_multipart=False, attributes={"Content-Type": content_type})
        etag = (done.get("e_tag") or "").strip('"')
        if etag and etag != hashlib.md5(data, usedforsecurity=False).hexdigest():
            # The store holds other bytes than were sent: take them away again.
            with suppress(StoreUnavailable), _reaching_the_store():
                obstore.delete(self.s3, key)
            log.error("object store answered ETag %s for %s, not the MD5 of the bytes sent", etag, key)
            raise StoreUnavailable()

    def put(self, sha256: str, extension: str, raw: bytes, display: bytes | None, thumb: bytes,
            staged: Path | None = None) -> list[str]:
        created: list[str] = []
        try:
            for key, data in ((derived_key(sha256, "thumb"), thumb),
                              (derived_key(sha256, "display"), raw if display is None else display),
                              (original_key(sha256, extension), raw)):
                self._put(key, data)
                created.append(key)
        except BaseException:
            self.discard(created)
            raise
        return created

    def put_derived(self, sha256: str, display: bytes, thumb: bytes) -> None:
        self._put(derived_key(sha256, "display"), display)
        self._put(derived_key(sha256, "thumb"), thumb)

    def read(self, key: str) -> bytes | None:
        try:
            with _reaching_the_store():
                return bytes(obstore.get(self.s3, key).bytes())
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes) -> None:
        self._put(key, data)

    def exists(self, key: str) -> bool:
        try:
            with _reaching_the_store():
                obstore.head(self.s3, key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        with suppress(FileNotFoundError), _reaching_the_store():
            obstore.delete(self.s3, key)

    def keys(self) -> Iterator[str]:
        with _reaching_the_store():
            for batch in obstore.list(self.s3):
                for meta in batch:
                    yield meta["path"]

    async def open(self, key: str) -> Opened | None:
        try:
            with _reaching_the_store():
                got = await obstore.get_async(self.s3, key)
        except FileNotFoundError:
            return None
        size = int(got.meta["size"])
        if size == 0:
            return None

        async def chunks() -> AsyncIterator[bytes]:
            with _reaching_the_store():
                async for piece in got.stream(min_chunk_size=_CHUNK):
                    yield bytes(piece)

        return Opened(size, chunks())


@lru_cache(maxsize=8)
def _bucket(settings: StoreSettings) -> BucketStore:
    # One client (and its connection pool) per distinct bucket settings, for the process.
    return BucketStore(settings)


def folder_store(root: Path) -> FolderStore:
    return FolderStore(root)


def bucket_store(settings: StoreSettings) -> BucketStore:
    return _bucket(settings)


def photo_store(media_root: Path, settings: StoreSettings) -> PhotoStore:
    """The store MEDIA_STORE names."""
    settings.check()
    return bucket_store(settings) if settings.kind == "s3" else folder_store(media_root)
