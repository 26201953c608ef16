"""Taking photos in: which ones are missing, whole and resumable uploads, and ingest.

Ingest = judge the bytes (images.process, in a worker thread), place the files in the
photo store (stores.py: the MEDIA_ROOT folder or a bucket), then record the Photo row and a `photo.uploaded` audit event in
one short write transaction. The files go first and the row last: a refusal or a failure
at any step leaves neither, and a crash in between leaves only files that the next upload
of the same photo overwrites with identical bytes.

Uploads never run inside a database transaction: on SQLite a write transaction holds the
write lock, and a phone on a weak signal may take minutes to send a photo.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.core.audit.service import record_event
from server.core.config import Settings
from server.core.db import Database
from server.core.sha256 import is_sha256
from server.core.errors import AppError
from server.photos import images
from server.photos.models import Photo
from server.photos.settings import get_store_settings
from server.photos.storage import MediaStore, storage_full_is_507
from server.photos.stores import Opened, PhotoStore, StoreUnavailable, derived_key, opened_bytes, original_key, photo_store
from server.photos.uploads import (
    UploadOffsetMismatch,
    discard_pieces,
    locked_append,
    receive_into,
    sha256_of_file,
    too_large,
)

log = logging.getLogger("fieldcheck.photos")

MAX_MISSING_QUERY = 500


@dataclass(frozen=True)
class PhotoOut:
    """What the server holds for one photo (the answer to a completed upload)."""

    sha256: str
    width: int
    height: int
    media_type: str
    size_bytes: int

    @classmethod
    def of(cls, photo: Photo) -> PhotoOut:
        return cls(photo.sha256, photo.width, photo.height, photo.media_type, photo.size_bytes)


@dataclass(frozen=True)
class Uploader:
    """Who sends the photo, for the row and the audit trail."""

    user_id: uuid.UUID | None
    device_id: str | None = None
    ip: str | None = None


@dataclass(frozen=True)
class Ingested:
    photo: PhotoOut
    created: bool


@dataclass(frozen=True)
class ChunkReceived:
    """A resumable piece taken: either the upload goes on at `offset`, or it is done."""

    offset: int
    total: int
    done: Ingested | None = None


def check_sha256(value: str, field: str = "sha256") -> str:
    """A photo's name must be 64 lowercase hex digits (what the phone computes)."""
    if not is_sha256(value):
        raise AppError("photo_hash_invalid", field=field)
    return value


def max_upload_bytes(settings: Settings) -> int:
    return int(settings.media.max_upload_mb * 1024 * 1024)


def staging_of(settings: Settings) -> MediaStore:
    """Uploads still arriving: always on this machine's disk, under MEDIA_ROOT/partial."""
    return MediaStore(settings.media.root)


def store_of(settings: Settings) -> PhotoStore:
    """Where finished photos are kept (MEDIA_STORE)."""
    return photo_store(settings.media.root, get_store_settings())


async def find_photo(database: Database, sha256: str) -> PhotoOut | None:
    async with database.session(write=False) as s:
        photo = await s.get(Photo, sha256)
        return PhotoOut.of(photo) if photo else None


async def missing(database: Database, hashes: list[Any]) -> list[str]:
    """The hashes among `hashes` the server does not hold yet, in the order asked, once each."""
    if len(hashes) > MAX_MISSING_QUERY:
        raise AppError("too_many_photos", key="photos.too_many", field="sha256", limit=MAX_MISSING_QUERY)
    wanted = list(dict.fromkeys(check_sha256(h, f"sha256[{i}]") for i, h in enumerate(hashes)))
    if not wanted:
        return []
    async with database.session(write=False) as s:
        held = set((await s.scalars(select(Photo.sha256).where(Photo.sha256.in_(wanted)))).all())
    return [h for h in wanted if h not in held]


