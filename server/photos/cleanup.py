"""Deleting what is left of uploads that never finished.

A resumable upload keeps its pieces under MEDIA_ROOT/partial so the phone can go on where
its signal dropped; a whole-body upload stages its bytes there until they are judged. A
phone that never comes back, or the app killed in the middle of a body, leaves them there
for good. The scheduled jobs (server/workorders/jobs.py) call `discard_abandoned_uploads`
every round: a file no byte has reached for PARTIAL_UPLOAD_MAX_AGE_H goes. Age is the
file's modification time, which every appended piece renews, and pieces someone is
appending to right now (their lock held) are left alone. A phone whose pieces went starts
that photo again from offset 0 (GET .../upload says so), so nothing captured is lost.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import time
from pathlib import Path

import anyio.to_thread

from server.core.config import get_settings
from server.photos.settings import get_upload_settings
from server.photos.storage import MediaStore

log = logging.getLogger("fieldcheck.photos")


def discard_abandoned(store: MediaStore, max_age: dt.timedelta) -> list[Path]:
    """Delete the partial uploads under `store` untouched for `max_age`; the files deleted."""
    if not store.partial_dir.is_dir():
        return []
    cutoff = time.time() - max_age.total_seconds()
    gone = [path for path in sorted(store.partial_dir.iterdir()) if _discard_if_older(path, cutoff)]
    if gone:
        log.info("deleted %d abandoned partial uploads (untouched for %s)", len(gone), max_age)
    return gone


def _discard_if_older(path: Path, cutoff: float) -> bool:
    """Delete `path` if nothing was written to it since `cutoff` and nobody holds its lock."""
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a piece is arriving right now
            # Judged under the lock: a piece that arrived since the folder was listed counts.
            if os.fstat(handle.fileno()).st_mtime >= cutoff:
                return False
            path.unlink()
            return True
    except (FileNotFoundError, IsADirectoryError):  # finished meanwhile, or not an upload
        return False


async def discard_abandoned_uploads() -> list[Path]:
    """The scheduled job: `discard_abandoned` on MEDIA_ROOT with PARTIAL_UPLOAD_MAX_AGE_H."""
    max_age = dt.timedelta(hours=get_upload_settings().partial_upload_max_age_h)
    store = MediaStore(get_settings().media.root)
    return await anyio.to_thread.run_sync(discard_abandoned, store, max_age)
