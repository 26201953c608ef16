"""`fieldcheck media-move --to s3|folder`: the photos of the MEDIA_ROOT folder into the bucket
of MEDIA_S3_*, or back.

Object by object: read it from the source, check it (an original's SHA-256 must be its
name), skip it when the target already holds the same bytes (so a rerun copies nothing
twice, and an interrupted run goes on where it stopped), otherwise write it whole to the
target and read it back to check its SHA-256 there. With `--remove-source` the source
object is deleted only after its copy was verified, so at every moment each photo is whole
in at least one of the two places. A damaged original is reported and left where it is.

Moving a live deployment: run it with the app still on the old store (it copies
everything), switch MEDIA_STORE and restart the app, then run it again (it copies what was
uploaded in between) — with `--remove-source` when the old copies may go.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field

from server.photos.stores import PhotoStore, StoreUnavailable, expected_sha256


@dataclass
class MoveReport:
    copied: int = 0
    already_there: int = 0
    removed: int = 0
    damaged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.copied} copied, {self.already_there} already there, {self.removed} removed from the source"
        return text + (f", {len(self.damaged)} damaged (left in place)" if self.damaged else "")


class MoveError(RuntimeError):
    """A copy that did not read back as written, or a store that does not answer."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def move_media(source: PhotoStore, target: PhotoStore, *, remove_source: bool = False) -> MoveReport:
    """Copy every photo object of `source` into `target`, verified; see the module docstring."""
    report = MoveReport()
    for key in list(source.keys()):
        data = source.read(key)
        if data is None:  # gone since it was listed
            continue
        digest = _sha(data)
        want = expected_sha256(key)
        if want is not None and digest != want:
            report.damaged.append(key)
            continue
        there = target.read(key)
        if there is not None and _sha(there) == digest:
            report.already_there += 1
        else:
            target.write(key, data)
            back = target.read(key)
            if back is None or _sha(back) != digest:
                raise MoveError(f"{key} did not read back from the {target.kind} store as written")
            report.copied += 1
        if remove_source:
            source.delete(key)
            report.removed += 1
    return report


def cli_media_move(to: str, *, remove_source: bool = False) -> int:
    from server.core.config import get_settings
    from server.photos.settings import get_store_settings
    from server.photos.stores import bucket_store, folder_store

    try:
        folder, bucket = folder_store(get_settings().media.root), bucket_store(get_store_settings())
    except ValueError as exc:
        print(f"fieldcheck: media-move: {exc}", file=sys.stderr)
        return 1
    source, target = (folder, bucket) if to == "s3" else (bucket, folder)
    try:
        report = move_media(source, target, remove_source=remove_source)
    except StoreUnavailable:
        print("fieldcheck: media-move: the object store does not answer (MEDIA_S3_ENDPOINT); "
              "run it again to go on", file=sys.stderr)
        return 1
    except (MoveError, OSError) as exc:
        print(f"fieldcheck: media-move: {exc}; run it again to go on", file=sys.stderr)
        return 1
    print(f"media-move to {to} ({bucket.bucket if to == 's3' else folder.root}): {report}")
    for key in report.damaged:
        print(f"  damaged, not moved: {key}", file=sys.stderr)
    return 1 if report.damaged else 0
