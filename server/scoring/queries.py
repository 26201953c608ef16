"""The SQL side of scoring: a month boiled down to plain rows, aggregated in the database.

The heavy part is "the latest inspection of each asset in the month": the month's inspections
ranked per asset in one pass, outer-joined to the register. The figures need only its sums
per (zone, category) place, so they come back as one aggregate row per place; the evidence
and a closing read one row per asset.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, case, cast, false, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.assets.models import Asset
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.defects.models import Defect
from server.inspections.models import ClauseResult, Inspection
from server.scoring.figures import AssetRow, AssetTally, MonthData, OrderRow, Ref, VetoRow
from server.scoring.months import Month
from server.scoring.rules import Veto
from server.sites.models import Site, Zone
from server.workorders.models import WorkOrder, WorkOrderDefect
from standards import StandardsSet
from standards.model import NoStandardInForce


def _id(value: Any) -> str:
    """An id as canonical UUID text, however the driver handed it over (hex text on SQLite)."""
    if isinstance(value, str):
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}" if len(value) == 32 else value
    return str(value)


def _raw(column: Any) -> Any:
    """A UUID column read as text, without building UUID objects (100,000 of them, and hashing
    them as dict keys, cost a noticeable share of a big month): SQLite's stored hex, or
    PostgreSQL's canonical text (cast in the database: asyncpg would otherwise decode every
    uuid into an object); `_id` turns the value into the usual text."""
    return cast(column, String)


async def find_site(db: AsyncSession, code: str | None = None) -> Site | None:
    """The site named `code`, or (no code) the first site by code: most deployments have one."""
    query = select(Site).order_by(Site.code).limit(1)
    if code:
        query = select(Site).where(Site.code == code)
    return (await db.execute(query)).scalar_one_or_none()


def _standard_labels(standards: StandardsSet, month: Month) -> list[tuple[str, Mapping[str, str]]]:
    try:
        standard = standards.for_date(month.last_day)
    except NoStandardInForce:
        standard = standards.versions[0]
    return [(key, category.label) for key, category in standard.categories.items()]


async def scope_refs(db: AsyncSession, site: Site, month: Month,
                     standards: StandardsSet) -> tuple[list[Ref], list[Ref], list[Ref]]:
    """The zones, contractors and categories of the site, as the month's tables list them.

    A contractor is listed when it has a contract on the site's zones; its scope holds the
    zones × categories of its contracts running at some point in the month.
    """
    zones = [
        Ref("zone", z.code, z.name_zh, z.name_en, str(z.id))
        for z in (await db.execute(select(Zone).where(Zone.site_id == site.id).order_by(Zone.code))).scalars()
    ]
    rows = await db.execute(
        select(Contractor.id, Contractor.code, Contractor.name, Contract.starts_on, Contract.ends_on,
               ContractZone.zone_id, ContractCategory.category)
        .join(Contract, Contract.contractor_id == Contractor.id)
        .join(ContractZone, ContractZone.contract_id == Contract.id)
        .join(ContractCategory, ContractCategory.contract_id == Contract.id)
        .join(Zone, Zone.id == ContractZone.zone_id)
        .where(Zone.site_id == site.id)
    )
    names: dict[str, tuple[str, str]] = {}
    places: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for cid, code, name, starts, ends, zone_id, category in rows:
        names[str(cid)] = (code, name)
        if starts <= month.last_day and (ends is None or ends >= month.first_day):
            places[str(cid)].add((str(zone_id), category))
    contractors = sorted(
        (Ref("contractor", code, name, name, cid, frozenset(places[cid])) for cid, (code, name) in names.items()),
        key=lambda r: r.code,
    )
    labels = _standard_labels(standards, month)
    known = {key for key, _ in labels}
    extra = (await db.execute(
        select(Asset.category).join(Zone, Zone.id == Asset.zone_id).where(Zone.site_id == site.id).distinct()
    )).scalars()
    categories = [Ref("category", key, label["zh"], label["en"]) for key, label in labels]
    categories += [Ref("category", key, key, key) for key in sorted(set(extra) - known)]
    return zones, contractors, categories


def _asset_filter(ref: Ref | None) -> list[ColumnElement[bool]]:
    """Narrow the assets to one scope (trends read one scope at a time)."""
    if ref is None or ref.kind == "site":
        return []
    if ref.kind == "zone":
        return [Asset.zone_id == uuid.UUID(ref.id)]
    if ref.kind == "category":
        return [Asset.category == ref.code]
    if not ref.places:
        return [false()]
    return [or_(*(and_(Asset.zone_id == uuid.UUID(z), Asset.category == c) for z, c in sorted(ref.places)))]


def _order_filter(ref: Ref | None) -> list[ColumnElement[bool]]:
    if ref is None or ref.kind == "site":
        return []
    if ref.kind == "zone":
        return [Defect.zone_id == uuid.UUID(ref.id)]
    if ref.kind == "category":
        return [Defect.category == ref.code]
    return [WorkOrder.contractor_id == uuid.UUID(ref.id)]


def _latest_of_month(start: dt.datetime, end: dt.datetime) -> Any:
    """Each asset's latest inspection of the month, with how many it had (a subquery).

    The month's inspections in one pass, ranked per asset: the latest (observed last; then
    received last, then the larger id) with how many there were. Its clause counts are the
    ones sync stored on it; a row stored without them (None) has its clause results counted
    instead (see `_clause_count`)."""
    ranked = (
        select(Inspection.asset_id.label("asset_id"), Inspection.id.label("id"), Inspection.verdict,
               Inspection.standards_version, Inspection.clause_passes, Inspection.clause_exempts,
               Inspection.clause_fails, func.count().over(partition_by=Inspection.asset_id).label("n"),
               func.row_number().over(partition_by=Inspection.asset_id, order_by=(
                   Inspection.observed_at.desc(), Inspection.received_at.desc(), Inspection.id.desc())).label("rank"))
        .where(Inspection.observed_at >= start, Inspection.observed_at < end,
               Inspection.kind == "inspection")  # a hazard report is not an inspection
        .subquery()  # every asset's; the join with the register keeps the register's
    )
    return select(ranked).where(ranked.c.rank == 1).subquery()


def _clause_count(latest: Any, stored: Any, result: str) -> Any:
    """The stored count, or (None: stored without counts) the clause results counted
    (COALESCE evaluates that subquery only then)."""
    counted = (select(func.count()).select_from(ClauseResult)
               .where(ClauseResult.inspection_id == latest.c.id, ClauseResult.result == result).scalar_subquery())
    return func.coalesce(stored, counted)


def _register(site: Site, end: dt.datetime, only: Ref | None) -> list[ColumnElement[bool]]:
    """The month's register: the assets active now and created before the month's end (the
    asset table keeps no history of its active flag; a closed month keeps its own copy)."""
    return [Zone.site_id == site.id, Asset.active.is_(True), Asset.created_at < end, *_asset_filter(only)]


async def asset_rows(db: AsyncSession, site: Site, start: dt.datetime, end: dt.datetime,
                     only: Ref | None = None) -> list[AssetRow]:
    """One row per asset in the month's register, with its latest inspection of the month
    (the evidence and the frozen copy of a closed month; the figures alone need only
    `place_tallies`)."""
    conn = await db.connection()  # plain Core rows: no ORM bookkeeping for 10,000s of tuples
    latest = _latest_of_month(start, end)
    found = await conn.execute(
        select(_raw(Asset.id), _raw(Asset.zone_id), Asset.category, latest.c.n, _raw(latest.c.id), latest.c.verdict,
               latest.c.standards_version, _clause_count(latest, latest.c.clause_passes, "pass"),
               _clause_count(latest, latest.c.clause_exempts, "exempt"),
               _clause_count(latest, latest.c.clause_fails, "fail"))
        .select_from(Zone)
        .join(Asset, Asset.zone_id == Zone.id)
        .outerjoin(latest, latest.c.asset_id == Asset.id)
        .where(*_register(site, end, only))
    )
    rows = []
    for asset_id, zone_id, category, n, inspection_id, verdict, version, passes, exempts, fails in found.all():
        if n is None:
            rows.append(AssetRow(_id(asset_id), _id(zone_id), category))
        else:
            rows.append(AssetRow(_id(asset_id), _id(zone_id), category, int(n), _id(inspection_id), verdict,
                                 int(passes or 0), int(exempts or 0), int(fails or 0), version))
    rows.sort(key=lambda r: r.asset_id)
    return rows


async def place_tallies(db: AsyncSession, site: Site, start: dt.datetime, end: dt.datetime,
                        only: Ref | None = None) -> dict[tuple[str, str], AssetTally]:
    """The register's assets summed in the database per (zone id, category): what the month's
    figures are made of, in one aggregate query of some hundred rows instead of one row per
    asset. The same sums as `AssetTally.of(asset_rows(...))` place by place."""
    conn = await db.connection()
    found = await conn.execute(place_tallies_query(site, start, end, only))
    return {
        (_id(zone_id), category): AssetTally(int(assets), int(inspected), int(compliant), int(non_compliant),
                                             int(passes), int(exempts), int(fails), int(inspections))
        for zone_id, category, assets, inspected, inspections, compliant, non_compliant, passes, exempts, fails
        in found.all()
    }


def place_tallies_query(site: Site, start: dt.datetime, end: dt.datetime, only: Ref | None = None) -> Any:
    """The aggregate query of `place_tallies` (EXPLAIN it with this)."""
    latest = _latest_of_month(start, end)

    def total(value: Any) -> Any:
        return func.coalesce(func.sum(value), 0)

    def verdicts(verdict: str) -> Any:
        return total(case((latest.c.verdict == verdict, 1), else_=0))

    return (
        select(_raw(Asset.zone_id), Asset.category, func.count(), func.count(latest.c.id), total(latest.c.n),
               verdicts("compliant"), verdicts("non_compliant"),
               total(_clause_count(latest, latest.c.clause_passes, "pass")),
               total(_clause_count(latest, latest.c.clause_exempts, "exempt")),
               total(_clause_count(latest, latest.c.clause_fails, "fail")))
        .select_from(Zone)
        .join(Asset, Asset.zone_id == Zone.id)
        .outerjoin(latest, latest.c.asset_id == Asset.id)
        .where(*_register(site, end, only))
        .group_by(Asset.zone_id, Asset.category)
    )


async def order_rows(db: AsyncSession, site: Site, start: dt.datetime, end: dt.datetime,
                     only: Ref | None = None) -> list[OrderRow]:
    """The work orders due in the month on the site, each with the places of its defects."""
    conn = await db.connection()
    rows = await conn.execute(
        select(_raw(WorkOrder.id), _raw(WorkOrder.contractor_id), WorkOrder.status, WorkOrder.due_at,
               WorkOrder.completed_at, _raw(Defect.zone_id), Defect.category)
        .join(WorkOrderDefect, WorkOrderDefect.work_order_id == WorkOrder.id)
        .join(Defect, Defect.id == WorkOrderDefect.defect_id)
        .join(Zone, Zone.id == Defect.zone_id)
        .where(Zone.site_id == site.id, WorkOrder.due_at >= start, WorkOrder.due_at < end, *_order_filter(only))
        .distinct()
    )
    orders: dict[Any, tuple[Any, ...]] = {}
    places: dict[Any, set[tuple[str, str]]] = defaultdict(set)
    for order_id, contractor_id, status, due, completed, zone_id, category in rows.all():
        orders[order_id] = (contractor_id, status, due, completed)
        places[order_id].add((_id(zone_id), category))
    return sorted(
        (OrderRow(_id(oid), _id(c), s, due, done, tuple(sorted(places[oid]))) for oid, (c, s, due, done) in orders.items()),
        key=lambda o: (o.due_at, o.order_id),
    )


async def veto_rows(db: AsyncSession, site: Site, start: dt.datetime, end: dt.datetime, veto: Veto | None,
                    now: dt.datetime) -> list[VetoRow]:
    """The safety defects the veto names that were still not closed past their due time at some
    moment of the month (up to `now`, for a month still running). Dismissed ones never count."""
    if veto is None:
        return []
    until = min(end, now)
    conn = await db.connection()
    rows = await conn.execute(
        select(_raw(Defect.id), _raw(Defect.zone_id), Defect.category, Defect.clause_id, Defect.severity,
               Defect.respond_by, Defect.closed_at)
        .join(Zone, Zone.id == Defect.zone_id)
        .where(Zone.site_id == site.id, Defect.status != "dismissed", Defect.respond_by < until,
               or_(Defect.closed_at.is_(None), Defect.closed_at > start),
               or_(Defect.clause_id.in_(sorted(veto.clauses)), Defect.severity.in_(sorted(veto.severities))))
    )
    out = []
    for defect_id, zone_id, category, clause_id, severity, due, closed in rows.all():
        # Past due inside the month: still open at some instant after both its due time and the month's start.
        if closed is None or closed > max(due, start):
            out.append(VetoRow(_id(defect_id), _id(zone_id), category, clause_id, severity, due, closed))
    return sorted(out, key=lambda v: (v.respond_by, v.defect_id))


async def load_month(db: AsyncSession, site: Site, month: Month, standards: StandardsSet, now: dt.datetime,
                     only: Ref | None = None, refs: tuple[list[Ref], list[Ref], list[Ref]] | None = None,
                     veto: Veto | None = None, rows: bool = True) -> MonthData:
    """Everything the month's figures need, read in one transaction: with one row per asset
    (`rows`: for the evidence and a closing) or only each place's sums (enough for figures)."""
    tz = ZoneInfo(site.timezone)
    start, end = month.bounds(tz)
    if db.get_bind().dialect.name == "postgresql":
        # asyncpg prepares every statement, and after five runs PostgreSQL may switch to a
        # generic plan made without the month's bounds: for a year's trend that plan took
        # 17-22 s a month instead of 0.1 s (the city's 2 M inspections). Plan each for its own.
        await db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    zones, contractors, categories = refs or await scope_refs(db, site, month, standards)
    return MonthData(
        month=str(month),
        site=Ref("site", site.code, site.name_zh, site.name_en, str(site.id)),
        zones=zones, contractors=contractors, categories=categories,
        assets=await asset_rows(db, site, start, end, only) if rows else [],
        tallies=None if rows else await place_tallies(db, site, start, end, only),
        orders=await order_rows(db, site, start, end, only),
        now=now, month_over=now >= end,
        vetoes=await veto_rows(db, site, start, end, veto, now),
    )


