"""Photos on disk, named by the SHA-256 of their bytes.

    MEDIA_ROOT/ab/cd/<sha256>.<ext>                  the original as uploaded (EXIF kept: evidence)
    MEDIA_ROOT/derived/ab/cd/<sha256>-display.jpg    at most 1600 px, no EXIF (a hard link to
                                                     the original when that is already so)
    MEDIA_ROOT/derived/ab/cd/<sha256>-thumb.jpg      at most 320 px, no EXIF
    MEDIA_ROOT/partial/<uuid>.upload                 a PUT body still arriving
    MEDIA_ROOT/partial/<sha256>.<total>.part         a resumable upload, `total` bytes announced
                                                     (both partial kinds are deleted once untouched
                                                     for PARTIAL_UPLOAD_MAX_AGE_H: cleanup.py)

Every final file appears whole or not at all: written to a temporary file in the same
folder, then renamed over its name (``os.replace`` is atomic), so neither a crash nor a
full disk leaves a truncated photo behind. Originals are also flushed to the disk, file
and folder, before the database says they are stored. A file's content never changes
under its name, which is what lets it be cached forever.
"""

from __future__ import annotations

import errno
import os
import tempfile
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Iterator

from server.core.errors import AppError

VARIANTS = ("display", "thumb")


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` as `path`: readers see no file or the whole file, never a part of it.

    `durable` also waits until the file and its name are on the disk (fsync), for files
    that cannot be made again; derived sizes skip it (see `MediaStore.put`).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        _fsync_dir(path.parent)


def move_atomic(source: Path, path: Path) -> None:
    """Move a finished file (already under MEDIA_ROOT, so the same disk) to `path`, durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb+") as staged:
        os.fsync(staged.fileno())
    os.replace(source, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # A rename is only on the disk once its folder is: before the database says "stored".
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def link_atomic(source: Path, path: Path) -> None:
    """Make `path` a second name of `source` (same content, no copy), replacing what was there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{uuid.uuid4().hex}.tmp")
    try:
        os.link(source, tmp)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        write_atomic(path, source.read_bytes(), durable=False)  # no hard links here: copy
        return
    try:
        os.replace(tmp, path)
    finally:
        # Gone after a normal rename; still there if `path` already was this same file (a
        # rename between two names of one file does nothing).
        with suppress(FileNotFoundError):
            os.unlink(tmp)


@contextmanager
def storage_full_is_507() -> Iterator[None]:
    """A full disk (or quota) under MEDIA_ROOT becomes `507 media_storage_full`."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise AppError("media_storage_full") from exc
        raise


@dataclass(frozen=True)
class MediaStore:
    """The folder layout under MEDIA_ROOT."""

    root: Path

    def original(self, sha256: str, extension: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.{extension}"

    def derived(self, sha256: str, variant: str) -> Path:
        return self.root / "derived" / sha256[:2] / sha256[2:4] / f"{sha256}-{variant}.jpg"

    @property
    def partial_dir(self) -> Path:
        return self.root / "partial"

    def staging_file(self) -> Path:
        """A fresh name for a body being received (nothing there yet)."""
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        return self.partial_dir / f"{uuid.uuid4().hex}.upload"

    def resumable_file(self, sha256: str, total: int) -> Path:
        return self.partial_dir / f"{sha256}.{total}.part"

    def resumable_files(self, sha256: str) -> list[Path]:
        """The pieces received so far for `sha256` (normally none or one)."""
        if not self.partial_dir.is_dir():
            return []
        return sorted(self.partial_dir.glob(f"{sha256}.*.part"))

    def put(
        self, sha256: str, extension: str, original: Path | bytes, display: bytes | None, thumb: bytes
    ) -> list[Path]:
        """Place a judged photo: its derived sizes and the original (moved from a staged file,
        or written from bytes). `display=None` means the display size is the original itself
        (a JPEG from the phone, with nothing to remove): it is hard-linked, not copied.

        Only the original is flushed to the disk before this returns: it is the evidence and
        the phone deletes its copy once the server confirms. A derived size lost to a power
        cut is made again from the original when it is next asked for.

        Returns the files this call created. If anything fails, those are removed again and
        the error raised: a photo is stored whole or not at all.
        """
        created: list[Path] = []
        final = self.original(sha256, extension)
        shown = self.derived(sha256, "display")

        def track(path: Path, place: Callable[[], None]) -> None:
            existed = path.exists()
            place()
            if not existed:
                created.append(path)

        try:
            small = self.derived(sha256, "thumb")
            track(small, lambda: write_atomic(small, thumb, durable=False))
            if display is not None:
                track(shown, lambda: write_atomic(shown, display, durable=False))
            if isinstance(original, bytes):
                track(final, lambda: write_atomic(final, original))
            else:
                track(final, lambda: move_atomic(original, final))
            if display is None:
                track(shown, lambda: link_atomic(final, shown))
        except BaseException:
            self.discard(created)
            raise
        return created

    def put_derived(self, sha256: str, display: bytes, thumb: bytes) -> None:
        """Write the derived sizes again (after a loss, or a change in how they are made)."""
        write_atomic(self.derived(sha256, "display"), display, durable=False)
        write_atomic(self.derived(sha256, "thumb"), thumb, durable=False)

    def discard(self, paths: list[Path]) -> None:
        for path in paths:
            with suppress(FileNotFoundError):
                path.unlink()
