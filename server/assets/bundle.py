"""The offline bundle (docs/sync.md §3): what a phone stores to find and inspect the assets
of its user's zones with no network, and the same data around one point for a phone that
has not downloaded it.

The phone warns of likely duplicates (a new asset next to one of the same category, a failing
clause next to an open defect of the same clause) from this data alone, so online and
offline give the same answer: the bundle carries the distance that counts
(`DUPLICATE_DISTANCE_M`) and each open defect's category and position; `nearby_slice` is the
part of the bundle within that distance of a point, in the same shapes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar.serialization import encode_json  # the encoder the bundle's route answers with
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.assets.models import Asset
from server.assets.service import zone_scope
from server.core.audit.models import AuditEvent
from server.defects.models import ACTIVE_STATUSES, Defect
from server.inspections.models import Inspection
from server.rounds.service import rounds_section
from server.sites.models import Zone
from server.core.geo import distance_m, offset
from standards import StandardsSet

# Changes are looked for a little before `since`: a transaction that began before the
# last bundle was made may have committed after it. The phone stores by id, so overlap is harmless.
SINCE_OVERLAP = dt.timedelta(minutes=2)
# The asset pages are one shell page filled on the phone from the stored assets (the service
# worker serves it for every /inspect/assets/<id>), not one stored page per asset.
INSPECTOR_PAGES = ("/inspect", "/inspect/assets", "/inspect/assets/new", "/inspect/outbox", "/inspect/assets/shell",
                   "/inspect/hazard")


@dataclass
class BundleZone:
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    outline: dict[str, Any]


@dataclass
class BundleAsset:
    id: uuid.UUID
    zone_id: uuid.UUID
    category: str
    code: str
    name: str
    lat: float
    lon: float
    qr_token: str
    active: bool
    last_inspected_at: dt.datetime | None
    last_verdict: str | None


@dataclass
class BundleDefect:
    """An active defect, with its asset's category and the position it was raised at."""

    id: uuid.UUID
    asset_id: uuid.UUID
    category: str
    clause_id: str
    severity: str
    status: str
    opened_at: dt.datetime
    lat: float
    lon: float


@dataclass
class Removed:
    """Ids the phone should drop: assets deactivated, defects no longer open."""

    assets: list[uuid.UUID] = field(default_factory=list)
    defects: list[uuid.UUID] = field(default_factory=list)


@dataclass
class OfflineBundle:
    """What the phone stores to find and inspect the assets of its zones with no network."""

    generated_at: dt.datetime
    standards_version: str
    standards_etag: str
    duplicate_distance_m: float
    since: dt.datetime | None
    zones: list[BundleZone]
    assets: list[BundleAsset]
    open_defects: list[BundleDefect]
    removed: Removed
    pages: list[str]
    # Schedules, open emergency rounds and recent inspections of the zones: the phone's due
    # list (server/rounds/service.py rounds_section, docs/rounds.md). Always in full.
    rounds: dict[str, Any] | None = None


async def offline_bundle(
    db: AsyncSession, user: CurrentUser, standards: StandardsSet, since: dt.datetime | None, now: dt.datetime,
    duplicate_distance_m: float,
) -> OfflineBundle:
    """Everything for the user's zones, or with `since` only what changed after it."""
    scope = await zone_scope(db, user)
    zone_query = select(Zone).order_by(Zone.code)
    if scope is not None:
        zone_query = zone_query.where(Zone.id.in_(scope))
    zones = list((await db.execute(zone_query)).scalars())
    zone_ids = [z.id for z in zones]
    after = since - SINCE_OVERLAP if since is not None else None
    assets, gone_assets = await _bundle_assets(db, zone_ids, after)
    defects, gone_defects = await _bundle_defects(db, zone_ids, after)
    categories = (await db.execute(
        select(Asset.category).where(Asset.zone_id.in_(zone_ids), Asset.active.is_(True)).distinct()
    )).scalars()
    standard = standards.current()
    order = list(standards.catalogue().categories)  # with the categories scheduled versions add
    present = sorted(categories, key=lambda c: order.index(c) if c in order else len(order))
    pages = [*INSPECTOR_PAGES, *(f"/inspect/form/{c}" for c in present)]
    return OfflineBundle(
        generated_at=now, standards_version=standard.version, standards_etag=standard.etag,
        duplicate_distance_m=duplicate_distance_m, since=since,
        zones=[BundleZone(z.id, z.code, z.name_zh, z.name_en, z.outline) for z in zones],
        assets=assets, open_defects=defects, removed=Removed(gone_assets, gone_defects), pages=pages,
        rounds=await rounds_section(db, zone_ids, now),
    )


async def _bundle_assets(
    db: AsyncSession, zone_ids: list[uuid.UUID], after: dt.datetime | None
) -> tuple[list[BundleAsset], list[uuid.UUID]]:
    query = select(Asset).where(Asset.zone_id.in_(zone_ids)).order_by(Asset.code)
    if after is None:
        query = query.where(Asset.active.is_(True))
    else:
        inspected = select(Inspection.asset_id).where(Inspection.received_at > after)
        query = query.where(or_(Asset.updated_at > after, Asset.id.in_(inspected)))
    rows = list((await db.execute(query)).scalars())
    return await _with_latest(db, [a for a in rows if a.active]), [a.id for a in rows if not a.active]


