"""Read-side queries about assets for the inspector's pages and the QR label sheet.

Everything an inspector may see is limited to the zones they cover
(`server.assets.service.zone_scope`: a set of zone ids, None for every zone); an asset
outside them reads as absent, so its page is a 404 like an unknown id.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.assets.models import Asset
from server.defects.models import ACTIVE_STATUSES, Defect
from server.inspections.models import ClauseResult, Inspection
from server.sites.models import Zone
from server.core.geo import distance_m
from standards import Standard

FINDER_LIMIT = 50  # a starting list; the phone searches all it downloaded, nearest first
Zones = Set[uuid.UUID] | None


@dataclass(frozen=True)
class AssetRow:
    """One line of the asset finder (also the shape the phone keeps offline)."""

    id: uuid.UUID
    zone_code: str
    category: str
    code: str
    name: str
    lat: float
    lon: float
    qr_token: str


@dataclass(frozen=True)
class FinderResult:
    assets: list[AssetRow]
    total: int


@dataclass(frozen=True)
class AssetDetail:
    id: uuid.UUID
    zone_id: uuid.UUID
    zone_code: str
    zone_name_zh: str
    zone_name_en: str
    category: str
    code: str
    name: str
    lat: float
    lon: float
    qr_token: str
    active: bool


@dataclass(frozen=True)
class AssetInspection:
    id: uuid.UUID
    observed_at: dt.datetime
    inspector: str
    verdict: str
    failed_clauses: tuple[str, ...]
    inspector_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AssetDefect:
    id: uuid.UUID
    clause_id: str
    severity: str
    status: str
    opened_at: dt.datetime


@dataclass(frozen=True)
class ZoneLabel:
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str


def _in_zones(query: Any, zone_ids: Zones) -> Any:
    """`query` limited to assets of `zone_ids` (None: every zone)."""
    return query if zone_ids is None else query.where(Asset.zone_id.in_(zone_ids))


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_assets(db: AsyncSession, zone_ids: Zones, q: str = "", *, limit: int = FINDER_LIMIT) -> FinderResult:
    """Active assets in `zone_ids` whose code or name contains `q` (any case), by code."""
    query = _in_zones(select(Asset, Zone.code).join(Zone, Zone.id == Asset.zone_id).where(Asset.active.is_(True)), zone_ids)
    q = q.strip()
    if q:
        pattern = _like_pattern(q)
        query = query.where(or_(Asset.code.ilike(pattern, escape="\\"), Asset.name.ilike(pattern, escape="\\")))
    total = await db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await db.execute(query.order_by(Asset.code).limit(limit))
    assets = [AssetRow(a.id, zone, a.category, a.code, a.name, a.lat, a.lon, a.qr_token) for a, zone in rows]
    return FinderResult(assets, total)


@dataclass(frozen=True)
class NearAsset:
    """An asset of the finder with its distance on the ground from the phone, in metres."""

    id: uuid.UUID
    zone_code: str
    category: str
    code: str
    name: str
    lat: float
    lon: float
    distance_m: float


async def nearest_assets(
    db: AsyncSession, zone_ids: Zones, lat: float, lon: float, q: str = "", *, limit: int = FINDER_LIMIT
) -> tuple[list[NearAsset], int]:
    """Active assets in `zone_ids` (matching `q` by code or name) nearest `lat`, `lon` first,
    over all of them, and how many match. The database orders by the squared equirectangular
    distance (plain arithmetic: the same SQL on SQLite and PostgreSQL, and at a park's scale
    the same order as on the sphere); the distances shown are computed exactly."""
    query = _in_zones(select(Asset, Zone.code).join(Zone, Zone.id == Asset.zone_id).where(Asset.active.is_(True)), zone_ids)
    q = q.strip()
    if q:
        pattern = _like_pattern(q)
        query = query.where(or_(Asset.code.ilike(pattern, escape="\\"), Asset.name.ilike(pattern, escape="\\")))
    total = await db.scalar(select(func.count()).select_from(query.subquery())) or 0
    shrink = math.cos(math.radians(lat))  # a degree of longitude is this much of one of latitude
    d_lat, d_lon = Asset.lat - lat, (Asset.lon - lon) * shrink
    rows = await db.execute(query.order_by(d_lat * d_lat + d_lon * d_lon, Asset.code).limit(limit))
    found = [NearAsset(a.id, zone, a.category, a.code, a.name, a.lat, a.lon, round(distance_m(lat, lon, a.lat, a.lon), 1))
             for a, zone in rows]
    return found, total


async def asset_detail(db: AsyncSession, asset_id: uuid.UUID, zone_ids: Zones) -> AssetDetail | None:
    """One asset of `zone_ids`, with its zone's code and names; None otherwise."""
    query = select(Asset, Zone).join(Zone, Zone.id == Asset.zone_id).where(Asset.id == asset_id)
    row = (await db.execute(_in_zones(query, zone_ids))).first()
    if row is None:
        return None
    a, z = row
    return AssetDetail(
        a.id, z.id, z.code, z.name_zh, z.name_en, a.category, a.code, a.name, a.lat, a.lon, a.qr_token, a.active
    )