async def ingest(
    database: Database,
    settings: Settings,
    sha256: str,
    uploader: Uploader,
    *,
    staged: Path | None = None,
    data: bytes | None = None,
) -> Ingested:
    """Judge and store the photo whose bytes (already checked against `sha256`) are in
    `staged` (moved away on success) or in `data`.

    A photo already held is answered as it was stored the first time.
    """
    store = store_of(settings)
    # Probably held: then skip all the work (a photo whose row is there but whose files
    # were lost is placed again below, and the row found then).
    if await anyio.to_thread.run_sync(store.exists, derived_key(sha256, "display")):
        existing = await find_photo(database, sha256)
        if existing is not None:
            return Ingested(existing, created=False)

    def judge_and_place() -> tuple[images.ProcessedPhoto, int, list[str]]:
        raw = data if data is not None else staged.read_bytes()  # type: ignore[union-attr]
        processed = images.process(raw, max_pixels=settings.media.max_pixels, site_timezone=settings.site.timezone)
        # A phone's JPEG has nothing to remove: its display size is the original, linked.
        display = None if processed.display == raw else processed.display
        with storage_full_is_507():
            created = store.put(sha256, processed.extension, raw, display, processed.thumb, staged=staged)
        return processed, len(raw), created

    processed, size, created = await anyio.to_thread.run_sync(judge_and_place)
    photo = Photo(
        sha256=sha256,
        media_type=processed.media_type,
        size_bytes=size,
        width=processed.width,
        height=processed.height,
        exif_lat=processed.facts.lat,
        exif_lon=processed.facts.lon,
        exif_taken_at=processed.facts.taken_at,
        uploaded_by=uploader.user_id,
    )
    try:
        async with database.session() as s:
            s.add(photo)
            await s.flush()  # the primary key decides a race between two uploads of one photo
            await record_event(
                s,
                uploader.user_id,
                "photo.uploaded",
                "photo",
                sha256,
                device_id=uploader.device_id,
                details={
                    "media_type": photo.media_type,
                    "size_bytes": size,
                    "width": photo.width,
                    "height": photo.height,
                    **({"ip": uploader.ip} if uploader.ip else {}),
                },
            )
    except IntegrityError:
        # The photo was stored meanwhile (the same photo sent twice at once): that one stands.
        existing = await find_photo(database, sha256)
        if existing is not None:
            return Ingested(existing, created=False)
        await anyio.to_thread.run_sync(store.discard, created)
        raise
    except BaseException:
        await anyio.to_thread.run_sync(store.discard, created)
        raise
    discard_pieces(staging_of(settings).resumable_files(sha256))  # a resumable upload of it, overtaken by a PUT
    return Ingested(PhotoOut.of(photo), created=True)


async def ingest_bytes(database: Database, settings: Settings, data: bytes, uploader: Uploader) -> Ingested:
    """Ingest a photo already in memory (imports, the benchmark), exactly as an upload ends."""
    return await ingest(database, settings, hashlib.sha256(data).hexdigest(), uploader, data=data)


async def derived_image(database: Database, settings: Settings, sha256: str, variant: str) -> Opened | None:
    """A derived size, streamed from the store; made again from the original if it was lost."""
    store = store_of(settings)
    opened = await store.open(derived_key(sha256, variant))
    if opened is not None:
        return opened
    photo = await find_photo(database, sha256)
    if photo is None:
        return None
    original = original_key(sha256, images.EXTENSIONS[photo.media_type])

    def remake() -> bytes | None:
        raw = store.read(original)
        if raw is None:
            return None
        processed = images.process(raw, max_pixels=settings.media.max_pixels, site_timezone=settings.site.timezone)
        with storage_full_is_507():
            store.put_derived(sha256, processed.display, processed.thumb)
        return processed.display if variant == "display" else processed.thumb

    log.warning("derived %s of photo %s was missing; made again from the original", variant, sha256)
    content = await anyio.to_thread.run_sync(remake)
    return opened_bytes(content) if content is not None else None


def _hash_mismatch() -> AppError:
    return AppError("photo_hash_mismatch", field="sha256")


