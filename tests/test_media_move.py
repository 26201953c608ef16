"""Photos moved between the folder and a bucket (`fieldcheck media-move`), and backup and
restore of photos kept in a bucket — the real command line against the real S3 server of
the tests (Swift with s3api, tests/object_store.py)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.core.config import get_settings
from server.core.db import Database
from server.photos.service import Uploader, ingest_bytes
from server.photos.settings import StoreSettings
from server.photos.stores import BucketStore, FolderStore, PhotoStore
from tests.conftest import BACKEND, DatabaseFactory, _pg_admin, make_client, s3_environment, sign_in
from tests.factories import PASSWORD, add_user
from tests.object_store import SwiftServer
from tests.photo_helpers import jpeg, photo_like, sha

ROOT = Path(__file__).resolve().parent.parent


def fieldcheck(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **env}, timeout=180)


def bucket_of(env: dict[str, str]) -> BucketStore:
    settings = StoreSettings(kind="s3", bucket=env["MEDIA_S3_BUCKET"], endpoint=env["MEDIA_S3_ENDPOINT"],
                             region=env["MEDIA_S3_REGION"], access_key_id=env["MEDIA_S3_ACCESS_KEY_ID"],
                             secret_access_key=env["MEDIA_S3_SECRET_ACCESS_KEY"], timeout_s=5)
    return BucketStore(settings)


def contents(store: PhotoStore) -> dict[str, str]:
    """Every object of `store` with the SHA-256 of its bytes."""
    return {key: hashlib.sha256(store.read(key) or b"").hexdigest() for key in store.keys()}


async def store_photos(database: Database, count: int) -> list[bytes]:
    """`count` photos ingested into the store the settings name, as an upload ends."""
    user = await add_user(database, "ivy", "inspector")
    photos = [jpeg(image=photo_like(900 + 100 * n, 600, seed=n)) for n in range(count)]
    photos.append(jpeg(2000, 1500))  # larger than 1600 px: its display size is a re-encoding
    for data in photos:
        assert (await ingest_bytes(database, get_settings(), data, Uploader(user))).created
    return photos


@pytest.fixture
def env(swift: SwiftServer, database_url: str, tmp_path: Path) -> dict[str, str]:
    """Settings of a fresh bucket and the test's media folder; the app in-process still
    uses the folder (MEDIA_STORE=folder) until a test says otherwise."""
    return {**s3_environment(swift, swift.new_bucket()), "MEDIA_STORE": "folder", "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(tmp_path / "media")}


async def test_a_media_folder_moves_into_the_bucket_and_back_verified_and_resumable(
    env: dict[str, str], database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MEDIA_STORE", "folder")
    photos = await store_photos(database, 2)
    folder, bucket = FolderStore(Path(env["MEDIA_ROOT"])), bucket_of(env)
    (folder.root / "partial").mkdir(exist_ok=True)
    (folder.root / "partial" / f"{sha(b'x')}.99.part").write_bytes(b"half an upload")  # never moved
    before = contents(folder)
    assert len(before) == 9 and not any(key.startswith("partial") for key in before)

    first = fieldcheck("media-move", "--to", "s3", env=env)
    assert first.returncode == 0, first.stderr
    assert "9 copied, 0 already there, 0 removed" in first.stdout
    assert contents(bucket) == before  # every object, byte for byte (by SHA-256)
    again = fieldcheck("media-move", "--to", "s3", env=env)
    assert "0 copied, 9 already there" in again.stdout  # idempotent

    # A run cut off part-way (two objects not there yet, one left half-written by hand —
    # in a bucket that can only be other bytes): the next run does just those.
    bucket.delete(next(iter(before)))
    bucket.delete(list(before)[3])
    bucket.write(list(before)[5], b"not the photo")
    resumed = fieldcheck("media-move", "--to", "s3", env=env)
    assert "3 copied, 6 already there" in resumed.stdout, resumed.stdout + resumed.stderr
    assert contents(bucket) == before

    # The app switched to the bucket serves the moved photos.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MEDIA_STORE", "s3")
    async with make_client(database_url) as client:
        await sign_in(client, "ivy", PASSWORD)  # who uploaded them
        for data in photos:
            shown = await client.get(f"/photos/{sha(data)}/display")
            assert shown.status_code == 200
            assert shown.content == bucket.read(f"derived/{sha(data)[:2]}/{sha(data)[2:4]}/{sha(data)}-display.jpg")

    # And back, into an empty folder, taking the photos out of the bucket.
    back_env = {**env, "MEDIA_ROOT": str(tmp_path / "back")}
    back = fieldcheck("media-move", "--to", "folder", "--remove-source", env=back_env)
    assert back.returncode == 0, back.stderr
    assert "9 copied, 0 already there, 9 removed" in back.stdout
    assert contents(FolderStore(tmp_path / "back")) == before
    assert list(bucket.keys()) == []


def test_a_damaged_original_is_reported_and_not_moved(env: dict[str, str]) -> None:
    folder, bucket = FolderStore(Path(env["MEDIA_ROOT"])), bucket_of(env)
    good = jpeg()
    folder.write(f"{sha(good)[:2]}/{sha(good)[2:4]}/{sha(good)}.jpg", good)
    bad_name = f"{sha(b'other')[:2]}/{sha(b'other')[2:4]}/{sha(b'other')}.jpg"
    folder.write(bad_name, good)  # bytes that are not what the name says
    run = fieldcheck("media-move", "--to", "s3", "--remove-source", env=env)
    assert run.returncode == 1
    assert "1 copied" in run.stdout and "1 damaged" in run.stdout and bad_name in run.stderr
    assert list(bucket.keys()) == [f"{sha(good)[:2]}/{sha(good)[2:4]}/{sha(good)}.jpg"]
    assert folder.read(bad_name) == good  # left where it was


def test_media_move_names_a_missing_setting(tmp_path: Path, database_url: str) -> None:
    run = fieldcheck("media-move", "--to", "s3", env={"MEDIA_S3_BUCKET": "", "MEDIA_ROOT": str(tmp_path),
                                                      "DATABASE_URL": database_url})
    assert run.returncode == 1 and "MEDIA_S3_BUCKET" in run.stderr
    # The app refuses to start on such settings too, before serving a request.
    serve = fieldcheck("serve", env={"MEDIA_STORE": "s3", "MEDIA_S3_BUCKET": "", "MEDIA_ROOT": str(tmp_path),
                                     "DATABASE_URL": database_url})
    assert serve.returncode == 1 and "MEDIA_S3_BUCKET must be set" in serve.stderr
    wrong = fieldcheck("serve", env={"MEDIA_STORE": "blob", "MEDIA_ROOT": str(tmp_path), "DATABASE_URL": database_url})
    assert wrong.returncode == 1 and "MEDIA_STORE must be folder or s3" in wrong.stderr


async def test_backup_of_a_bucket_restores_into_another_bucket(
    env: dict[str, str], database: Database, database_url: str, database_factory: DatabaseFactory,
    swift: SwiftServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    s3 = {**env, "MEDIA_STORE": "s3"}
    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    await store_photos(database, 2)
    source = bucket_of(s3)
    before = contents(source)
    assert len(before) == 9

    archive = tmp_path / "backup.tar.gz"
    made = fieldcheck("backup", "--to", str(archive), env=s3)
    assert made.returncode == 0, made.stderr
    assert "9 media files" in made.stdout

    name = f"fc_restore_s3_{os.getpid()}"
    if BACKEND != "sqlite":
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    target = database_factory.url(name)
    other = {**s3_environment(swift, swift.new_bucket()), "DATABASE_URL": target, "MEDIA_ROOT": str(tmp_path / "m2")}
    restored = fieldcheck("restore", str(archive), env=other)
    assert restored.returncode == 0, restored.stderr
    assert contents(bucket_of(other)) == before
    # A bucket already holding photos is not restored into; nothing in it changes.
    fresh = f"fc_restore_s3b_{os.getpid()}"
    if BACKEND != "sqlite":
        await _pg_admin(f'DROP DATABASE IF EXISTS "{fresh}"', f'CREATE DATABASE "{fresh}"')
    refused = fieldcheck("restore", str(archive), env={**other, "DATABASE_URL": database_factory.url(fresh)})
    assert refused.returncode == 1 and "already holds photos" in refused.stderr
    assert contents(bucket_of(other)) == before
    # The same archive restores into a folder too.
    into_folder = fieldcheck("restore", str(archive), env={**other, "MEDIA_STORE": "folder",
                                                          "DATABASE_URL": database_factory.url(fresh)})
    assert into_folder.returncode == 0, into_folder.stderr
    assert contents(FolderStore(tmp_path / "m2")) == before
    for url in (target, database_factory.url(fresh)):
        await asyncio.to_thread(database_factory.drop, url)