async def asset_summary(db: AsyncSession, asset_id: uuid.UUID, zone_ids: Zones) -> dict[str, Any] | None:
    """One asset in the offline bundle's shape (docs/sync.md §3), or None outside `zone_ids`."""
    asset = await asset_detail(db, asset_id, zone_ids)
    if asset is None:
        return None
    last = await last_inspections_of(db, asset.id, limit=1)
    return {
        "id": str(asset.id), "zone_id": str(asset.zone_id), "category": asset.category, "code": asset.code,
        "name": asset.name, "lat": asset.lat, "lon": asset.lon, "qr_token": asset.qr_token, "active": asset.active,
        "last_inspected_at": last[0].observed_at.isoformat() if last else None,
        "last_verdict": last[0].verdict if last else None,
    }


def clause_labels(standard: Standard) -> dict[str, Mapping[str, str]]:
    """Every clause id of a standards version with its {zh, en} label."""
    return {c.id: c.label for category in standard.categories.values() for c in category.clauses}


async def asset_id_for_qr(db: AsyncSession, token: str, zone_ids: Zones) -> uuid.UUID | None:
    """The asset a QR label names, if it is in `zone_ids`."""
    found: uuid.UUID | None = await db.scalar(_in_zones(select(Asset.id).where(Asset.qr_token == token), zone_ids))
    return found


async def last_inspections_of(db: AsyncSession, asset_id: uuid.UUID, *, limit: int = 5) -> list[AssetInspection]:
    """The asset's latest inspections, newest first, each with the clauses it failed."""
    rows = (
        await db.execute(
            select(Inspection.id, Inspection.observed_at, User.display_name, Inspection.verdict, Inspection.inspector_id)
            .join(User, User.id == Inspection.inspector_id)
            .where(Inspection.asset_id == asset_id)
            .order_by(Inspection.observed_at.desc())
            .limit(limit)
        )
    ).all()
    failed: dict[uuid.UUID, list[str]] = {}
    if rows:
        results = await db.execute(
            select(ClauseResult.inspection_id, ClauseResult.clause_id)
            .where(ClauseResult.inspection_id.in_([r.id for r in rows]), ClauseResult.result == "fail")
            .order_by(ClauseResult.clause_id)
        )
        for inspection_id, clause_id in results:
            failed.setdefault(inspection_id, []).append(clause_id)
    return [
        AssetInspection(r.id, r.observed_at, r.display_name, r.verdict, tuple(failed.get(r.id, ())), r.inspector_id)
        for r in rows
    ]


async def open_defects_of(db: AsyncSession, asset_id: uuid.UUID) -> list[AssetDefect]:
    """The asset's active defects (open, ordered, fixed), oldest first."""
    rows = await db.execute(
        select(Defect)
        .where(Defect.asset_id == asset_id, Defect.status.in_(ACTIVE_STATUSES))
        .order_by(Defect.opened_at, Defect.clause_id)
    )
    return [AssetDefect(d.id, d.clause_id, d.severity, d.status, d.opened_at) for d in rows.scalars()]


async def all_zones(db: AsyncSession) -> list[ZoneLabel]:
    """Every zone, by code (the QR sheet's zone chooser)."""
    rows = await db.scalars(select(Zone).order_by(Zone.code))
    return [ZoneLabel(z.id, z.code, z.name_zh, z.name_en) for z in rows]


async def zone_assets_for_labels(db: AsyncSession, zone_code: str) -> tuple[ZoneLabel, list[AssetRow]] | None:
    """A zone and its active assets by code, for printing QR labels; None if no such zone."""
    zone = await db.scalar(select(Zone).where(Zone.code == zone_code).order_by(Zone.id).limit(1))
    if zone is None:
        return None
    found = await find_assets(db, {zone.id}, limit=10_000)
    return ZoneLabel(zone.id, zone.code, zone.name_zh, zone.name_en), found.assets
