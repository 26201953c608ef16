"""The missed-rounds job: each round of a schedule that ended with assets not inspected
in it is marked once (a `missed_rounds` row), announced to the supervisors (a
`round_alerts` row each) and audited. Emergency rounds past their hours and still open
alert the supervisors once too.

It runs in every app worker's job loop (server/workorders/jobs.py) and from the command
line (`fieldcheck rounds-missed`) under the same lock row as the overdue job's, so one
caller marks each round: the rest skip, and the (schedule, round start) unique key stops
a forced CLI run racing a worker from marking twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.assets.models import Asset
from server.core.audit.service import record_event
from server.core.db import Database, utcnow
from server.inspections.models import Inspection
from server.rounds import due
from server.rounds.models import EmergencyRound, MissedRound, RoundAlert, RoundSchedule
from server.rounds.service import site_timezone
from server.sites.models import UserSite, Zone

MISSED_JOB = "rounds_missed"
# How far back the job looks for ended rounds (a month's round is found within a month).
LOOKBACK_DAYS = 35


async def _supervisors(db: AsyncSession, site_id: uuid.UUID) -> list[uuid.UUID]:
    """The active supervisors of the site (an alert goes to those who work there only)."""
    return list((await db.execute(select(User.id).join(UserSite, UserSite.user_id == User.id).where(
        User.role == "supervisor", User.active.is_(True), UserSite.site_id == site_id))).scalars())


async def mark_missed(db: AsyncSession, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Mark every ended round not marked yet that missed assets; what was marked."""
    now = now or utcnow()
    marked: list[dict[str, Any]] = []
    for site_id in (await db.execute(select(Zone.site_id).distinct())).scalars():
        zones = {z.id: z.code for z in (await db.execute(select(Zone).where(Zone.site_id == site_id))).scalars()}
        tz = await site_timezone(db, list(zones))
        today = due.local(now, tz)[0]
        rows = list((await db.execute(select(RoundSchedule).where(RoundSchedule.site_id == site_id))).scalars())
        versions: dict[tuple[uuid.UUID, str], list[RoundSchedule]] = {}
        for schedule_row in rows:
            versions.setdefault((schedule_row.zone_id, schedule_row.category), []).append(schedule_row)
        done_rounds = {(m.schedule_id, m.round_start) for m in (await db.execute(
            select(MissedRound).where(MissedRound.zone_id.in_(list(zones))))).scalars()}
        for (zone_id, category), group in versions.items():
            by_id = {str(v.id): v for v in group}
            ended = due.rounds_between([v.as_data() for v in group], today - dt.timedelta(days=LOOKBACK_DAYS),
                                       today - dt.timedelta(days=1))
            for version, start, end in ended:
                schedule = by_id[version["id"]]
                if (schedule.id, start) in done_rounds:
                    continue
                missed, count = await _missed_assets(db, zone_id, category, start, end, version.get("window"), tz)
                if not missed:
                    continue
                row = MissedRound(schedule_id=schedule.id, zone_id=zone_id, category=category, round_start=start,
                                  round_end=end, due=count, done=count - len(missed),
                                  missed_asset_ids=[str(a) for a in missed], marked_at=now)
                db.add(row)
                await db.flush()
                db.add_all(RoundAlert(user_id=u, kind="missed", missed_round_id=row.id, created_at=now)
                           for u in await _supervisors(db, site_id))
                facts = {"zone": zones[zone_id], "category": category, "round_start": start.isoformat(),
                         "round_end": end.isoformat(), "due": count, "missed": len(missed)}
                await record_event(db, None, "round.missed", "missed_round", str(row.id), details=facts)
                marked.append(facts)
    await _late_emergencies(db, now)
    await db.flush()
    return marked


async def _missed_assets(db: AsyncSession, zone_id: uuid.UUID, category: str, start: dt.date, end: dt.date,
                         window: dict[str, str] | None, tz: str) -> tuple[list[uuid.UUID], int]:
    assets = list((await db.execute(select(Asset.id).where(Asset.zone_id == zone_id, Asset.category == category,
                                                          Asset.active.is_(True)).order_by(Asset.code))).scalars())
    if not assets:
        return [], 0
    lo = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    hi = dt.datetime.combine(end + dt.timedelta(days=2), dt.time(), dt.timezone.utc)
    done: set[uuid.UUID] = set()
    for asset_id, at in await db.execute(select(Inspection.asset_id, Inspection.observed_at).where(
            Inspection.asset_id.in_(assets), Inspection.observed_at >= lo, Inspection.observed_at < hi)):
        day, time = due.local(at, tz)
        if start <= day <= end and due.counts_for(window, time):
            done.add(asset_id)
    return [a for a in assets if a not in done], len(assets)


async def _late_emergencies(db: AsyncSession, now: dt.datetime) -> None:
    """Alert once about each open emergency round past its hours."""
    late = (await db.execute(select(EmergencyRound).where(EmergencyRound.closed_at.is_(None),
                                                          EmergencyRound.due_at < now))).scalars()
    for em in late:
        told = await db.execute(select(RoundAlert.id).where(RoundAlert.emergency_round_id == em.id).limit(1))
        if told.first() is None:
            db.add_all(RoundAlert(user_id=u, kind="emergency_late", emergency_round_id=em.id, created_at=now)
                       for u in await _supervisors(db, em.site_id))


async def run_missed(database: Database, *, force: bool = False, hold: dt.timedelta | None = None) -> list[dict[str, Any]] | None:
    """One round of the job under its lock; None when another worker has it."""
    from server.workorders.jobs import _finish, take_lock
    from server.core.workorder_settings import get_workorder_settings

    interval = get_workorder_settings().jobs_interval_s
    if not await take_lock(database, MISSED_JOB, hold or dt.timedelta(seconds=max(interval * 0.9, 1.0)), force=force):
        return None
    for attempt in range(2):
        try:
            async with database.session(write=True) as db:
                marked = await mark_missed(db)
            break
        except IntegrityError:  # a forced run raced a worker on the same round: look again
            if attempt:
                raise
    await _finish(database, MISSED_JOB, {"marked": len(marked)})
    return marked


def cli_missed(force: bool = True) -> int:
    """`fieldcheck rounds-missed`: mark the rounds that ended with assets not inspected."""
    from server.core.config import get_settings

    async def run() -> list[dict[str, Any]] | None:
        database = Database.connect(get_settings().db)
        try:
            return await run_missed(database, force=force, hold=dt.timedelta(seconds=60))
        finally:
            await database.dispose()

    marked = asyncio.run(run())
    if marked is None:
        print("another worker is marking missed rounds right now; nothing done")
    elif not marked:
        print("no newly missed rounds")
    else:
        for m in marked:
            print(f"missed: {m['zone']} {m['category']} {m['round_start']}..{m['round_end']}: "
                  f"{m['missed']} of {m['due']} assets not inspected")
    return 0
