"""The `fieldcheck` command line: create-user with the password rules, backup and restore."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from server.core.config import DatabaseSettings
from server.core.db import Database
from tests.conftest import BACKEND, DatabaseFactory, _pg_admin, csrf_token, make_client, sign_in

ROOT = Path(__file__).resolve().parent.parent


def fieldcheck(*args: str, url: str, media: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(media)}
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


@pytest.mark.parametrize(
    ("password", "message"),
    [("short1", "at least 10 characters"), ("onlyletterslong", "letters and digits"), ("xx-kim-2026-yy", "must not contain the username")],
)
def test_create_user_enforces_the_password_rules(database_url: str, tmp_path: Path, password: str, message: str) -> None:
    result = fieldcheck("create-user", "kim", "--role", "inspector", "--password", password, url=database_url, media=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr


async def _user_id(url: str, username: str) -> str:
    from server.models import User

    db = Database.connect(DatabaseSettings(url=url))
    try:
        async with db.session(write=False) as s:
            return str(await s.scalar(select(User.id).where(User.username == username)))
    finally:
        await db.dispose()


async def test_create_user_then_sign_in_works(database_url: str, tmp_path: Path) -> None:
    ok = fieldcheck("create-user", "kim", "--role", "supervisor", "--name", "Kim Lin", "--password", "Good-pass-2026",
                    url=database_url, media=tmp_path)
    assert ok.returncode == 0, ok.stderr
    kim_id = await _user_id(database_url, "kim")
    async with make_client(database_url) as client:
        # Not signed in, the supervisor's page sends to the sign-in form: the 200 below is the session's.
        before = await client.get("/supervise", follow_redirects=False)
        assert before.status_code == 303 and before.headers["location"].startswith("/login")
        await sign_in(client, "kim", "Good-pass-2026")  # the new account signs in through the form
        home = await client.get("/", follow_redirects=True)  # and lands on its role's page, as itself
        assert home.status_code == 200 and home.url.path == "/supervise"
        body = BeautifulSoup(home.text, "html.parser").body
        assert body is not None
        assert (body["data-user-id"], body["data-user-name"]) == (kim_id, "Kim Lin")
        assert "Kim Lin" in body.select_one(".who").get_text()
    async with make_client(database_url) as stranger:
        token = await csrf_token(stranger)
        wrong = await stranger.post(
            "/login", data={"username": "kim", "password": "Wrong-pass-2026", "_csrf_token": token}, follow_redirects=False
        )
        assert wrong.status_code == 400 and 'name="password"' in wrong.text  # the form again, no session
        after = await stranger.get("/supervise", follow_redirects=False)
        assert after.status_code == 303 and after.headers["location"].startswith("/login")
    again = fieldcheck("create-user", "kim", "--role", "supervisor", "--password", "Good-pass-2026", url=database_url, media=tmp_path)
    assert again.returncode == 1 and "taken" in again.stderr
    orphan = fieldcheck("create-user", "co", "--role", "contractor", "--password", "Good-pass-2026", url=database_url, media=tmp_path)
    assert orphan.returncode == 1 and "--contractor" in orphan.stderr
    nowhere = fieldcheck("create-user", "lin", "--role", "inspector", "--site", "NOPE", "--password", "Good-pass-2026",
                         url=database_url, media=tmp_path)
    assert nowhere.returncode == 1 and "NOPE" in nowhere.stderr


async def _counts(url: str) -> dict[str, int]:
    from server.models import Asset, AuditEvent, ClauseResult, Defect, Inspection, User, WorkOrder

    db = Database.connect(DatabaseSettings(url=url))
    try:
        async with db.session(write=False) as s:
            return {
                m.__tablename__: await s.scalar(select(func.count()).select_from(m))
                for m in (Asset, AuditEvent, ClauseResult, Defect, Inspection, User, WorkOrder)
            }
    finally:
        await db.dispose()


async def test_backup_while_writing_then_restore_into_a_fresh_database(
    demo_database_url: str, database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    import asyncio

    from server.core.audit.models import AuditEvent

    media = tmp_path / "media"
    (media / "ab" / "cd").mkdir(parents=True)
    photo = media / "ab" / "cd" / ("ab" * 32 + ".jpg")
    photo.write_bytes(b"\xff\xd8 not really a jpeg but bytes to keep")
    archive = tmp_path / "backup.tar.gz"

    # The app keeps writing while the backup runs.
    db = Database.connect(DatabaseSettings(url=demo_database_url))

    async def writer() -> None:
        for n in range(30):
            async with db.session() as s:
                s.add(AuditEvent(action="test.during_backup", entity_type="test", entity_id=str(n), details={}))
            await asyncio.sleep(0.005)

    run = asyncio.to_thread(fieldcheck, "backup", "--to", str(archive), url=demo_database_url, media=media)
    result, _ = await asyncio.gather(run, writer())
    await db.dispose()
    assert result.returncode == 0, result.stderr
    assert archive.exists()

    before = await _counts(demo_database_url)
    name = f"fc_restore_{os.getpid()}"
    if BACKEND != "sqlite":
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    target = database_factory.url(name)
    restored_media = tmp_path / "restored-media"
    restored = await asyncio.to_thread(fieldcheck, "restore", str(archive), url=target, media=restored_media)
    assert restored.returncode == 0, restored.stderr
    after = await _counts(target)
    # Everything before the backup is there; writes during it may or may not be.
    for table, n in before.items():
        if table != "audit_events":
            assert after[table] == n, table
    assert after["audit_events"] >= before["audit_events"] - 30
    assert (restored_media / "ab" / "cd" / photo.name).read_bytes() == photo.read_bytes()
    # Restoring over a database that has data is refused, nothing overwritten.
    refused = await asyncio.to_thread(fieldcheck, "restore", str(archive), url=target, media=tmp_path / "other")
    assert refused.returncode == 1 and "restore failed" in refused.stderr
    await asyncio.to_thread(database_factory.drop, target)


def test_demo_without_a_day_ends_its_history_today_on_the_site_clock(database_url: str, tmp_path: Path) -> None:
    """`make run` on any date: at 16:30 UTC on 1 March it is already 2 March in Shanghai, and
    the demo's three months of history end there (the clock set by faketime). With --today
    the demo is the same on every day (what the tests load)."""
    assert shutil.which("faketime"), "faketime is missing: `make test-deps` installs it"
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(tmp_path), "TZ": "UTC"}
    run = subprocess.run(["faketime", "-f", "@2027-03-01 16:30:00", sys.executable, "-m", "server", "demo"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert "demo site loaded" in run.stdout

    async def loaded() -> tuple[dict, dt.datetime]:
        from server.models import AuditEvent, Inspection

        db = Database.connect(DatabaseSettings(url=database_url))
        try:
            async with db.session(write=False) as s:
                details = await s.scalar(select(AuditEvent.details).where(AuditEvent.action == "demo.loaded"))
                last = await s.scalar(select(func.max(Inspection.observed_at)))
                return details, last
        finally:
            await db.dispose()

    details, last = asyncio.run(loaded())
    details = details if isinstance(details, dict) else json.loads(details)
    assert details["today"] == "2027-03-02" and details["history_from"] == "2026-12-01"
    shanghai = dt.timezone(dt.timedelta(hours=8))
    last = last if last.tzinfo else last.replace(tzinfo=dt.timezone.utc)
    assert last.astimezone(shanghai).date() == dt.date(2027, 3, 1)  # yesterday: the history ends today

    bad = fieldcheck("demo", "--today", "2027-02-30", url=database_url, media=tmp_path)
    assert bad.returncode == 2 and "not a day (YYYY-MM-DD): '2027-02-30'" in bad.stderr
