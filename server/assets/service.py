"""Assets added from the field, and the offline bundle of the assets an inspector covers.

A new asset (a sync `asset` record) is placed in the zone whose outline covers the
inspector's position, gets the next free code of its zone and category
(`<zone>-<abbreviation>-NNN`, e.g. `Z1-SE-031`, the abbreviation being the prefix of the
category's clause ids) and a random QR token. Inspectors may only add assets inside
their own zones.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import Point, shape
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.identity import CurrentUser
from server.accounts.models import UserZone
from server.assets.models import Asset
from server.audit.models import AuditEvent
from server.defects.models import ACTIVE_STATUSES, Defect
from server.inspections.models import Inspection
from server.sites.models import Zone
from standards import Standard, StandardsSet
from sync.context import AssetInfo, AuditEntry, BatchState, Plan, ZoneShape
from sync.fields import BodyChecker
from sync.protocol import Problem, SyncRecord, invalid

FIELDS = ("category", "name", "position", "notes")
MAX_NAME = 160
MAX_NOTES = 10_000
ALL_ZONES_ROLES = ("supervisor", "admin")
# Changes are looked for a little before `since`: a transaction that began before the
# last bundle was made may have committed after it. The phone stores by id, so overlap is harmless.
SINCE_OVERLAP = dt.timedelta(minutes=2)
INSPECTOR_PAGES = ("/inspect", "/inspect/assets", "/inspect/assets/new", "/inspect/outbox")


async def zone_scope(db: AsyncSession, user: CurrentUser) -> frozenset[uuid.UUID] | None:
    """The zones a user works in: an inspector's own; None (every zone) for supervisors and admins."""
    if user.role in ALL_ZONES_ROLES:
        return None
    rows = await db.execute(select(UserZone.zone_id).where(UserZone.user_id == user.id))
    return frozenset(rows.scalars())


def category_abbreviation(standard: Standard, category: str) -> str:
    """The two-letter code of a category in asset codes: its clause ids' prefix (SE-1 → SE)."""
    clauses = standard.category(category).clauses
    prefix = clauses[0].id.split("-")[0] if clauses else ""
    return prefix or category[:2].upper()


# -- a new asset from the field -------------------------------------------------------------


async def plan_asset(db: AsyncSession, state: BatchState, record: SyncRecord) -> Plan:
    """The row, audit event and result of one valid new asset; RecordRefused otherwise."""
    check = BodyChecker(record.body, FIELDS)
    standard = state.standards.current()
    category = check.text("category", max_length=64, required=True)
    if category and category not in standard.categories:
        check.add("body.category", "unknown_category", "sync.unknown_category",
                  categories=", ".join(standard.categories))
    name = check.text("name", max_length=MAX_NAME, required=True)
    position = check.position("position", required=True)
    notes = check.text("notes", max_length=MAX_NOTES)
    if check.problems:
        raise invalid(check.problems)
    assert category and name and position
    zone = locate_zone(await _zones(db, state), position.lon, position.lat, state.caller.zone_ids)
    prefix = f"{zone.code}-{category_abbreviation(standard, category)}-"
    code = f"{prefix}{await _next_number(db, state, prefix):03d}"
    token = secrets.token_hex(8)
    caller = state.caller
    plan = Plan(result={"asset_id": str(record.id), "code": code, "zone_id": str(zone.id), "qr_token": token})
    plan.insert("assets", {
        "id": record.id, "zone_id": zone.id, "category": category, "code": code, "name": name,
        "lat": position.lat, "lon": position.lon, "outline": None, "qr_token": token, "active": True,
        "created_at": caller.now, "created_by": caller.user.id, "updated_at": caller.now,
    })
    plan.assets.append(AssetInfo(record.id, zone.id, category, position.lat, position.lon, True))
    plan.audit.append(AuditEntry("asset.created", "asset", str(record.id), {
        "code": code, "zone_id": str(zone.id), "category": category, "accuracy_m": position.accuracy_m,
        "notes": notes or "",
    }))
    return plan