async def _with_latest(db: AsyncSession, rows: list[Asset]) -> list[BundleAsset]:
    """Assets in the bundle's shape, each with its latest inspection."""
    latest = await _latest_inspections(db, [a.id for a in rows])
    return [
        BundleAsset(a.id, a.zone_id, a.category, a.code, a.name, a.lat, a.lon, a.qr_token, a.active,
                    *latest.get(a.id, (None, None)))
        for a in rows
    ]


async def _latest_inspections(
    db: AsyncSession, asset_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[dt.datetime, str]]:
    """Each asset's most recent inspection: when it was made and its verdict."""
    if not asset_ids:
        return {}
    ranked = (
        select(
            Inspection.asset_id, Inspection.observed_at, Inspection.verdict,
            func.row_number().over(
                partition_by=Inspection.asset_id,
                order_by=(Inspection.observed_at.desc(), Inspection.received_at.desc()),
            ).label("rank"),
        )
        .where(Inspection.asset_id.in_(asset_ids))
        .subquery()
    )
    rows = await db.execute(select(ranked.c.asset_id, ranked.c.observed_at, ranked.c.verdict).where(ranked.c.rank == 1))
    return {asset_id: (observed_at, verdict) for asset_id, observed_at, verdict in rows}


async def _bundle_defects(
    db: AsyncSession, zone_ids: list[uuid.UUID], after: dt.datetime | None
) -> tuple[list[BundleDefect], list[uuid.UUID]]:
    query = select(Defect).where(Defect.zone_id.in_(zone_ids)).order_by(Defect.opened_at, Defect.id)
    if after is None:
        query = query.where(Defect.status.in_(ACTIVE_STATUSES))
    else:
        # Defects have no "updated at": every change to one is in the audit trail.
        changed = await db.execute(
            select(AuditEvent.entity_id).where(AuditEvent.entity_type == "defect", AuditEvent.at > after).distinct()
        )
        ids = [uid for uid in (_uuid(v) for v in changed.scalars()) if uid is not None]
        query = query.where(or_(Defect.id.in_(ids), Defect.opened_at > after, Defect.closed_at > after))
    rows = list((await db.execute(query)).scalars())
    open_defects = [_bundle_defect(d) for d in rows if d.status in ACTIVE_STATUSES]
    return open_defects, [d.id for d in rows if d.status not in ACTIVE_STATUSES]


def _bundle_defect(d: Defect) -> BundleDefect:
    return BundleDefect(d.id, d.asset_id, d.category, d.clause_id, d.severity, d.status, d.opened_at, d.lat, d.lon)


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


# -- the size of a download, before it is made ---------------------------------------------------

# What one stored page weighs on the phone (a rendered inspector page, uncompressed, measured
# on the demo: 9–16 kB): the same figure web/static/js/offline.js uses until it has measured one.
PAGE_BYTES_ESTIMATE = 15_000


@dataclass
class DownloadEstimate:
    """What "download for offline" would store: counts and bytes, shown before the tap."""

    since: dt.datetime | None
    zones: int
    assets: int
    open_defects: int
    pages: int
    bundle_bytes: int
    standards_bytes: int
    pages_bytes: int
    bytes: int


def download_estimate(bundle: OfflineBundle, standards_bytes: int) -> DownloadEstimate:
    """The size of `bundle` as sent (JSON), of the standards and of its pages, in bytes."""
    bundle_bytes = len(encode_json(bundle))
    pages_bytes = len(bundle.pages) * PAGE_BYTES_ESTIMATE
    return DownloadEstimate(
        since=bundle.since, zones=len(bundle.zones), assets=len(bundle.assets), open_defects=len(bundle.open_defects),
        pages=len(bundle.pages), bundle_bytes=bundle_bytes, standards_bytes=standards_bytes, pages_bytes=pages_bytes,
        bytes=bundle_bytes + standards_bytes + pages_bytes,
    )


# -- the bundle around one point ------------------------------------------------------------------


@dataclass
class NearbySlice:
    """The part of the offline bundle within `duplicate_distance_m` of a point, for one category."""

    duplicate_distance_m: float
    assets: list[BundleAsset]
    open_defects: list[BundleDefect]


async def nearby_slice(
    db: AsyncSession, user: CurrentUser, lat: float, lon: float, category: str, radius_m: float
) -> NearbySlice:
    """Active assets of `category` in the user's zones within `radius_m` metres (on the ground)
    of the point, and the active defects of that category within it or on those assets."""
    scope = await zone_scope(db, user)
    north, east = offset(lat, lon, radius_m, radius_m)
    south, west = offset(lat, lon, -radius_m, -radius_m)
    assets = select(Asset).where(
        Asset.category == category, Asset.active.is_(True), Asset.lat.between(south, north),
        Asset.lon.between(west, east),
    ).order_by(Asset.code)
    defects = select(Defect).where(Defect.category == category, Defect.status.in_(ACTIVE_STATUSES))
    if scope is not None:
        assets = assets.where(Asset.zone_id.in_(scope))
        defects = defects.where(Defect.zone_id.in_(scope))
    near = [a for a in (await db.execute(assets)).scalars() if distance_m(lat, lon, a.lat, a.lon) <= radius_m]
    near_ids = {a.id for a in near}
    in_box = Defect.lat.between(south, north) & Defect.lon.between(west, east)
    rows = (await db.execute(defects.where(or_(in_box, Defect.asset_id.in_(near_ids)))
                             .order_by(Defect.opened_at, Defect.id))).scalars()
    found = [d for d in rows if d.asset_id in near_ids or distance_m(lat, lon, d.lat, d.lon) <= radius_m]
    return NearbySlice(radius_m, await _with_latest(db, near), [_bundle_defect(d) for d in found])