# -- evidence and the map: details of the rows behind a figure --------------------------------

@dataclass(frozen=True)
class AssetDetail:
    id: str
    code: str
    name: str
    zone_code: str
    category: str


@dataclass(frozen=True)
class InspectionDetail:
    id: str
    observed_at: dt.datetime
    inspector: str
    verdict: str
    standards_version: str
    failed: tuple[str, ...]


@dataclass(frozen=True)
class OrderDetail:
    id: str
    code: str
    contractor_code: str
    status: str
    issued_at: dt.datetime
    due_at: dt.datetime
    completed_at: dt.datetime | None


def _uuids(ids: list[str]) -> list[uuid.UUID]:
    return [uuid.UUID(i) for i in ids]


async def asset_details(db: AsyncSession, ids: list[str]) -> dict[str, AssetDetail]:
    out: dict[str, AssetDetail] = {}
    for chunk in _chunks(ids):
        rows = await db.execute(
            select(Asset.id, Asset.code, Asset.name, Zone.code, Asset.category)
            .join(Zone, Zone.id == Asset.zone_id).where(Asset.id.in_(_uuids(chunk)))
        )
        for aid, code, name, zone_code, category in rows:
            out[str(aid)] = AssetDetail(str(aid), code, name, zone_code, category)
    return out


