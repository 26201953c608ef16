"""How many failed sign-ins are allowed, counted so that concurrency cannot get past it.

Each attempt is *reserved* before argon2 runs: one short write transaction takes the
counters' rows (SQLite: the write lock, `BEGIN IMMEDIATE`; PostgreSQL: `SELECT … FOR
UPDATE` after an `INSERT … ON CONFLICT DO NOTHING`), refuses when a limit is reached, and
otherwise counts the attempt as a failure. Thirty concurrent wrong passwords thus meet
the limit one after the other: five are checked, the rest refused without a password check.
A sign-in that succeeds takes its reservation back.

Three counters, each over FAILURE_WINDOW:
- per (username, address): MAX_FAILURES_PER_USER failures lock that username *from that
  address* for the rest of the window. A stranger elsewhere cannot lock anyone out.
- per address: MAX_FAILURES_PER_ADDRESS failures lock the address, whatever username.
- per username, from every address: past GLOBAL_FREE_FAILURES failures, each further
  attempt waits a back-off (1 s, doubling, at most GLOBAL_MAX_WAIT) — slower to bite and
  milder than a lock-out, so many addresses guessing one password get few guesses, and
  the owner at worst waits a minute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import SignInLimit
from server.core.db import Database, utcnow

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
GLOBAL_FREE_FAILURES = 10
GLOBAL_FIRST_WAIT = dt.timedelta(seconds=1)
GLOBAL_MAX_WAIT = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Reservation:
    """The go-ahead for one password check, or the wait before one may be tried."""

    keys: tuple[str, ...]
    retry_after: dt.timedelta | None = None

    @property
    def allowed(self) -> bool:
        return self.retry_after is None


def _keys(username: str, address: str | None) -> tuple[str, str, str]:
    name, where = username[:64], (address or "-")[:64]
    return f"pair:{name}|{where}", f"address:{where}", f"user:{name}"


async def _locked_rows(db: AsyncSession, keys: tuple[str, ...], now: dt.datetime) -> list[SignInLimit]:
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    await db.execute(insert(SignInLimit).values([
        {"key": k, "window_started_at": now, "failures": 0, "next_allowed_at": None} for k in sorted(keys)
    ]).on_conflict_do_nothing(index_elements=["key"]))
    rows = {r.key: r for r in (await db.execute(
        select(SignInLimit).where(SignInLimit.key.in_(keys)).order_by(SignInLimit.key).with_for_update()
    )).scalars()}
    return [rows[k] for k in keys]


async def reserve(database: Database, username: str, address: str | None) -> Reservation:
    """Count one attempt before its password is checked, or say how long to wait."""
    keys = _keys(username, address)
    now = utcnow()
    async with database.session(write=True) as db:
        rows = await _locked_rows(db, keys, now)
        for row in rows:
            if row.window_started_at <= now - FAILURE_WINDOW:
                row.window_started_at, row.failures, row.next_allowed_at = now, 0, None
        pair, by_address, by_user = rows
        if pair.failures >= MAX_FAILURES_PER_USER:
            return Reservation(keys, pair.window_started_at + FAILURE_WINDOW - now)
        if by_address.failures >= MAX_FAILURES_PER_ADDRESS:
            return Reservation(keys, by_address.window_started_at + FAILURE_WINDOW - now)
        if by_user.next_allowed_at is not None and by_user.next_allowed_at > now:
            return Reservation(keys, by_user.next_allowed_at - now)
        for row in rows:
            row.failures += 1
        beyond = by_user.failures - GLOBAL_FREE_FAILURES
        if beyond > 0:
            by_user.next_allowed_at = now + min(GLOBAL_MAX_WAIT, GLOBAL_FIRST_WAIT * 2 ** (beyond - 1))
        return Reservation(keys)


async def forget_stale(database: Database) -> int:
    """Delete counters whose window is over (a scheduled job): the table holds only live ones."""
    now = utcnow()
    async with database.session(write=True) as db:
        result = await db.execute(delete(SignInLimit).where(
            SignInLimit.window_started_at <= now - FAILURE_WINDOW,
            or_(SignInLimit.next_allowed_at.is_(None), SignInLimit.next_allowed_at <= now)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML answers a CursorResult; execute() says Result


async def release(db: AsyncSession, reservation: Reservation) -> None:
    """A sign-in that succeeded: its attempt was no failure, and its pair starts afresh."""
    rows = (await db.execute(
        select(SignInLimit).where(SignInLimit.key.in_(reservation.keys)).order_by(SignInLimit.key).with_for_update()
    )).scalars().all()
    for row in rows:
        if row.key.startswith("pair:"):
            row.failures, row.next_allowed_at = 0, None
        else:
            row.failures = max(0, row.failures - 1)
