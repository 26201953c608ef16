"""In-app notifications with unread counts; the overdue job (in the app, once across workers,
and from the command line)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import func, select, update

from server.core.db import Database, utcnow
from server.workorders import jobs, notifications, service
from server.workorders.models import JobRun, Notification, WorkOrder, WorkOrderOverdue
from tests.conftest import make_client
from tests.workorder_helpers import World, api_headers, build_world, signed_in


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


async def issue(database: Database, world: World, code: str = "Z1-SE-1") -> uuid.UUID:
    async with database.session() as db:
        return (await service.issue_order(db, world.users["super"], [world.defects[code]])).id


async def unread(database: Database, world: World, user: str) -> notifications.Unread:
    async with database.session(write=False) as db:
        return await notifications.unread_counts(db, world.users[user].id)


async def make_late(database: Database, order_id: uuid.UUID) -> None:
    async with database.session() as db:
        await db.execute(update(WorkOrder).where(WorkOrder.id == order_id).values(due_at=utcnow() - dt.timedelta(hours=1)))


async def test_new_returned_and_completed_orders_are_announced(database: Database, world: World) -> None:
    order_id = await issue(database, world)
    for user in ("alpha1", "alpha2"):
        counts = await unread(database, world, user)
        assert (counts.total, counts.by_kind["new"]) == (1, 1)
    assert (await unread(database, world, "beta1")).total == 0  # another company hears nothing
    assert (await unread(database, world, "super")).total == 0

    async with database.session() as db:
        await notifications.mark_read(db, world.users["alpha1"].id, order_id)
    assert (await unread(database, world, "alpha1")).total == 0
    assert (await unread(database, world, "alpha2")).total == 1  # read is per user

    from tests.test_workorders_lifecycle import take

    for action in ("accept", "start", "complete"):
        await take(database, world, order_id, action)
    assert (await unread(database, world, "super")).by_kind["completed"] == 1
    await take(database, world, order_id, "return")
    assert (await unread(database, world, "alpha1")).by_kind["returned"] == 1


async def test_the_overdue_job_announces_each_lapse_once(database: Database, world: World) -> None:
    late = await issue(database, world)
    on_time = await issue(database, world, "Z2-SE-1")
    await make_late(database, late)
    first = await jobs.run_overdue(database, force=True)
    async with database.session(write=False) as db:
        code = (await db.get(WorkOrder, late)).code  # type: ignore[union-attr]
    assert first == [code]
    assert await jobs.run_overdue(database, force=True) == []  # already announced
    counts = await unread(database, world, "alpha1")
    assert counts.by_kind["overdue"] == 1
    assert (await unread(database, world, "super")).by_kind["overdue"] == 1
    # A new due date that lapses again is announced again.
    async with database.session() as db:
        await service.change_due(db, world.users["super"], late, utcnow() + dt.timedelta(days=1), "more time")
    await make_late(database, late)
    assert await jobs.run_overdue(database, force=True) == [code]
    async with database.session(write=False) as db:
        assert await db.scalar(select(func.count()).select_from(WorkOrderOverdue)) == 2
        assert await db.get(WorkOrder, on_time) is not None


async def test_finished_orders_are_never_overdue(database: Database, world: World) -> None:
    order_id = await issue(database, world)
    async with database.session() as db:
        await service.transition(db, world.users["super"], order_id, "cancel", reason="duplicate")
    await make_late(database, order_id)
    assert await jobs.run_overdue(database, force=True) == []


async def test_the_job_runs_once_across_workers(database: Database, world: World) -> None:
    late = await issue(database, world)
    await make_late(database, late)
    workers = [Database.connect(database.settings) for _ in range(4)]
    try:
        results = await asyncio.gather(*(jobs.run_overdue(w, hold=dt.timedelta(seconds=30)) for w in workers))
    finally:
        for w in workers:
            await w.dispose()
    ran = [r for r in results if r is not None]
    assert len(ran) == 1 and len(ran[0]) == 1  # one worker took the lock and marked the order
    assert (await unread(database, world, "alpha1")).by_kind["overdue"] == 1
    # The lock holds for the round: another try within it is skipped...
    assert await jobs.run_overdue(database, hold=dt.timedelta(seconds=30)) is None
    # ...and once it has passed, the next round runs.
    async with database.session() as db:
        await db.execute(update(JobRun).values(locked_until=utcnow() - dt.timedelta(seconds=1)))
    assert await jobs.run_overdue(database) == []


async def test_the_command_line_marks_overdue_orders(database_url: str, database: Database, world: World) -> None:
    late = await issue(database, world)
    await make_late(database, late)
    env = {**os.environ, "DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-m", "server", "overdue"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "1 work orders newly overdue: WO-" in out.stdout
    again = subprocess.run([sys.executable, "-m", "server", "overdue"], capture_output=True, text=True, env=env, timeout=120)
    assert "no newly overdue" in again.stdout


async def test_the_app_runs_the_jobs_in_the_background(database: Database, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from litestar import Litestar

    from server.core.workorder_settings import get_workorder_settings

    late = await issue(database, world)
    await make_late(database, late)
    monkeypatch.setenv("JOBS_INTERVAL_S", "0.2")
    get_workorder_settings.cache_clear()
    app = Litestar(route_handlers=[])
    app.state.db = database
    try:
        async with jobs.jobs_lifespan(app):
            for _ in range(100):
                await asyncio.sleep(0.1)
                async with database.session(write=False) as db:
                    if await db.scalar(select(func.count()).select_from(WorkOrderOverdue)):
                        break
    finally:
        get_workorder_settings.cache_clear()
    async with database.session(write=False) as db:
        assert await db.scalar(select(func.count()).select_from(WorkOrderOverdue)) == 1


async def test_unread_counts_and_reading_through_the_api_and_pages(database_url: str, database: Database, world: World) -> None:
    order_id = await issue(database, world)
    async with make_client(database_url) as client:
        await signed_in(client, "alpha1")
        mine = (await client.get("/api/notifications")).json()
        assert mine["unread"] == 1 and mine["unread_by_kind"]["new"] == 1
        assert mine["notifications"][0]["work_order"]["id"] == str(order_id)
        home = await client.get("/contractor")
        assert 'data-unread="1"' in home.text
        page = await client.get("/contractor/notifications")
        assert page.status_code == 200 and "unread" in page.text
        assert (await client.get(f"/contractor/orders/{order_id}")).status_code == 200  # opening it reads it
        assert (await client.get("/api/notifications")).json()["unread"] == 0
    async with make_client(database_url) as client:
        await signed_in(client, "alpha2")
        answer = await client.post("/api/notifications/read", headers=api_headers(client), json={})
        assert answer.json() == {"marked": 1}
    async with database.session(write=False) as db:
        assert await db.scalar(select(func.count()).select_from(Notification).where(Notification.read_at.is_(None))) == 0