async def inspection_details(db: AsyncSession, ids: list[str]) -> dict[str, InspectionDetail]:
    out: dict[str, InspectionDetail] = {}
    for chunk in _chunks(ids):
        keys = _uuids(chunk)
        failed: dict[uuid.UUID, list[str]] = defaultdict(list)
        for iid, clause in await db.execute(
            select(ClauseResult.inspection_id, ClauseResult.clause_id)
            .where(ClauseResult.inspection_id.in_(keys), ClauseResult.result == "fail")
            .order_by(ClauseResult.clause_id)
        ):
            failed[iid].append(clause)
        rows = await db.execute(
            select(Inspection.id, Inspection.observed_at, User.display_name, Inspection.verdict,
                   Inspection.standards_version)
            .join(User, User.id == Inspection.inspector_id).where(Inspection.id.in_(keys))
        )
        for iid, observed, who, verdict, version in rows:
            out[str(iid)] = InspectionDetail(str(iid), observed, who, verdict, version, tuple(failed[iid]))
    return out


async def order_details(db: AsyncSession, ids: list[str]) -> dict[str, OrderDetail]:
    out: dict[str, OrderDetail] = {}
    for chunk in _chunks(ids):
        rows = await db.execute(
            select(WorkOrder.id, WorkOrder.code, Contractor.code, WorkOrder.status, WorkOrder.issued_at,
                   WorkOrder.due_at, WorkOrder.completed_at)
            .join(Contractor, Contractor.id == WorkOrder.contractor_id).where(WorkOrder.id.in_(_uuids(chunk)))
        )
        for oid, code, contractor, status, issued, due, completed in rows:
            out[str(oid)] = OrderDetail(str(oid), code, contractor, status, issued, due, completed)
    return out


