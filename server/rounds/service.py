"""Rounds on the server: schedule versions, the bundle's `rounds` section, due lists,
emergency rounds and schedule adherence (docs/rounds.md). The day arithmetic is
server/rounds/due.py's, the same as the phone's."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, String, func, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.accounts.models import User, UserZone
from server.assets.models import Asset
from server.core.audit.service import record_event
from server.core.db import utcnow
from server.core.errors import AppError
from server.inspections.models import Inspection
from server.rounds import due
from server.rounds.models import SCHEDULE_KINDS, EmergencyRound, RoundSchedule
from server.sites.models import Site, Zone

# The phone gets the inspections of this many days back: enough for the longest round
# (a month, 31 days) to be judged from the bundle alone.
INSPECTIONS_LOOKBACK_DAYS = 62
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


async def site_timezone(db: AsyncSession, zone_ids: Iterable[uuid.UUID] | None = None) -> str:
    """The time zone of the site the zones are in (the first site when none are given)."""
    query = select(Site.timezone).order_by(Site.code).limit(1)
    ids = list(zone_ids or [])
    if ids:
        query = select(Site.timezone).join(Zone, Zone.site_id == Site.id).where(Zone.id.in_(ids)).order_by(Site.code).limit(1)
    return (await db.execute(query)).scalar() or "Asia/Shanghai"


def local_today(now: dt.datetime, timezone: str) -> dt.date:
    return due.local(now, timezone)[0]


# -- schedules -------------------------------------------------------------------------------------


@dataclass
class ScheduleForm:
    """A new schedule version as typed on /supervise/rounds (every value a string)."""

    zone: str = ""
    category: str = ""
    kind: str = ""
    every_days: str = ""
    weekdays: tuple[str, ...] = ()
    day_of_month: str = ""
    window_from: str = ""
    window_to: str = ""
    effective_from: str = ""


def _int(value: str, field: str, low: int, high: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise AppError("out_of_range", key="rounds.out_of_range", field=field, min=low, max=high)
    return number


async def add_schedule(db: AsyncSession, user: CurrentUser, form: ScheduleForm, categories: Iterable[str]) -> RoundSchedule:
    """Validate and store a new schedule version (a change is always a new version); audited."""
    try:
        zone_id = uuid.UUID(form.zone)
    except ValueError:
        zone_id = None
    zone = await db.get(Zone, zone_id) if zone_id else None
    if zone is None or zone.site_id != user.site_id:  # another site's zone: as unknown
        raise AppError("unknown_choice", key="rounds.unknown_zone", field="zone")
    if form.category not in set(categories):
        raise AppError("unknown_category", key="rounds.unknown_category", field="category")
    if form.kind not in SCHEDULE_KINDS:
        raise AppError("unknown_kind", key="rounds.unknown_kind", field="kind")
    try:
        effective = dt.date.fromisoformat(form.effective_from.strip())
    except ValueError:
        raise AppError("bad_day", field="effective_from") from None
    row = RoundSchedule(site_id=zone.site_id, zone_id=zone.id, category=form.category, kind=form.kind,
                        effective_from=effective, created_by=user.id, created_at=utcnow())
    if form.kind == "every_days":
        row.every_days = _int(form.every_days, "every_days", 1, 366)
    elif form.kind == "weekdays":
        days = sorted({_int(d, "weekdays", 1, 7) for d in form.weekdays})
        if not days:
            raise AppError("no_weekdays", field="weekdays")
        row.weekdays = days
    elif form.kind == "monthly":
        row.day_of_month = _int(form.day_of_month, "day_of_month", 1, 31)
    start, end = form.window_from.strip(), form.window_to.strip()
    if start or end:
        for value, field in ((start, "window_from"), (end, "window_to")):
            if not HHMM.match(value):
                raise AppError("bad_time", key="rounds.bad_time", field=field)
        if start >= end:
            raise AppError("bad_window", field="window_to")
        row.window_from, row.window_to = start, end
    taken = await db.execute(select(RoundSchedule.id).where(
        RoundSchedule.zone_id == zone.id, RoundSchedule.category == form.category,
        RoundSchedule.effective_from == effective))
    if taken.first() is not None:
        raise AppError("version_exists", field="effective_from")
    db.add(row)
    await db.flush()
    await record_event(db, user.id, "round_schedule.created", "round_schedule", str(row.id), details=row.as_data())
    return row


async def schedules(db: AsyncSession, zone_ids: Iterable[uuid.UUID] | None = None) -> list[RoundSchedule]:
    """Every schedule version (of these zones), oldest first."""
    query = select(RoundSchedule).order_by(RoundSchedule.zone_id, RoundSchedule.category, RoundSchedule.effective_from)
    if zone_ids is not None:
        query = query.where(RoundSchedule.zone_id.in_(list(zone_ids)))
    return list((await db.execute(query)).scalars())


# -- emergency rounds ------------------------------------------------------------------------------


async def open_emergencies(db: AsyncSession, zone_ids: Iterable[uuid.UUID] | None = None) -> list[EmergencyRound]:
    rows = list((await db.execute(select(EmergencyRound).where(EmergencyRound.closed_at.is_(None))
                                  .order_by(EmergencyRound.started_at))).scalars())
    if zone_ids is None:
        return rows
    wanted = {str(z) for z in zone_ids}
    return [e for e in rows if wanted & set(e.zone_ids)]


async def start_emergency(db: AsyncSession, user: CurrentUser, zones: list[str], categories: list[str], hours: str,
                          reason: str, known_categories: Iterable[str]) -> EmergencyRound:
    """Start an emergency round over `zones` (and `categories`; none = all); audited."""
    ids = []
    for z in zones:
        try:
            ids.append(uuid.UUID(z))
        except ValueError:
            raise AppError("unknown_choice", key="rounds.unknown_zone", field="zones") from None
    found = list((await db.execute(select(Zone).where(Zone.id.in_(ids), Zone.site_id == user.site_id)))
                 .scalars()) if ids else []  # the current site's zones only
    if not ids or len(found) != len(set(ids)):
        raise AppError("unknown_choice", key="rounds.unknown_zone", field="zones")
    if not set(categories) <= set(known_categories):
        raise AppError("unknown_category", key="rounds.unknown_category", field="categories")
    span = _int(hours, "hours", 1, 168)
    reason = reason.strip()
    if not reason:
        raise AppError("reason_required", key="rounds.reason_required", field="reason")
    now = utcnow()
    row = EmergencyRound(site_id=found[0].site_id, reason=reason[:500], zone_ids=sorted(str(i) for i in set(ids)),
                         categories=sorted(set(categories)), hours=span, started_at=now,
                         due_at=now + dt.timedelta(hours=span), started_by=user.id)
    db.add(row)
    await db.flush()
    await record_event(db, user.id, "emergency_round.started", "emergency_round", str(row.id), details=row.as_data())
    return row


@dataclass
class EmergencyAsset:
    id: uuid.UUID
    code: str
    name: str
    zone_code: str
    category: str
    lat: float
    lon: float
    done_at: dt.datetime | None
    done_by: str | None


async def emergency_progress(db: AsyncSession, em: EmergencyRound) -> list[EmergencyAsset]:
    """Every asset the emergency round covers, with its first inspection since the start."""
    query = (select(Asset, Zone.code).join(Zone, Zone.id == Asset.zone_id)
             .where(Asset.active.is_(True), Asset.zone_id.in_([uuid.UUID(z) for z in em.zone_ids])).order_by(Asset.code))
    if em.categories:
        query = query.where(Asset.category.in_(em.categories))
    rows = (await db.execute(query)).all()
    until = em.closed_at or utcnow()
    first: dict[uuid.UUID, tuple[dt.datetime, str]] = {}
    if rows:
        found = await db.execute(
            select(Inspection.asset_id, Inspection.observed_at, User.display_name)
            .join(User, User.id == Inspection.inspector_id)
            .where(Inspection.asset_id.in_([a.id for a, _ in rows]), Inspection.observed_at >= em.started_at,
                   Inspection.observed_at <= until)
            .order_by(Inspection.observed_at))
        for asset_id, at, who in found:
            first.setdefault(asset_id, (at, who))
    return [EmergencyAsset(a.id, a.code, a.name, code, a.category, a.lat, a.lon,
                           *(first.get(a.id) or (None, None))) for a, code in rows]


async def close_emergency(db: AsyncSession, user: CurrentUser, em: EmergencyRound) -> dict[str, Any]:
    """Close the round with its summary (counts, who did how many, what was not reached)."""
    if em.closed_at is not None:
        raise AppError("already_closed", field="id")
    progress = await emergency_progress(db, em)
    now = utcnow()
    by_inspector: dict[str, int] = {}
    late = 0
    for a in progress:
        if a.done_by:
            by_inspector[a.done_by] = by_inspector.get(a.done_by, 0) + 1
            if a.done_at and a.done_at > em.due_at:
                late += 1
    summary = {
        "assets": len(progress), "done": sum(1 for a in progress if a.done_at), "late": late,
        "not_done": [a.code for a in progress if a.done_at is None],
        "by_inspector": dict(sorted(by_inspector.items())), "closed_at": now.isoformat(),
    }
    em.closed_at, em.closed_by, em.summary = now, user.id, summary
    await record_event(db, user.id, "emergency_round.closed", "emergency_round", str(em.id), details=summary)
    return summary


# -- what the phone needs, and the due list ------------------------------------------------------


async def rounds_section(db: AsyncSession, zone_ids: list[uuid.UUID], now: dt.datetime) -> dict[str, Any]:
    """The bundle's `rounds` section: the site's time zone, the schedule versions and open
    emergency rounds of the zones, and their inspections of the last weeks (asset, time)."""
    tz = await site_timezone(db, zone_ids)
    since = now - dt.timedelta(days=INSPECTIONS_LOOKBACK_DAYS)
    seen = await db.execute(
        select(Inspection.asset_id, Inspection.observed_at).join(Asset, Asset.id == Inspection.asset_id)
        .where(Asset.zone_id.in_(zone_ids), Inspection.observed_at >= since).order_by(Inspection.observed_at))
    return {
        "timezone": tz,
        "schedules": [s.as_data() for s in await schedules(db, zone_ids)],
        "emergencies": [e.as_data() for e in await open_emergencies(db, zone_ids)],
        "inspections": [{"asset_id": str(a), "observed_at": at.isoformat()} for a, at in seen],
    }


async def due_for(db: AsyncSession, zone_ids: list[uuid.UUID], now: dt.datetime,
                  position: Mapping[str, float] | None) -> dict[str, Any]:
    """The due list of these zones, computed here exactly as the phone computes it."""
    section = await rounds_section(db, zone_ids, now)
    assets = (await db.execute(select(Asset).where(Asset.zone_id.in_(zone_ids), Asset.active.is_(True)))).scalars()
    data = {**section, "now": now.isoformat(), "position": dict(position) if position else None,
            "assets": [{"id": str(a.id), "zone_id": str(a.zone_id), "category": a.category, "code": a.code,
                        "lat": a.lat, "lon": a.lon} for a in assets]}
    return due.due_list(data)


async def user_zone_ids(db: AsyncSession, user: CurrentUser) -> list[uuid.UUID]:
    """An inspector's zones of the current site; every zone of the current site for the other roles."""
    query = select(Zone.id).where(Zone.site_id == user.site_id)
    if user.role == "inspector":
        query = query.join(UserZone, UserZone.zone_id == Zone.id).where(UserZone.user_id == user.id)
    return list((await db.execute(query)).scalars())


