"""Scheduled jobs: marking overdue orders, retrying webhooks, deleting abandoned partial
photo uploads (server/photos/cleanup.py) and sign-in counters past their window (server/accounts/limits.py).

Orders past their due time are flagged everywhere as soon as it passes (pages compare
`due_at` with now); the overdue job *announces* each lapse once — a `work_order_overdue`
row per order and due time, an in-app notification, a webhook event and an audit event.
It runs inside the app every `JOBS_INTERVAL_S` and from the command line
(`fieldcheck overdue`).

Several app workers (and the CLI) may run it at once: each round first takes the job's
lock row in `job_runs` with one conditional UPDATE, which exactly one of them wins; the
others skip that round. Webhook retries need no lock: each delivery row is claimed alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar import Litestar
from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import limits
from server.core.audit.service import record_event
from server.core.db import Database, utcnow
from server.photos.cleanup import discard_abandoned_uploads
from server.workorders import notifications, webhooks
from server.workorders.models import JobRun, WorkOrder, WorkOrderOverdue
from server.core.workorder_settings import get_workorder_settings
from server.workorders.states import OWING_STATUSES

log = logging.getLogger("fieldcheck.jobs")
OVERDUE_JOB = "overdue"
WORKER = f"{socket.gethostname()}:{os.getpid()}"


async def mark_overdue(db: AsyncSession, now: dt.datetime | None = None) -> list[str]:
    """Announce every open order past its due time not announced yet; their codes."""
    now = now or utcnow()
    rows = await db.execute(
        select(WorkOrder)
        .outerjoin(WorkOrderOverdue, and_(WorkOrderOverdue.work_order_id == WorkOrder.id,
                                          WorkOrderOverdue.due_at == WorkOrder.due_at))
        .where(WorkOrder.status.in_(OWING_STATUSES), WorkOrder.due_at < now, WorkOrderOverdue.work_order_id.is_(None))
        .order_by(WorkOrder.due_at)
    )
    marked = []
    for order in rows.scalars().all():
        db.add(WorkOrderOverdue(work_order_id=order.id, due_at=order.due_at, marked_at=now))
        await record_event(db, None, "work_order.overdue", "work_order", str(order.id),
                           details={"code": order.code, "due_at": order.due_at.isoformat(), "status": order.status})
        await notifications.notify(db, order, "overdue")
        await webhooks.enqueue(db, order, "work_order.overdue")
        marked.append(order.code)
    await db.flush()
    return marked


async def take_lock(database: Database, name: str, hold: dt.timedelta, *, force: bool = False) -> bool:
    """Try to take job `name` for `hold`; True for the one caller that wins."""
    now = utcnow()
    async with database.session(write=True) as db:
        if await db.get(JobRun, name) is None:
            try:
                async with db.begin_nested():
                    db.add(JobRun(name=name))
                    await db.flush()
            except IntegrityError:
                pass  # another worker made the row first
        free = JobRun.locked_until.is_(None) | (JobRun.locked_until <= now)
        query = update(JobRun).where(JobRun.name == name)
        if not force:
            query = query.where(free)
        result = await db.execute(query.values(locked_until=now + hold, locked_by=WORKER, last_started_at=now))
        changed: int = result.rowcount  # type: ignore[attr-defined]  # DML answers a CursorResult; execute() says Result
        return changed == 1


async def _finish(database: Database, name: str, result: dict[str, Any]) -> None:
    async with database.session(write=True) as db:
        await db.execute(update(JobRun).where(JobRun.name == name).values(last_finished_at=utcnow(), last_result=result))


async def run_overdue(database: Database, *, force: bool = False, hold: dt.timedelta | None = None) -> list[str] | None:
    """One round of the overdue job under its lock: the codes marked, None if another worker has it."""
    interval = get_workorder_settings().jobs_interval_s
    hold = hold or dt.timedelta(seconds=max(interval * 0.9, 1.0))
    if not await take_lock(database, OVERDUE_JOB, hold, force=force):
        return None
    for attempt in range(2):
        try:
            async with database.session(write=True) as db:
                marked = await mark_overdue(db)
                queued = webhooks.pending_in(db)
            break
        except IntegrityError:  # PostgreSQL: a forced CLI run raced a worker; look again
            if attempt:
                raise
    await _finish(database, OVERDUE_JOB, {"marked": marked})
    if queued:
        await webhooks.deliver_due(database, only=queued)
    return marked


async def run_round(database: Database) -> None:
    """One round of every scheduled job (errors are logged; the next round tries again)."""
    jobs: list[Callable[[], Awaitable[Any]]] = [
        lambda: run_overdue(database), lambda: webhooks.deliver_due(database), discard_abandoned_uploads,
        lambda: limits.forget_stale(database),  # sign-in counters past their window
        lambda: _rounds_missed(database),  # rounds ended with assets not inspected (server/rounds/jobs.py)
    ]
    for job in jobs:
        try:
            await job()
        except Exception:  # noqa: BLE001
            log.exception("a scheduled job failed; it runs again next round")


async def _rounds_missed(database: Database) -> Any:
    from server.rounds.jobs import run_missed  # imported here: the rounds job takes this module's lock

    return await run_missed(database)


@contextlib.asynccontextmanager
async def jobs_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Runs the scheduled jobs in the background while the app serves (add to the app's
    `lifespan` list after the one that opens `app.state.db`)."""
    interval = get_workorder_settings().jobs_interval_s
    task = None
    if interval > 0:
        async def loop() -> None:
            await asyncio.sleep(random.uniform(0.5, 3.0))  # workers started together do not knock at once
            while True:
                await run_round(app.state.db)
                await asyncio.sleep(interval * random.uniform(0.9, 1.1))

        task = asyncio.create_task(loop(), name="fieldcheck-jobs")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def cli_overdue(force: bool = True) -> int:
    """`fieldcheck overdue`: announce the orders past due now, send their webhooks, print them."""
    from server.core.config import get_settings

    async def run() -> list[str] | None:
        database = Database.connect(get_settings().db)
        try:
            return await run_overdue(database, force=force, hold=dt.timedelta(seconds=60))
        finally:
            await database.dispose()

    marked = asyncio.run(run())
    if marked is None:
        print("another worker is marking overdue orders right now; nothing done")
    elif not marked:
        print("no newly overdue work orders")
    else:
        print(f"{len(marked)} work orders newly overdue: {', '.join(marked)}")
    return 0
