"""The weekly report (/reports/week/YYYY-Www, its CSV and PDF, `fieldcheck report week`).

An ISO week of the site's days (Monday to Sunday, Asia/Shanghai for the demo). Per
inspector: assets inspected (distinct), inspections, defects raised (opened by their
inspections), rounds due and done (schedule adherence of the rounds that ended in the
week, server/rounds/service.py), and distance walked — the ground distance between the
GPS positions of their consecutive records, day by day (a night's gap is not walked).
Per contractor: orders completed in the week, of those on time (by their due time) and
late, and orders still open whose due time passed in the week (late too).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.assets.models import Asset
from server.contractors.models import Contract, ContractZone, Contractor
from server.core.csvfile import csv_bytes
from server.defects.models import Defect
from server.core.errors import AppError
from server.core.i18n import translate
from server.inspections.models import Inspection
from server.rounds.due import local_minute
from server.rounds.service import adherence_plan, count_adherence, epoch_seconds, raw_id, site_timezone
from server.sites.models import Zone
from server.core.geo import distance_m
from server.workorders.models import WorkOrder, WorkOrderDefect

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str) -> dt.date:
    """The Monday of an ISO week "2026-W47", or 422 `bad_week`."""
    match = WEEK.match(text or "")
    try:
        if match is None:
            raise ValueError(text)
        return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise AppError("bad_week", field="week") from None


def week_name(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class InspectorRow:
    user_id: uuid.UUID
    name: str
    assets: int = 0
    inspections: int = 0
    defects: int = 0
    rounds_due: int = 0
    rounds_done: int = 0
    distance_m: float = 0.0


@dataclass
class ContractorRow:
    code: str
    name: str
    done: int = 0
    on_time: int = 0
    late: int = 0
    open_late: int = 0


@dataclass
class WeekReport:
    week: str
    first: dt.date
    last: dt.date
    timezone: str
    inspectors: list[InspectorRow] = field(default_factory=list)
    contractors: list[ContractorRow] = field(default_factory=list)


async def week_report(db: AsyncSession, monday: dt.date, site_id: uuid.UUID | None = None) -> WeekReport:
    """The figures of the ISO week starting on `monday` (site days): of one site's zones, in
    its time zone, when `site_id` is given (the web pages: the current site)."""
    site_zones = select(Zone.id).where(Zone.site_id == site_id)
    tz = await site_timezone(db, list((await db.execute(site_zones)).scalars()) if site_id else None)
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(monday, dt.time(), zone).astimezone(dt.timezone.utc)
    hi = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), zone).astimezone(dt.timezone.utc)
    report = WeekReport(week_name(monday), monday, monday + dt.timedelta(days=6), tz)
    people: dict[uuid.UUID, InspectorRow] = {
        uid: InspectorRow(uid, name) for uid, name in await db.execute(
            select(User.id, User.display_name).where(User.role == "inspector").order_by(User.username))}
    # The week's inspections and those adherence needs (a few days around it), read once as
    # raw rows: ids as the driver gives them, a UUID only per inspector.
    plan = await adherence_plan(db, monday, monday + dt.timedelta(days=6), site_id=site_id)
    read_lo, read_hi = (lo, hi) if plan.lo is None or plan.hi is None else (min(lo, plan.lo), max(hi, plan.hi))
    # Not dict(result): a Result has keys(), so dict() would take it for a mapping.
    user_ids = {raw: uid for raw, uid in await db.execute(select(raw_id(User.id), User.id))}  # noqa: C416
    # Core rows, not ORM ones; the assets as one map rather than a join per inspection; times
    # as seconds since the epoch (server/rounds/service.py epoch_seconds).
    conn = await db.connection()
    asset_rows = select(raw_id(Asset.id), raw_id(Asset.zone_id), Asset.category, Asset.active)
    by_asset = {raw: (zone_id, category, active) for raw, zone_id, category, active in await conn.execute(
        asset_rows.where(Asset.zone_id.in_(site_zones)) if site_id else asset_rows)}
    rows = await conn.execute(
        select(raw_id(Inspection.inspector_id), raw_id(Inspection.asset_id), epoch_seconds(Inspection.observed_at),
               Inspection.lat, Inspection.lon)
        .where(Inspection.observed_at >= read_lo, Inspection.observed_at < read_hi)
        .order_by(Inspection.inspector_id, Inspection.observed_at, Inspection.id))
    lo_s, hi_s = lo.timestamp(), hi.timestamp()
    plan_lo = plan.lo.timestamp() if plan.lo is not None else None
    plan_hi = plan.hi.timestamp() if plan.hi is not None else None
    assets: dict[uuid.UUID, set[object]] = {}
    counted: list[tuple[Any, Any, str, float, Any]] = []
    current: Any = None
    row: InspectorRow | None = None
    found: set[object] = set()
    before: tuple[int, float, float] | None = None
    for raw_who, asset_id, at, lat, lon in rows:
        asset = by_asset.get(asset_id)
        if asset is None and site_id:
            continue
        if asset is not None and plan_lo is not None and asset[2] and plan_lo <= at < plan_hi:
            counted.append((asset_id, asset[0], asset[1], at, raw_who))
        if not lo_s <= at < hi_s:
            continue
        if row is None or raw_who != current:  # rows come inspector by inspector
            current = raw_who
            who = user_ids.get(raw_who) or uuid.UUID(str(raw_who))
            row = people.get(who) or people.setdefault(who, InspectorRow(who, str(who)))
            found = assets.setdefault(who, set())
            before = None
        row.inspections += 1
        found.add(asset_id)
        if lat is None or lon is None:
            continue
        day = local_minute(at, tz) // 1440
        if before is not None and before[0] == day:
            row.distance_m += distance_m(before[1], before[2], lat, lon)
        before = (day, lat, lon)
    for who, found in assets.items():
        people[who].assets = len(found)
    raised = await db.execute(
        select(Inspection.inspector_id, Defect.id).join(Inspection, Inspection.id == Defect.opened_by_inspection_id)
        .where(Defect.opened_at >= lo, Defect.opened_at < hi, *([Defect.zone_id.in_(site_zones)] if site_id else [])))
    for who, _ in raised:
        people.setdefault(who, InspectorRow(who, str(who))).defects += 1
    kept = count_adherence(plan, counted) if plan.lo is not None else plan.report
    for who, figure in kept.by_inspector.items():
        row = people.setdefault(who, InspectorRow(who, kept.inspector_names.get(who, str(who))))
        row.rounds_due, row.rounds_done = figure.due, figure.done
    report.inspectors = list(people.values())

    # A site's contractors are those with a contract in its zones; its orders those of defects
    # in its zones (an order has no site of its own).
    contractors = select(Contractor).order_by(Contractor.code)
    in_site: list[Any] = []
    if site_id:
        contractors = contractors.where(Contractor.id.in_(
            select(Contract.contractor_id).join(ContractZone, ContractZone.contract_id == Contract.id)
            .where(ContractZone.zone_id.in_(site_zones))))
        in_site = [exists(select(1).select_from(WorkOrderDefect).join(Defect, Defect.id == WorkOrderDefect.defect_id)
                          .where(WorkOrderDefect.work_order_id == WorkOrder.id, Defect.zone_id.in_(site_zones)))]
    companies = {c.id: ContractorRow(c.code, c.name) for c in (await db.execute(contractors)).scalars()}
    orders = await db.execute(
        select(WorkOrder.contractor_id, WorkOrder.completed_at, WorkOrder.due_at)
        .where(((WorkOrder.completed_at >= lo) & (WorkOrder.completed_at < hi))
               | ((WorkOrder.due_at >= lo) & (WorkOrder.due_at < hi) & WorkOrder.completed_at.is_(None)
                  & WorkOrder.status.notin_(("cancelled",))), *in_site))
    for contractor_id, completed_at, due_at in orders:
        company = companies.get(contractor_id)
        if company is None:
            continue
        if completed_at is not None:
            company.done += 1
            if completed_at <= due_at:
                company.on_time += 1
            else:
                company.late += 1
        else:
            company.open_late += 1
    report.contractors = list(companies.values())
    return report


CSV_HEADER = ("week", "section", "code", "name", "assets_inspected", "inspections", "defects_raised", "rounds_due",
              "rounds_done", "distance_walked_m", "orders_done", "on_time", "late", "open_past_due")


def to_csv(r: WeekReport) -> bytes:
    """One table: a row per inspector then per contractor (`section`), blanks where a figure
    is not theirs."""
    rows: list[list[Any]] = [
        [r.week, "inspector", "", p.name, p.assets, p.inspections, p.defects, p.rounds_due, p.rounds_done,
         round(p.distance_m), "", "", "", ""] for p in r.inspectors]
    rows += [[r.week, "contractor", c.code, c.name, "", "", "", "", "", "", c.done, c.on_time, c.late, c.open_late]
             for c in r.contractors]
    return csv_bytes(CSV_HEADER, rows)


def _both(key: str) -> str:
    return f"{translate('zh', key)} {translate('en', key)}"


def to_pdf(r: WeekReport) -> bytes:
    """The report on A4, in Chinese and English (the monthly report's CJK font)."""
    from fpdf import FPDF

    from server.scoring.pdf import FONT, NoCjkFont, find_cjk_font

    try:
        regular, bold, index = find_cjk_font()
    except NoCjkFont:
        raise AppError("pdf_unavailable") from None
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(FONT, "", regular, collection_font_number=index)
    pdf.add_font(FONT, "B", bold or regular, collection_font_number=index)
    pdf.set_title(f"fieldcheck {r.week}")
    pdf.add_page()
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 9, f"{_both('report.title')} · {r.week}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 6, f"{r.first.isoformat()} – {r.last.isoformat()} ({r.timezone})", new_x="LMARGIN", new_y="NEXT")
    for heading, header, body in (
        ("report.inspectors", ["report.inspector", "report.assets", "report.inspections", "report.defects",
                               "report.rounds_due", "report.rounds_done", "report.distance_m"],
         [[p.name, p.assets, p.inspections, p.defects, p.rounds_due, p.rounds_done, round(p.distance_m)]
          for p in r.inspectors]),
        ("report.contractors", ["report.contractor", "report.orders_done", "report.on_time", "report.late",
                                "report.open_late"],
         [[f"{c.code} {c.name}", c.done, c.on_time, c.late, c.open_late] for c in r.contractors]),
    ):
        pdf.ln(3)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 7, _both(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 8)
        with pdf.table(first_row_as_headings=True) as table:
            head = table.row()
            for key in header:
                head.cell(translate("zh", key) + "\n" + translate("en", key))
            for values in body:
                line = table.row()
                for v in values:
                    line.cell(str(v))
    return bytes(pdf.output())


def cli_week(week: str, site: str | None = None) -> int:
    """`fieldcheck report week 2026-W47 [--site CODE]`: print one site's week as CSV (the only
    site when there is one; several need `--site`)."""
    import asyncio
    import sys

    from server.core.config import get_settings
    from server.core.db import Database
    from server.sites.models import Site

    try:
        monday = parse_week(week)
    except AppError:
        print(f"fieldcheck: not an ISO week (YYYY-Www): {week!r}", file=sys.stderr)
        return 2

    async def run() -> bytes | str:
        database = Database.connect(get_settings().db)
        try:
            async with database.session(write=False) as db:
                sites = dict((await db.execute(select(Site.code, Site.id).order_by(Site.code))).all())
                if site is not None and site not in sites:
                    return f"no site {site!r}; sites: {', '.join(sites) or 'none'}"
                if site is None and len(sites) > 1:
                    return f"several sites: choose one with --site ({', '.join(sites)})"
                chosen = sites[site] if site is not None else next(iter(sites.values()), None)
                return to_csv(await week_report(db, monday, site_id=chosen))
        finally:
            await database.dispose()

    answer = asyncio.run(run())
    if isinstance(answer, str):
        print(f"fieldcheck: {answer}", file=sys.stderr)
        return 2
    sys.stdout.write(answer.decode("utf-8-sig"))
    return 0