async def receive_whole(
    database: Database,
    settings: Settings,
    sha256: str,
    body: AsyncIterable[bytes],
    uploader: Uploader,
    *,
    content_length: int | None = None,
) -> Ingested:
    """`PUT /api/photos/{sha256}`: the whole photo in one body."""
    check_sha256(sha256)
    limit = max_upload_bytes(settings)
    if content_length is not None and content_length > limit:
        raise too_large(settings.media.max_upload_mb)  # before reading a byte of it
    store = staging_of(settings)
    with storage_full_is_507():  # even the folder for it may not fit on a full disk
        staged = store.staging_file()
    try:
        digest = hashlib.sha256()
        with storage_full_is_507(), open(staged, "wb") as out:
            await receive_into(
                body, out, limit=limit, on_overflow=lambda: too_large(settings.media.max_upload_mb), hasher=digest
            )
        if digest.hexdigest() != sha256:
            raise _hash_mismatch()
        return await ingest(database, settings, sha256, uploader, staged=staged)
    finally:
        staged.unlink(missing_ok=True)


async def receive_piece(
    database: Database,
    settings: Settings,
    sha256: str,
    body: AsyncIterable[bytes],
    uploader: Uploader,
    *,
    offset: int,
    total: int,
) -> ChunkReceived:
    """`PATCH /api/photos/{sha256}?offset=&total=`: one piece of a resumable upload.

    Bytes of a piece cut off half-way are kept (`GET .../upload` says where to go on). The
    piece that reaches `total` completes the upload exactly like a PUT; if the whole is then
    refused, the pieces are deleted and the upload starts again from 0.
    """
    check_sha256(sha256)
    if total > max_upload_bytes(settings):
        raise too_large(settings.media.max_upload_mb)
    if total < 1:
        raise AppError("upload_total_invalid", field="total")
    if offset < 0 or offset > total:
        raise AppError("upload_offset_invalid", field="offset")
    existing = await find_photo(database, sha256)
    store = staging_of(settings)
    if existing is not None:
        discard_pieces(store.resumable_files(sha256))
        return ChunkReceived(existing.size_bytes, existing.size_bytes, Ingested(existing, created=False))
    path = store.resumable_file(sha256, total)
    for other in store.resumable_files(sha256):
        if other != path:
            if offset != 0:
                raise AppError("upload_total_mismatch", field="total")
            other.unlink(missing_ok=True)  # starting again with another total
    with storage_full_is_507(), locked_append(path) as pieces:
        held = pieces.tell()
        if offset != held:
            raise UploadOffsetMismatch(held)

        def beyond_total() -> AppError:
            return AppError("upload_exceeds_total", field="total")

        try:
            await receive_into(body, pieces, limit=total - held, on_overflow=beyond_total)
        except AppError as refused:
            if refused.code == "upload_exceeds_total":
                pieces.truncate(held)
            raise
        pieces.flush()
        now = pieces.tell()
        if now < total:
            return ChunkReceived(now, total)
        keep = False
        try:
            if await anyio.to_thread.run_sync(sha256_of_file, path) != sha256:
                raise _hash_mismatch()
            done = await ingest(database, settings, sha256, uploader, staged=path)
        except StoreUnavailable:
            # Whole and verified, only the store was away: the phone's retry (from offset
            # `total`, an empty piece) completes it without sending the bytes again.
            keep = True
            raise
        finally:
            if not keep:
                path.unlink(missing_ok=True)  # moved away when stored; otherwise no longer wanted
        return ChunkReceived(total, total, done)


async def upload_progress(database: Database, settings: Settings, sha256: str) -> dict[str, Any]:
    """`GET /api/photos/{sha256}/upload`: where a resumable upload stands."""
    check_sha256(sha256)
    existing = await find_photo(database, sha256)
    if existing is not None:
        return {"offset": existing.size_bytes, "total": existing.size_bytes, "complete": True}
    for path in staging_of(settings).resumable_files(sha256):
        try:
            return {"offset": path.stat().st_size, "total": int(path.name.split(".")[1]), "complete": False}
        except (FileNotFoundError, ValueError):  # completed or abandoned meanwhile
            continue
    return {"offset": 0, "total": None, "complete": False}
