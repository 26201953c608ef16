"""Receiving photo bytes: streamed to a file under MEDIA_ROOT/partial with a running count.

A body is never held whole in memory, and it is refused as soon as its running count passes
the limit — a 200 MB upload stops after MAX_UPLOAD_MB, not after 200 MB.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import AsyncIterable, Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from litestar.exceptions import InternalServerException

from server.core.errors import AppError


class UploadOffsetMismatch(AppError):
    """A resumable piece that does not start where the received bytes end."""

    def __init__(self, expected_offset: int) -> None:
        super().__init__(
            "upload_offset_mismatch",
            field="offset",
            expected=expected_offset,
        )
        self.expected_offset = expected_offset
        self.headers = {"Upload-Offset": str(expected_offset)}


def too_large(max_upload_mb: float) -> AppError:
    return AppError("photo_too_large", field="body", limit=f"{max_upload_mb:g}")


def interrupted() -> AppError:
    return AppError("upload_interrupted", field="body")


async def receive_into(
    chunks: AsyncIterable[bytes],
    target: IO[bytes],
    *,
    limit: int,
    on_overflow: Callable[[], AppError],
    hasher: hashlib._Hash | None = None,
) -> int:
    """Append the body to `target`; raise `on_overflow()` the moment it passes `limit` bytes.

    A client that goes away mid-body is `400 upload_interrupted` (what arrived stays written;
    the caller decides whether to keep it). Returns the number of bytes written.
    """
    received = 0
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            received += len(chunk)
            if received > limit:
                raise on_overflow()
            target.write(chunk)
            if hasher is not None:
                hasher.update(chunk)
    except InternalServerException as exc:
        # Litestar's request.stream() says so when the ASGI server reports a disconnect.
        if "disconnect" in str(exc.detail):
            raise interrupted() from None
        raise
    return received


@contextmanager
def locked_append(path: Path) -> Iterator[IO[bytes]]:
    """The pieces received so far, open for appending, locked against a second uploader.

    The lock is an advisory ``flock``, so it holds across worker processes too. An empty
    file left by a refused piece is removed again.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "ab")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AppError("upload_in_progress", field="sha256") from None
        try:
            yield handle
        finally:
            handle.flush()
            if os.fstat(handle.fileno()).st_size == 0:
                with suppress(FileNotFoundError):
                    path.unlink()
    finally:
        handle.close()


def discard_pieces(paths: list[Path]) -> None:
    """Remove pieces of an upload no longer needed (the photo is held), unless someone is
    appending to them at this moment."""
    for path in paths:
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            continue
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            with suppress(FileNotFoundError):
                path.unlink()


def sha256_of_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in 1 MB pieces (blocking: run it in a thread)."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
