"""The database going away under load (issue 6, faults).

PostgreSQL restarted under load. The shared server on 5432 is never touched: the test
makes a private cluster of its own (initdb + pg_ctl in a temp dir, a free 127.0.0.1 port,
trust auth), migrates it, and runs the app as a real process against it. Three phones send
batch after batch while the cluster is restarted twice — `pg_ctl restart -m fast`
(sessions ended, clean shutdown), then `-m immediate` (a crash, recovered from the WAL) —
and /health is polled throughout.

SQLite has no server to restart; its equivalent is another process holding the write lock
longer than the app's busy timeout (a maintenance session, a stuck tool), twice, under the
same load.

What must hold, on both:
- the app recovers by itself: the same process serves again and later batches succeed;
- a request caught by the outage fails cleanly — the app's JSON 5xx or a dropped
  connection — and the phone retries it with the same ids;
- no 2xx for data that was not stored: a phone never sends a record again once it got its
  200, so every record must be in the database at the end, exactly once and whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from server.core.config import DatabaseSettings
from server.core.db import Database
from server.inspections.models import Inspection
from server.migrate import upgrade
from tests.browser.conftest import free_port
from tests.conftest import BACKEND
from tests.fault_helpers import (
    AppProcess,
    Load,
    assert_stored_once,
    health_watch,
    seed_site,
    send_under_load,
)
from tests.sync_helpers import count

PHONES, PER_PHONE = 3, 6
BATCHES = PHONES * PER_PHONE  # of 10 records each, all phones together


@pytest.mark.skipif(BACKEND != "postgresql", reason="restarts a PostgreSQL server (SQLite's equivalent is below)")
async def test_the_app_rides_out_postgresql_restarts_under_load(private_cluster: PrivateCluster, tmp_path: Path) -> None:
    await private_cluster.create_database("fieldcheck")
    url = private_cluster.url("fieldcheck")
    await asyncio.to_thread(upgrade, url)
    database = Database.connect(DatabaseSettings(url=url))
    site = await seed_site(database, assets=6)
    await database.dispose()  # the test's own connections would not survive the restarts either
    app = AppProcess(url, tmp_path / "media", tmp_path / "server.log")
    restarted_at: list[int] = []  # batches stored when each restart had finished

    async def restarts(load: Load) -> None:
        for after, mode in ((BATCHES // 3, "fast"), (2 * BATCHES // 3, "immediate")):
            await load.until_stored(after)
            await asyncio.to_thread(private_cluster.restart, mode)
            restarted_at.append(load.stored)

    try:
        app.start()
        pid = app.pid
        async with health_watch(app.url) as health:
            load = await send_under_load(app.url, site, restarts, phones=PHONES, batches=PER_PHONE)
        assert_failed_cleanly(load)
        assert 503 in health, f"/health never reported the outage: {sorted(set(map(str, health)))}"
        # The same app process recovered by itself, and kept storing after each restart.
        assert app.alive() and app.pid == pid
        assert len(restarted_at) == 2 and restarted_at[-1] < BATCHES
        async with httpx.AsyncClient(base_url=app.url) as http:
            assert (await http.get("/health")).json()["database"] == "ok"
        database = Database.connect(DatabaseSettings(url=url))
        await assert_stored_once(database, load.records, load.results)
        assert await count(database, Inspection) == len(load.records)
    except BaseException:
        print(f"--- server log ---\n{app.log()}\n--- PostgreSQL log ---\n{private_cluster.server_log()}")
        raise
    finally:
        app.stop()
        await database.dispose()


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's write lock (PostgreSQL's restart is above)")
async def test_the_app_rides_out_a_sqlite_write_lock_held_elsewhere_under_load(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    site = await seed_site(database, assets=6)
    app = AppProcess(database_url, tmp_path / "media", tmp_path / "server.log")
    app.env["SQLITE_BUSY_TIMEOUT_MS"] = "200"  # give up waiting well before the lock is let go
    path = Path(database_url.split(":///", 1)[1])

    async def hold_the_write_lock(load: Load) -> None:
        for after in (BATCHES // 3, 2 * BATCHES // 3):
            await load.until_stored(after)
            other = sqlite3.connect(path, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                await asyncio.sleep(0.8)
            finally:
                other.close()  # rolls back, lets go

    try:
        app.start()
        pid = app.pid
        async with health_watch(app.url) as health:
            load = await send_under_load(app.url, site, hold_the_write_lock, phones=PHONES, batches=PER_PHONE)
        assert_failed_cleanly(load)
        assert set(health) == {200}  # reads go on meanwhile (WAL): only writers wait
        assert app.alive() and app.pid == pid
        await assert_stored_once(database, load.records, load.results)
        assert await count(database, Inspection) == len(load.records)
    except BaseException:
        print(f"--- server log ---\n{app.log()}")
        raise
    finally:
        app.stop()


def assert_failed_cleanly(load: Load) -> None:
    """The outages were felt, and every request they caught failed as the phone expects:
    the app's JSON 5xx (checked as it came) or no answer at all."""
    failures = load.failures()
    assert failures, "no request was caught by the outage"
    assert all(a.status is None or a.status >= 500 for a in failures), failures


# ---- a private PostgreSQL cluster ---------------------------------------------------------------


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return found[-1].parent


class PrivateCluster:
    """A throwaway PostgreSQL cluster on a free 127.0.0.1 port, trust auth, in a temp dir.

    For restarting under load without touching the shared server on 5432. initdb refuses
    to run as root, so as root the cluster runs as the `postgres` OS user.
    """

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="fc-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.directory, "postgres", "postgres")

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self._as, *args], check=False, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}{done.stderr}\n{self.server_log()}")

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        # Small and quick: this cluster lives for one test.
        options = {"port": self.port, "listen_addresses": "'127.0.0.1'",
                   "unix_socket_directories": f"'{self.directory}'", "fsync": "off",
                   "shared_buffers": "'32MB'", "max_connections": 40}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in options.items())
        self.pg_ctl("start")

    def pg_ctl(self, action: str, *options: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  action, *options)

    def restart(self, mode: str) -> None:
        """`pg_ctl restart -m fast` (sessions ended, clean shutdown) or `-m immediate` (a
        crash: recovery from the WAL on start). Returns once it accepts connections again."""
        self.pg_ctl("restart", "-m", mode)

    def remove(self) -> None:
        """Stop it (immediately: nothing in it is wanted) and delete its files."""
        with contextlib.suppress(Exception):
            if (self.data / "postmaster.pid").exists():
                self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def server_log(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    async def create_database(self, name: str) -> None:
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    """A private cluster for one test, stopped and deleted afterwards whatever happened."""
    cluster = PrivateCluster()
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.remove()