# -- adherence -------------------------------------------------------------------------------------


@dataclass
class Adherence:
    """Of the due inspections of the rounds that ended in a period, how many were done in their round."""

    due: int = 0
    done: int = 0

    @property
    def share(self) -> float | None:
        return self.done / self.due if self.due else None


@dataclass
class AdherenceReport:
    by_zone: dict[uuid.UUID, Adherence]
    by_inspector: dict[uuid.UUID, Adherence]
    zone_codes: dict[uuid.UUID, str]
    inspector_names: dict[uuid.UUID, str]

    def zone_rows(self) -> list[tuple[str, Adherence]]:
        return sorted(((self.zone_codes.get(k, str(k)), v) for k, v in self.by_zone.items()), key=lambda r: r[0])

    def inspector_rows(self) -> list[tuple[str, Adherence]]:
        return sorted(((self.inspector_names.get(k, str(k)), v) for k, v in self.by_inspector.items()), key=lambda r: r[0])


@dataclass
class AdherencePlan:
    """What adherence needs before the inspections are read: the rounds that ended in the
    period per (zone, category), how many active assets each has, who covers each zone, and
    the instants to read the inspections between (`lo` None: nothing to count). Ids are
    kept as the driver gives them (`raw`), mapped back to UUIDs only for the figures."""

    report: AdherenceReport
    timezone: str
    rounds: dict[tuple[Any, str], list[tuple[Mapping[str, str] | None, dt.date, dt.date]]]
    assets: dict[tuple[Any, str], int]
    zone_ids: dict[Any, uuid.UUID]
    covering: dict[Any, list[tuple[Any, uuid.UUID]]]
    lo: dt.datetime | None = None
    hi: dt.datetime | None = None


