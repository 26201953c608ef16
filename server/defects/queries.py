"""Read-side queries about defects for the supervisor's pages."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.devices import device_names
from server.core.identity import CurrentUser
from server.accounts.models import User
from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.contractors.models import Contractor
from server.core.db import utcnow
from server.defects.filters import DefectFilter, defect_scope
from server.workorders.filters import order_scope
from server.defects.models import ACTIVE_STATUSES, SEVERITIES, Defect, DefectEvidence
from server.inspections.models import Inspection, InspectionPhoto
from server.sites.models import Zone
from server.core.geo import distance_m, offset
from server.workorders.models import WorkOrder, WorkOrderDefect


@dataclass(frozen=True)
class ZoneDefects:
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    by_severity: dict[str, int]
    total: int


async def active_defects_by_zone(db: AsyncSession, site_id: uuid.UUID | None) -> list[ZoneDefects]:
    """Every zone of the site with its active (open, ordered, fixed) defects counted per severity."""
    counts: dict[uuid.UUID, dict[str, int]] = {}
    rows = await db.execute(
        select(Defect.zone_id, Defect.severity, func.count())
        .where(Defect.status.in_(ACTIVE_STATUSES))
        .group_by(Defect.zone_id, Defect.severity)
    )
    for zone_id, severity, n in rows:
        counts.setdefault(zone_id, {})[severity] = n
    zones = (await db.execute(select(Zone).where(Zone.site_id == site_id).order_by(Zone.code))).scalars()
    result = []
    for z in zones:
        by_severity = {s: counts.get(z.id, {}).get(s, 0) for s in SEVERITIES}
        result.append(ZoneDefects(z.id, z.code, z.name_zh, z.name_en, by_severity, sum(by_severity.values())))
    return result


# -- the defect map and list ------------------------------------------------------------------

LIST_LIMIT = 200  # the list beside the map; the map itself shows every match
SEVERITY_ORDER = case({s: i for i, s in enumerate(SEVERITIES)}, value=Defect.severity)


@dataclass(frozen=True)
class DefectRow:
    """One defect as the list beside the map shows it."""

    id: uuid.UUID
    zone_id: uuid.UUID
    zone_code: str
    asset_code: str
    asset_name: str
    category: str
    clause_id: str
    severity: str
    status: str
    opened_at: dt.datetime
    respond_by: dt.datetime
    lat: float
    lon: float
    passed: bool
    late: bool


def _row(d: Defect, zone: str, code: str, name: str, now: dt.datetime) -> DefectRow:
    return DefectRow(d.id, d.zone_id, zone, code, name, d.category, d.clause_id, d.severity, d.status, d.opened_at,
                     d.respond_by, d.lat, d.lon, d.passed_inspection_id is not None,
                     d.status == "open" and d.respond_by < now)


def _with_places(query: Any) -> Any:
    return query.join(Asset, Asset.id == Defect.asset_id).join(Zone, Zone.id == Defect.zone_id)


async def defect_list(
    db: AsyncSession, f: DefectFilter, user: CurrentUser, *, limit: int = LIST_LIMIT
) -> tuple[list[DefectRow], int]:
    """The filtered defects, most severe and then newest first, and how many match in all."""
    total = int(await db.scalar(f.apply(select(func.count()).select_from(Defect), user)) or 0)
    rows = await db.execute(
        f.apply(_with_places(select(Defect, Zone.code, Asset.code, Asset.name)), user)
        .order_by(SEVERITY_ORDER, Defect.opened_at.desc(), Defect.id)
        .limit(limit)
    )
    now = utcnow()
    return [_row(d, zone, code, name, now) for d, zone, code, name in rows], total


async def defects_by_ids(db: AsyncSession, ids: list[uuid.UUID], user: CurrentUser) -> list[DefectRow]:
    """These defects (those the user may see), most severe first."""
    if not ids:
        return []
    rows = await db.execute(
        _with_places(select(Defect, Zone.code, Asset.code, Asset.name))
        .where(Defect.id.in_(ids), defect_scope(user))
        .order_by(SEVERITY_ORDER, Asset.code, Defect.clause_id)
    )
    now = utcnow()
    return [_row(d, zone, code, name, now) for d, zone, code, name in rows]


@dataclass(frozen=True)
class FilterChoices:
    """What the filter form offers."""

    zones: list[tuple[str, str, str]]  # code, name_zh, name_en
    contractors: list[tuple[str, str]]  # code, name


async def filter_choices(db: AsyncSession, site_id: uuid.UUID | None) -> FilterChoices:
    """The zones of the site and every contractor, for the filter forms."""
    zone_rows = (await db.execute(select(Zone).where(Zone.site_id == site_id).order_by(Zone.code))).scalars()
    zones = [(z.code, z.name_zh, z.name_en) for z in zone_rows]
    contractors = [(c, n) for c, n in await db.execute(select(Contractor.code, Contractor.name).order_by(Contractor.code))]
    return FilterChoices(zones, contractors)


# -- one defect -------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvidenceRow:
    inspection_id: uuid.UUID
    observed_at: dt.datetime
    inspector: str
    verdict: str
    photos: list[str]  # sha256


@dataclass(frozen=True)
class OrderRef:
    id: uuid.UUID
    code: str
    status: str
    contractor: str
    issued_at: dt.datetime


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    action: str
    who: str | None
    device_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class DefectDetail:
    row: DefectRow
    zone_name_zh: str
    zone_name_en: str
    dismissed_reason: str | None
    closed_at: dt.datetime | None
    evidence: list[EvidenceRow]
    orders: list[OrderRef]
    history: list[HistoryRow]


async def defect_detail(db: AsyncSession, defect_id: uuid.UUID, user: CurrentUser) -> DefectDetail | None:
    """One defect with its evidence (and their photos), its orders and its history; None if
    there is none the user may see."""
    found = (
        await db.execute(
            select(Defect, Asset.code, Asset.name, Zone)
            .join(Asset, Asset.id == Defect.asset_id)
            .join(Zone, Zone.id == Defect.zone_id)
            .where(Defect.id == defect_id, defect_scope(user))
        )
    ).first()
    if found is None:
        return None
    d, code, name, zone = found
    row = _row(d, zone.code, code, name, utcnow())
    return DefectDetail(row, zone.name_zh, zone.name_en, d.dismissed_reason, d.closed_at,
                        await evidence_of(db, [d.id]), await _orders_of(db, d.id, user),
                        await history_of(db, "defect", [str(d.id)]))


async def evidence_of(db: AsyncSession, defect_ids: list[uuid.UUID]) -> list[EvidenceRow]:
    """The inspections that saw these defects failing, newest first, with their photos."""
    rows = (
        await db.execute(
            select(Inspection.id, Inspection.observed_at, User.display_name, Inspection.verdict)
            .join(DefectEvidence, DefectEvidence.inspection_id == Inspection.id)
            .join(User, User.id == Inspection.inspector_id)
            .where(DefectEvidence.defect_id.in_(defect_ids))
            .order_by(Inspection.observed_at.desc())
        )
    ).all()
    ids = list(dict.fromkeys(r[0] for r in rows))
    photos: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    if ids:
        for iid, sha in await db.execute(
            select(InspectionPhoto.inspection_id, InspectionPhoto.photo_sha256)
            .where(InspectionPhoto.inspection_id.in_(ids)).order_by(InspectionPhoto.ordinal)
        ):
            photos[iid].append(sha)
    seen: set[uuid.UUID] = set()
    result = []
    for iid, observed, who, verdict in rows:
        if iid not in seen:
            seen.add(iid)
            result.append(EvidenceRow(iid, observed, who, verdict, photos[iid]))
    return result


async def _orders_of(db: AsyncSession, defect_id: uuid.UUID, user: CurrentUser) -> list[OrderRef]:
    rows = await db.execute(
        select(WorkOrder.id, WorkOrder.code, WorkOrder.status, Contractor.name, WorkOrder.issued_at)
        .join(WorkOrderDefect, WorkOrderDefect.work_order_id == WorkOrder.id)
        .join(Contractor, Contractor.id == WorkOrder.contractor_id)
        .where(WorkOrderDefect.defect_id == defect_id, order_scope(user))
        .order_by(WorkOrder.issued_at.desc())
    )
    return [OrderRef(*r) for r in rows]


async def history_of(db: AsyncSession, entity_type: str, entity_ids: list[str], limit: int = 200) -> list[HistoryRow]:
    """The audit trail of these records, oldest first: who, when, from which device, what."""
    rows = await db.execute(
        select(AuditEvent.at, AuditEvent.action, User.display_name, AuditEvent.device_id, AuditEvent.details)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(entity_ids))
        .order_by(AuditEvent.at, AuditEvent.id)
        .limit(limit)
    )
    found = rows.all()
    names = await device_names(db, (device for _, _, _, device, _ in found))
    return [HistoryRow(at, action, who, names.get(device, device) if device else device, details or {})
            for at, action, who, device, details in found]


async def nearby_open_defects(
    db: AsyncSession, lat: float, lon: float, category: str, radius_m: float
) -> list[tuple[uuid.UUID, str, float]]:
    """Active defects of `category` within `radius_m` metres: likely duplicates (id, clause, metres)."""
    north, east = offset(lat, lon, radius_m, radius_m)
    south, west = offset(lat, lon, -radius_m, -radius_m)
    rows = await db.execute(
        select(Defect.id, Defect.clause_id, Defect.lat, Defect.lon)
        .where(Defect.category == category, Defect.status.in_(ACTIVE_STATUSES),
               Defect.lat.between(south, north), Defect.lon.between(west, east))
    )
    near = [(i, c, distance_m(lat, lon, la, lo)) for i, c, la, lo in rows]
    return sorted((n for n in near if n[2] <= radius_m), key=lambda n: n[2])