def locate_zone(zones: list[ZoneShape], lon: float, lat: float, reachable: frozenset[uuid.UUID] | None) -> ZoneShape:
    """The zone covering the point (one of `reachable` first); RecordRefused if none may have it."""
    point = Point(lon, lat)
    covering = [z for z in zones if z.polygon.covers(point)]
    if not covering:
        raise invalid([Problem("body.position", "position_outside_zones", "sync.position_outside_zones")])
    mine = [z for z in covering if reachable is None or z.id in reachable]
    if not mine:
        raise invalid([Problem("body.position", "zone_not_assigned", "sync.zone_not_assigned",
                               {"zone": covering[0].code})])
    return mine[0]


async def _zones(db: AsyncSession, state: BatchState) -> list[ZoneShape]:
    if state.zones is None:
        rows = await db.execute(select(Zone.id, Zone.code, Zone.outline).order_by(Zone.code))
        zones = []
        for zone_id, code, outline in rows:
            polygon = shape(outline)
            shapely.prepare(polygon)
            zones.append(ZoneShape(zone_id, code, polygon))
        state.zones = zones
    return state.zones


async def _next_number(db: AsyncSession, state: BatchState, prefix: str) -> int:
    if prefix not in state.next_numbers:
        codes = await db.execute(select(Asset.code).where(Asset.code.startswith(prefix, autoescape=True)))
        pattern = re.compile(re.escape(prefix) + r"(\d+)")
        numbers = [int(m.group(1)) for c in codes.scalars() if (m := pattern.fullmatch(c))]
        state.next_numbers[prefix] = max(numbers, default=0) + 1
    number = state.next_numbers[prefix]
    state.next_numbers[prefix] = number + 1
    return number


async def load_assets(db: AsyncSession, asset_ids: list[uuid.UUID]) -> dict[uuid.UUID, AssetInfo]:
    """What inspections need to know of these assets, in one query."""
    if not asset_ids:
        return {}
    rows = await db.execute(
        select(Asset.id, Asset.zone_id, Asset.category, Asset.lat, Asset.lon, Asset.active)
        .where(Asset.id.in_(asset_ids))
    )
    return {row[0]: AssetInfo(*row) for row in rows}


# -- the offline bundle (docs/sync.md §3) --------------------------------------------------------


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
    id: uuid.UUID
    asset_id: uuid.UUID
    clause_id: str
    severity: str
    status: str
    opened_at: dt.datetime


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
    since: dt.datetime | None
    zones: list[BundleZone]
    assets: list[BundleAsset]
    open_defects: list[BundleDefect]
    removed: Removed
    pages: list[str]


async def offline_bundle(
    db: AsyncSession, user: CurrentUser, standards: StandardsSet, since: dt.datetime | None, now: dt.datetime
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
    order = list(standard.categories)
    present = sorted(categories, key=lambda c: order.index(c) if c in order else len(order))
    pages = [*INSPECTOR_PAGES, *(f"/inspect/assets/{a.id}" for a in assets), *(f"/inspect/form/{c}" for c in present)]
    return OfflineBundle(
        generated_at=now, standards_version=standard.version, standards_etag=standard.etag, since=since,
        zones=[BundleZone(z.id, z.code, z.name_zh, z.name_en, z.outline) for z in zones],
        assets=assets, open_defects=defects, removed=Removed(gone_assets, gone_defects), pages=pages,
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
    latest = await _latest_inspections(db, [a.id for a in rows if a.active])
    assets = [
        BundleAsset(a.id, a.zone_id, a.category, a.code, a.name, a.lat, a.lon, a.qr_token, a.active,
                    *latest.get(a.id, (None, None)))
        for a in rows if a.active
    ]
    return assets, [a.id for a in rows if not a.active]


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
    open_defects = [
        BundleDefect(d.id, d.asset_id, d.clause_id, d.severity, d.status, d.opened_at)
        for d in rows if d.status in ACTIVE_STATUSES
    ]
    return open_defects, [d.id for d in rows if d.status not in ACTIVE_STATUSES]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None