def raw_id(column: Any) -> Any:
    """A UUID column as the driver gives it (no UUID object per row)."""
    return type_coerce(column, String).label(None)


class epoch_seconds(FunctionElement[float]):
    """A timestamp column as seconds since 1970-01-01 UTC, a float computed by the database
    (no datetime object per row): `extract(epoch …)` on PostgreSQL, `julianday` on SQLite,
    whose timestamps are UTC text."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_default(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


async def adherence_plan(db: AsyncSession, first: dt.date, last: dt.date, *,
                         site_id: uuid.UUID | None = None) -> AdherencePlan:
    """Everything of `adherence` except the inspections (see `count_adherence`)."""
    zones = (await db.execute(select(Zone.id, raw_id(Zone.id), Zone.code).where(Zone.site_id == site_id)
                              if site_id else select(Zone.id, raw_id(Zone.id), Zone.code))).all()
    tz = await site_timezone(db, [z for z, _, _ in zones])
    zone_ids = {raw: z for z, raw, _ in zones}
    plan = AdherencePlan(AdherenceReport({}, {}, {z: code for z, _, code in zones}, {}), tz, {}, {}, zone_ids, {})
    versions: dict[tuple[uuid.UUID, str], list[dict[str, Any]]] = {}
    for s in await schedules(db, [z for z, _, _ in zones]):
        versions.setdefault((s.zone_id, s.category), []).append(s.as_data())
    if not versions:
        return plan
    for raw_user, user_id, raw_zone, name in await db.execute(
            select(raw_id(UserZone.user_id), UserZone.user_id, raw_id(UserZone.zone_id), User.display_name)
            .join(User, User.id == UserZone.user_id).where(User.role == "inspector", User.active.is_(True))):
        plan.covering.setdefault(raw_zone, []).append((raw_user, user_id))
        plan.report.inspector_names[user_id] = name
    raw_of = {z: raw for raw, z in zone_ids.items()}
    for (zone_id, category), v in versions.items():
        plan.rounds[(raw_of[zone_id], category)] = [(version.get("window"), start, end) for version, start, end
                                                    in due.rounds_between(v, first, last)]
    earliest = min((start for rounds in plan.rounds.values() for _, start, _ in rounds), default=None)
    if earliest is None:
        return plan
    for raw_zone, category, count in await db.execute(
            select(raw_id(Asset.zone_id), Asset.category, func.count()).where(
                Asset.active.is_(True), Asset.zone_id.in_([z for z, _ in versions]))
            .group_by(Asset.zone_id, Asset.category)):
        plan.assets[(raw_zone, category)] = count
    # Inspections from the day before the first round (UTC vs local) to the day after the last.
    plan.lo = dt.datetime.combine(earliest - dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    plan.hi = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(), dt.timezone.utc)
    return plan


def count_adherence(plan: AdherencePlan, rows: Iterable[tuple[Any, Any, str, float, Any]]) -> AdherenceReport:
    """The figures from the inspections (raw asset id, raw zone id, category, observed at in
    seconds since the epoch, raw inspector id) of active assets read between `plan.lo` and
    `plan.hi`: an asset is done in a round when anyone inspected it in the round (in its
    window); for an inspector, when they themselves did. One pass over the inspections, not
    over every asset."""
    report, tz = plan.report, plan.timezone
    done: set[tuple[Any, Any, str, int]] = set()
    done_by: set[tuple[Any, Any, Any, str, int]] = set()
    epoch_day = dt.date(1970, 1, 1).toordinal()
    rounds_of = {key: [(window, start.toordinal() - epoch_day, end.toordinal() - epoch_day)
                       for window, start, end in rounds] for key, rounds in plan.rounds.items()}
    for asset_id, zone, category, at, who in rows:
        rounds = rounds_of.get((zone, category))
        if not rounds:
            continue
        minute = due.local_minute(at, tz)
        day = minute // 1440
        for index, (window, start, end) in enumerate(rounds):
            if start <= day <= end and (not window or due.counts_for(
                    window, f"{minute % 1440 // 60:02d}:{minute % 60:02d}")):
                done.add((asset_id, zone, category, index))
                done_by.add((who, asset_id, zone, category, index))
    zone_done: dict[Any, int] = {}
    for _, zone, _, _ in done:
        zone_done[zone] = zone_done.get(zone, 0) + 1
    person_done: dict[tuple[Any, Any], int] = {}
    for who, _, zone, _, _ in done_by:
        person_done[(who, zone)] = person_done.get((who, zone), 0) + 1
    for (zone, category), planned in plan.rounds.items():
        zone_figure = report.by_zone.setdefault(plan.zone_ids[zone], Adherence())
        due_here = len(planned) * plan.assets.get((zone, category), 0)
        if not due_here:
            continue
        zone_figure.due += due_here
        for _, user_id in plan.covering.get(zone, []):
            report.by_inspector.setdefault(user_id, Adherence()).due += due_here
    for zone, figure in zone_done.items():
        report.by_zone[plan.zone_ids[zone]].done += figure
    covered = {(raw_user, zone): user_id for zone, people in plan.covering.items() for raw_user, user_id in people}
    for key, figure in person_done.items():
        inspector_id = covered.get(key)
        if inspector_id is not None:
            report.by_inspector[inspector_id].done += figure
    return report


def adherence_query(plan: AdherencePlan) -> Any:
    """The inspections `count_adherence` needs, read as raw rows."""
    return (select(raw_id(Inspection.asset_id), raw_id(Asset.zone_id), Asset.category, epoch_seconds(Inspection.observed_at),
                   raw_id(Inspection.inspector_id)).join(Asset, Asset.id == Inspection.asset_id)
            .where(Inspection.observed_at >= plan.lo, Inspection.observed_at < plan.hi, Asset.active.is_(True)))


async def adherence(db: AsyncSession, first: dt.date, last: dt.date, *, site_id: uuid.UUID | None = None) -> AdherenceReport:
    """Schedule adherence of the rounds that ended between `first` and `last` (site days):
    per zone, each active asset due in a round counts once and is done when anyone
    inspected it in the round (in its window); per inspector, the rounds of the zones they
    cover, done when they themselves inspected the asset in it."""
    plan = await adherence_plan(db, first, last, site_id=site_id)
    if plan.lo is None:
        return plan.report
    return count_adherence(plan, await db.execute(adherence_query(plan)))
