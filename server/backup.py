"""Backup and restore: a consistent database snapshot plus the media folder, in one archive.

SQLite uses its online backup API (a consistent copy while the app keeps writing);
PostgreSQL uses `pg_dump --format=custom` (one transaction snapshot). The archive is a
`.tar.gz` holding `manifest.json`, the database (`database.sqlite3` or `database.pgdump`)
and `media/`. Photos are content-addressed and never change once written, so copying
the folder after the database snapshot cannot miss a photo the snapshot refers to
(a photo row is written only after its file).
"""

from __future__ import annotations

import datetime as dt
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


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_dsn(url: str) -> str:
    """A libpq URL for pg_dump/pg_restore from an SQLAlchemy asyncpg URL."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _copy_media(media_root: Path, target: Path) -> int:
    count = 0
    if media_root.exists():
        for path in media_root.rglob("*"):
            # Unfinished resumable uploads are not part of any record.
            if path.is_file() and "partial" not in path.relative_to(media_root).parts:
                dest = target / path.relative_to(media_root)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
                count += 1
    return count


def backup(database_url: str, media_root: Path, archive: Path) -> BackupManifest:
    """Write a consistent snapshot of the database and the media folder to `archive`."""
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
        media_files = _copy_media(media_root, work / "media")
        manifest = BackupManifest(
            format=FORMAT_VERSION,
            created_at=dt.datetime.now(dt.timezone.utc).isoformat(),
            backend=backend,
            database_file=db_file,
            media_files=media_files,
        )
        (work / "manifest.json").write_text(json.dumps(manifest.__dict__, indent=2))
        archive.parent.mkdir(parents=True, exist_ok=True)
        partial = archive.with_name(archive.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for item in sorted(work.iterdir()):
                tar.add(item, arcname=item.name)
        os.replace(partial, archive)  # never leave a half-written archive under the real name
    return manifest


def restore(archive: Path, database_url: str, media_root: Path) -> BackupManifest:
    """Bring back a backup into an empty database and media folder.

    Refuses to overwrite: the target SQLite file must not exist (or be empty), the target
    PostgreSQL database must have no tables, and the media folder must be empty.
    """
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
        if media_root.exists() and any(media_root.iterdir()):
            raise BackupError(f"the media folder {media_root} is not empty")
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
            shutil.copytree(work / "media", media_root, dirs_exist_ok=True)
        return manifest


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()}")
    return done.stdout
