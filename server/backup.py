"""Backup and restore: a consistent database snapshot plus the photos, in one archive.

SQLite uses its online backup API (a consistent copy while the app keeps writing);
PostgreSQL uses `pg_dump --format=custom` (one transaction snapshot). The archive is a
`.tar.gz` holding `manifest.json`, the database (`database.sqlite3` or `database.pgdump`)
and `media/`. Photos are content-addressed and never change once written, so copying
them after the database snapshot cannot miss a photo the snapshot refers to (a photo row
is written only after its file).

`media/` holds the photo store's keys as files, whichever store they came from: the
MEDIA_ROOT folder, or the bucket of MEDIA_STORE=s3 (every object is read through the S3
API into the archive; an original is checked against its SHA-256 name on the way). A
restore writes them into the store the settings name, so a backup of a folder can be
restored into a bucket and back. Uploads still arriving are not part of any record and
are left out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from server.photos.stores import FolderStore, PhotoStore, StoreUnavailable, expected_sha256

FORMAT_VERSION = 1


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why."""


@dataclass(frozen=True)
class BackupManifest:
    format: int
    created_at: str
    backend: str
    database_file: str
    media_files: int
    media_store: str = "folder"  # where the photos came from (the archive's media/ is the same either way)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_dsn(url: str) -> str:
    """A libpq URL for pg_dump/pg_restore from an SQLAlchemy asyncpg URL."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _store(media: Path | PhotoStore) -> PhotoStore:
    return FolderStore(media) if isinstance(media, Path) else media


def _copy_media(store: PhotoStore, target: Path) -> int:
    """Every finished photo object of `store` as a file under `target`; the count."""
    count = 0
    try:
        for key in store.keys():
            dest = target / key
            dest.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(store, FolderStore):
                store.copy_file(key, dest)
            else:
                data = store.read(key)
                if data is None:  # deleted since it was listed
                    continue
                want = expected_sha256(key)
                if want is not None and hashlib.sha256(data).hexdigest() != want:
                    raise BackupError(f"the stored photo {key} does not match its SHA-256 name")
                dest.write_bytes(data)
            count += 1
    except StoreUnavailable as exc:
        raise BackupError("the object store does not answer (MEDIA_S3_ENDPOINT)") from exc
    return count


def backup(database_url: str, media: Path | PhotoStore, archive: Path) -> BackupManifest:
    """Write a consistent snapshot of the database and the photos (a media folder, or any
    photo store) to `archive`."""
    store = _store(media)
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if backend == "sqlite":
            db_file = "database.sqlite3"
            source = sqlite3.connect(_sqlite_path(database_url))
            target = sqlite3.connect(work / db_file)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            db_file = "database.pgdump"
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={work / db_file}", _pg_dsn(database_url)])
        media_files = _copy_media(store, work / "media")
        manifest = BackupManifest(
            format=FORMAT_VERSION,
            created_at=dt.datetime.now(dt.timezone.utc).isoformat(),
            backend=backend,
            database_file=db_file,
            media_files=media_files,
            media_store=store.kind,
        )
        (work / "manifest.json").write_text(json.dumps(manifest.__dict__, indent=2))
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for item in sorted(work.iterdir()):
                tar.add(item, arcname=item.name)
        os.replace(partial, archive)  # never leave a half-written archive under the real name
    return manifest


def restore(archive: Path, database_url: str, media: Path | PhotoStore) -> BackupManifest:
    """Bring back a backup into an empty database and an empty photo store (a media
    folder, or the bucket of MEDIA_STORE=s3).

    Refuses to overwrite: the target SQLite file must not exist (or be empty), the target
    PostgreSQL database must have no tables, and the media folder or bucket must hold no
    photo.
    """
    store = _store(media)
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest = BackupManifest(**json.loads((work / "manifest.json").read_text()))
        if manifest.format != FORMAT_VERSION:
            raise BackupError(f"unknown backup format {manifest.format}")
        if manifest.backend != backend:
            raise BackupError(f"this backup is of a {manifest.backend} database, the target is {backend}")
        if isinstance(media, Path):
            if media.exists() and any(media.iterdir()):
                raise BackupError(f"the media folder {media} is not empty")
        else:
            try:
                empty = store.is_empty()
            except StoreUnavailable as exc:
                raise BackupError("the object store does not answer (MEDIA_S3_ENDPOINT)") from exc
            if not empty:
                raise BackupError(f"the photo store ({store.kind}) already holds photos")
        if backend == "sqlite":
            target = _sqlite_path(database_url)
            if target.exists() and target.stat().st_size > 0:
                raise BackupError(f"the database file {target} already exists")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / manifest.database_file, target)
        else:
            dsn = _pg_dsn(database_url)
            tables = _run(["psql", "-tAc", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", dsn])
            if tables.strip() != "0":
                raise BackupError(f"the database {urlsplit(dsn).path.lstrip('/')} is not empty")
            _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={dsn}", str(work / manifest.database_file)])
        if (work / "media").exists():
            if isinstance(media, Path):
                shutil.copytree(work / "media", media, dirs_exist_ok=True)
            else:
                _upload_media(work / "media", store)
        return manifest


def _upload_media(source: Path, store: PhotoStore) -> None:
    try:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                store.write(path.relative_to(source).as_posix(), path.read_bytes())
    except StoreUnavailable as exc:
        raise BackupError("the object store does not answer (MEDIA_S3_ENDPOINT)") from exc


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")
    return done.stdout
