"""Read-side queries about inspections, shaped as plain data for pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User, UserZone
from server.assets.models import Asset
from server.defects.models import ACTIVE_STATUSES, Defect, DefectEvidence
from server.inspections.models import ClauseResult, Inspection, InspectionPhoto
from server.sites.models import Zone


@dataclass(frozen=True)
class ZoneSummary:
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    assets: int
    open_defects: int


@dataclass(frozen=True)
class InspectionRow:
    id: uuid.UUID
    asset_code: str
    asset_name: str
    category: str
    inspector: str
    observed_at: dt.datetime
    verdict: str


async def zones_of_inspector(db: AsyncSession, user_id: uuid.UUID) -> list[ZoneSummary]:
    """The inspector's zones with their active asset and open defect counts."""
    assets = (
        select(Asset.zone_id, func.count().label("n")).where(Asset.active.is_(True)).group_by(Asset.zone_id).subquery()
    )
    defects = (
        select(Defect.zone_id, func.count().label("n"))
        .where(Defect.status.in_(ACTIVE_STATUSES))
        .group_by(Defect.zone_id)
        .subquery()
    )
    rows = await db.execute(
        select(Zone, func.coalesce(assets.c.n, 0), func.coalesce(defects.c.n, 0))
        .join(UserZone, UserZone.zone_id == Zone.id)
        .outerjoin(assets, assets.c.zone_id == Zone.id)
        .outerjoin(defects, defects.c.zone_id == Zone.id)
        .where(UserZone.user_id == user_id)
        .order_by(Zone.code)
    )
    return [ZoneSummary(z.id, z.code, z.name_zh, z.name_en, n_assets, n_defects) for z, n_assets, n_defects in rows]


async def recent_inspections(db: AsyncSession, *, inspector_id: uuid.UUID | None = None, limit: int = 10,
                             site_id: uuid.UUID | None = None) -> list[InspectionRow]:
    """The latest inspections, all or one inspector's (or one site's), newest first."""
    query = (
        select(Inspection, Asset, User.display_name)
        .join(Asset, Asset.id == Inspection.asset_id)
        .join(User, User.id == Inspection.inspector_id)
        .order_by(Inspection.observed_at.desc())
        .limit(limit)
    )
    if inspector_id is not None:
        query = query.where(Inspection.inspector_id == inspector_id)
    if site_id is not None:
        query = query.where(Asset.zone_id.in_(select(Zone.id).where(Zone.site_id == site_id)))
    return [
        InspectionRow(i.id, a.code, a.name, a.category, name, i.observed_at, i.verdict)
        for i, a, name in await db.execute(query)
    ]


@dataclass(frozen=True)
class DamageView:
    """One damage instance as recorded: its type and each measurement, with its photos."""

    index: int
    type: str
    values: dict[str, Any]
    photos: list[str]  # sha256


@dataclass(frozen=True)
class RaisedDefect:
    id: uuid.UUID
    clause_id: str
    severity: str
    status: str


@dataclass(frozen=True)
class InspectionDetail:
    id: uuid.UUID
    asset_id: uuid.UUID
    asset_code: str
    asset_name: str
    category: str
    zone_code: str
    zone_name_zh: str
    zone_name_en: str
    inspector: str
    inspector_id: uuid.UUID
    device_id: str | None
    observed_at: dt.datetime
    received_at: dt.datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    observations: dict[str, Any]
    damages: list[DamageView]
    not_applicable: list[str]
    notes: str
    standards_version: str
    client_standards_version: str | None
    verdict: str
    results: dict[str, str]  # clause id → pass / fail / exempt / n/a / unknown
    photos: list[str]  # the inspection's own photos (not of a damage instance)
    defects: list[RaisedDefect]


async def inspection_detail(
    db: AsyncSession, inspection_id: uuid.UUID, *, inspector_id: uuid.UUID | None = None
) -> InspectionDetail | None:
    """One inspection with everything it recorded; None if there is none (or, with
    `inspector_id`, none of that inspector's)."""
    query = (
        select(Inspection, Asset, Zone, User.display_name)
        .join(Asset, Asset.id == Inspection.asset_id)
        .join(Zone, Zone.id == Asset.zone_id)
        .join(User, User.id == Inspection.inspector_id)
        .where(Inspection.id == inspection_id)
    )
    if inspector_id is not None:
        query = query.where(Inspection.inspector_id == inspector_id)
    row = (await db.execute(query)).first()
    if row is None:
        return None
    i, a, z, inspector = row
    photos = (
        await db.execute(
            select(InspectionPhoto.photo_sha256, InspectionPhoto.damage_index)
            .where(InspectionPhoto.inspection_id == i.id)
            .order_by(InspectionPhoto.ordinal)
        )
    ).all()
    own = [sha for sha, index in photos if index is None]
    by_damage: dict[int, list[str]] = {}
    for sha, index in photos:
        if index is not None:
            by_damage.setdefault(index, []).append(sha)
    damages = [
        DamageView(n, str(d.get("type", "")), {k: v for k, v in d.items() if k not in ("type", "photos")},
                   by_damage.get(n, []))
        for n, d in enumerate(i.damages or [])
    ]
    results = dict(
        (await db.execute(select(ClauseResult.clause_id, ClauseResult.result).where(ClauseResult.inspection_id == i.id))).all()
    )
    defects = (
        await db.execute(
            select(Defect.id, Defect.clause_id, Defect.severity, Defect.status)
            .join(DefectEvidence, DefectEvidence.defect_id == Defect.id)
            .where(DefectEvidence.inspection_id == i.id)
            .order_by(Defect.clause_id)
        )
    ).all()
    return InspectionDetail(
        i.id, a.id, a.code, a.name, a.category, z.code, z.name_zh, z.name_en, inspector, i.inspector_id,
        i.device_id, i.observed_at, i.received_at, i.lat, i.lon, i.accuracy_m, dict(i.observations or {}), damages,
        list(i.not_applicable or []), i.notes or "", i.standards_version, i.client_standards_version, i.verdict,
        results, own, [RaisedDefect(*d) for d in defects],
    )
