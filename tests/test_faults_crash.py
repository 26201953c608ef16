"""The server killed (SIGKILL) in the middle of a sync batch (issue 6, faults).

The app runs as a real process on a fresh database. A large batch is sent, and the app is
killed while the database shows the batch's write transaction open with rows already
written — not by luck:

- PostgreSQL: the test holds a SHARE lock on `sync_receipts`, the last table a batch
  inserts into, so the batch stops there with its inspections, clause results and defects
  written but not committed; `pg_stat_activity` shows it waiting, with a transaction id.
- SQLite: the batch's notes are large enough that SQLite spills its uncommitted pages into
  the WAL before the commit; once the WAL has grown by 256 KB the app is frozen
  (SIGSTOP) and the write lock checked to be still held (so not committed) before SIGKILL.

After a restart the phone sends the same batch again, as it does after a dropped
connection: every record is stored exactly once and whole, and a further retry is
answered "duplicate" with the same results.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.defects.models import Defect
from server.inspections.models import Inspection
from sync.models import SyncReceipt
from tests.conftest import BACKEND
from tests.fault_helpers import (
    AppProcess,
    Phone,
    Site,
    SyncLog,
    assert_stored_once,
    inspection_records,
    seed_site,
    sync_until_stored,
    wait_for,
)
from tests.sync_helpers import count

RECORDS = 150
NOTES = "巡检记录：长椅完好。" * 800  # 24 KB of UTF-8 a record: 3.6 MB a batch, under the 5 MB limit
SPILLED = 256 * 1024  # this much of the batch in the WAL, uncommitted: rows are being written
ATTEMPTS = 3  # SQLite: tries at catching the batch between its first spill and its commit


async def test_a_batch_cut_short_by_sigkill_is_stored_exactly_once_after_the_phones_retry(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    site = await seed_site(database)
    app = AppProcess(database_url, tmp_path / "media", tmp_path / "server.log")
    try:
        app.start()
        async with Phone(app.url, site.username) as phone:
            await phone.sign_in()
            records = await _kill_mid_batch(app, phone, site, database_url)

            # Nothing of the batch survived the crash: no record, no half of one.
            ids = [uuid.UUID(r["id"]) for r in records]
            assert await count(database, Inspection, Inspection.id.in_(ids)) == 0
            assert await count(database, SyncReceipt, SyncReceipt.id.in_(ids)) == 0
            assert await count(database, AuditEvent, AuditEvent.entity_id.in_([str(i) for i in ids])) == 0
            assert await count(database, Defect, Defect.opened_by_inspection_id.in_(ids)) == 0

            app.start()  # the same database, after the crash
            log = SyncLog()
            results = await sync_until_stored(phone, records, log, deadline=time.monotonic() + 60)
            assert [r["outcome"] for r in results] == ["created"] * RECORDS
            await assert_stored_once(database, records, results)

            again = await phone.send(records)
            assert again.status_code == 200
            repeated = again.json()["results"]
            assert [r["outcome"] for r in repeated] == ["duplicate"] * RECORDS
            assert [r["result"] for r in repeated] == [r["result"] for r in results]
            await assert_stored_once(database, records, repeated)
    except BaseException:
        print(f"--- server log ---\n{app.log()}")
        raise
    finally:
        app.stop()


async def _kill_mid_batch(app: AppProcess, phone: Phone, site: Site, database_url: str) -> list[dict[str, Any]]:
    """Send a batch, SIGKILL the app while its transaction is open with rows written, and
    return the batch (whose answer the phone never got)."""
    with ThreadPoolExecutor(1) as pool:
        if BACKEND == "sqlite":
            for attempt in range(ATTEMPTS):
                records = inspection_records(site, RECORDS, notes=NOTES, start=attempt * RECORDS)
                if _kill_after_spill(app, phone, records, sqlite_path(database_url), pool):
                    return records
                app.start()  # too late: it committed first; a fresh batch, another try
            pytest.fail(f"the batch committed before the app could be frozen, {ATTEMPTS} times")
        records = inspection_records(site, RECORDS, notes=NOTES)
        await _kill_at_receipts_lock(app, phone, records, database_url, pool)
        return records


def _kill_after_spill(app: AppProcess, phone: Phone, records: list[dict[str, Any]], path: Path,
                      pool: ThreadPoolExecutor) -> bool:
    """SQLite: freeze the app once the batch's pages reach the WAL; kill it if the write
    lock is still held (the transaction not committed). False if it committed first."""
    sqlite_truncate_wal(path)
    sent = pool.submit(phone.send_blocking, records)
    wait_for(lambda: wal_size(path) > SPILLED or sent.done(), "the batch to spill into the WAL",
             timeout=60, every=0.0002)
    app.freeze()
    open_transaction = sqlite_writer_active(path)
    app.kill()
    if not open_transaction:  # committed just before the freeze: this try missed
        sent.exception(timeout=30)  # whatever the phone heard of it
        return False
    _assert_no_answer(sent)
    return True


async def _kill_at_receipts_lock(app: AppProcess, phone: Phone, records: list[dict[str, Any]], database_url: str,
                                 pool: ThreadPoolExecutor) -> None:
    """PostgreSQL: hold the batch at its INSERT into `sync_receipts` (its other rows
    written, uncommitted), kill the app there, then let the orphaned backend go."""
    holder = await asyncpg.connect(pg_dsn(database_url))
    watcher = await asyncpg.connect(pg_dsn(database_url))
    name = database_url.rsplit("/", 1)[1]
    try:
        lock = holder.transaction()
        await lock.start()
        await holder.execute("LOCK TABLE sync_receipts IN SHARE MODE")  # reads go on; inserts wait
        sent = pool.submit(phone.send_blocking, records)
        blocked = None
        for _ in range(3000):  # at most 60 s
            rows = [r for r in await pg_backends(watcher, name)
                    if r["wait_event_type"] == "Lock" and "sync_receipts" in r["query"].lower()]
            if rows:
                blocked = rows[0]
                break
            assert not sent.done(), f"the batch finished without waiting on the lock: {sent.result().text[:300]}"
            await asyncio.sleep(0.02)
        assert blocked is not None, "the batch never reached its receipts"
        assert blocked["has_written"], "the batch should have written its other rows by now"
        app.kill()
        _assert_no_answer(sent)
        await lock.rollback()
        # The backend finds its client gone when it next speaks to it, and rolls back.
        for _ in range(500):  # at most 10 s
            if blocked["pid"] not in {r["pid"] for r in await pg_backends(watcher, name)}:
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the killed app's transaction is still open")
    finally:
        await holder.close()
        await watcher.close()


def _assert_no_answer(sent: Future[httpx.Response]) -> None:
    """The phone heard nothing definite: the connection dropped (never a 2xx)."""
    with pytest.raises(httpx.TransportError):
        sent.result(timeout=30)


# ---- probes: a write transaction in progress ----------------------------------------------


def sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def sqlite_writer_active(path: Path) -> bool:
    """Whether another connection holds SQLite's write lock (a write transaction is open).

    Probed with ``BEGIN IMMEDIATE`` and no busy timeout: refused at once while a writer
    holds the lock, taken and given back at once otherwise.
    """
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return True
        raise
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def sqlite_truncate_wal(path: Path) -> None:
    """Checkpoint the WAL into the database and empty it, so its growth can be watched."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, "the WAL could not be emptied: something is writing"
    finally:
        conn.close()


def wal_size(path: Path) -> int:
    try:
        return path.with_name(path.name + "-wal").stat().st_size
    except FileNotFoundError:
        return 0


def pg_dsn(url: str) -> str:
    """An asyncpg DSN from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def pg_backends(admin: asyncpg.Connection, database: str) -> list[asyncpg.Record]:
    """The other sessions on `database`: what they run, whether they wait on a lock, and
    whether they have written (a transaction id)."""
    return await admin.fetch(
        """SELECT pid, wait_event_type, query, backend_xid IS NOT NULL AS has_written
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()""",
        database,
    )