async def month_inspections(db: AsyncSession, asset_ids: list[str], start: dt.datetime,
                            end: dt.datetime) -> dict[str, list[InspectionDetail]]:
    """Every inspection of these assets in the month, newest first (the coverage evidence)."""
    out: dict[str, list[InspectionDetail]] = defaultdict(list)
    for chunk in _chunks(asset_ids):
        rows = await db.execute(
            select(Inspection.asset_id, Inspection.id, Inspection.observed_at, User.display_name,
                   Inspection.verdict, Inspection.standards_version)
            .join(User, User.id == Inspection.inspector_id)
            .where(Inspection.asset_id.in_(_uuids(chunk)), Inspection.observed_at >= start,
                   Inspection.observed_at < end, Inspection.kind == "inspection")
            .order_by(Inspection.observed_at.desc())
        )
        for aid, iid, observed, who, verdict, version in rows:
            out[str(aid)].append(InspectionDetail(str(iid), observed, who, verdict, version, ()))
    return out


@dataclass(frozen=True)
class MapZone:
    code: str
    name_zh: str
    name_en: str
    rings: list[list[tuple[float, float]]]   # (lon, lat) rings of the outline


@dataclass(frozen=True)
class MapDefect:
    lon: float
    lat: float
    severity: str
    status: str
    zone_id: str
    category: str


async def map_zones(db: AsyncSession, site: Site) -> list[MapZone]:
    """Zone outlines as (lon, lat) rings (Polygon or MultiPolygon GeoJSON)."""
    zones = []
    for zone in (await db.execute(select(Zone).where(Zone.site_id == site.id).order_by(Zone.code))).scalars():
        geometry = zone.outline or {}
        polygons = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        rings = [[(float(x), float(y)) for x, y, *_ in ring] for polygon in polygons for ring in polygon]
        zones.append(MapZone(zone.code, zone.name_zh, zone.name_en, rings))
    return zones


async def month_defects(db: AsyncSession, site: Site, start: dt.datetime, end: dt.datetime) -> list[MapDefect]:
    """The defects found in the month (opened in it), wherever they stand now."""
    rows = await db.execute(
        select(Defect.lon, Defect.lat, Defect.severity, Defect.status, Defect.zone_id, Defect.category)
        .join(Zone, Zone.id == Defect.zone_id)
        .where(Zone.site_id == site.id, Defect.opened_at >= start, Defect.opened_at < end)
        .order_by(Defect.opened_at)
    )
    return [MapDefect(lon, lat, sev, status, str(zone), cat) for lon, lat, sev, status, zone, cat in rows]


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]
