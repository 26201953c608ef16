"""Assets added from the field, and the zones an inspector covers.

A new asset (a sync `asset` record) is placed in the zone whose outline covers the
inspector's position, gets the next free code of its zone and category
(`<zone>-<abbreviation>-NNN`, e.g. `Z1-SE-031`, the abbreviation being the prefix of the
category's clause ids) and a random QR token. Inspectors may only add assets inside
their own zones. (The offline bundle of those zones is server/assets/bundle.py.)
"""

from __future__ import annotations

import re
import secrets
import uuid

import shapely
from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.accounts.models import UserZone
from server.assets.models import Asset
from server.sites.models import Zone
from standards import Standard
from server.core.validation import Problem
from sync.context import AssetInfo, AuditEntry, BatchState, Plan, ZoneShape
from sync.fields import BodyChecker
from sync.protocol import SyncRecord, invalid

FIELDS = ("category", "name", "position", "notes")
MAX_NAME = 160
MAX_NOTES = 10_000
ALL_ZONES_ROLES = ("supervisor", "admin")


async def zone_scope(db: AsyncSession, user: CurrentUser) -> frozenset[uuid.UUID]:
    """The zones a user works in, within the site chosen in the top bar: every zone of it for
    supervisors and admins, an inspector's own; none without a site (server/sites/access.py)."""
    if user.site_id is None:
        return frozenset()
    query = select(Zone.id).where(Zone.site_id == user.site_id)
    if user.role not in ALL_ZONES_ROLES:
        query = query.join(UserZone, UserZone.zone_id == Zone.id).where(UserZone.user_id == user.id)
    return frozenset((await db.execute(query)).scalars())


def category_abbreviation(standard: Standard, category: str) -> str:
    """The two-letter code of a category in asset codes: its clause ids' prefix (SE-1 → SE)."""
    clauses = standard.category(category).clauses
    prefix = clauses[0].id.split("-")[0] if clauses else ""
    return prefix or category[:2].upper()


# -- a new asset from the field -------------------------------------------------------------


async def plan_asset(db: AsyncSession, state: BatchState, record: SyncRecord) -> Plan:
    """The row, audit event and result of one valid new asset; RecordRefused otherwise."""
    check = BodyChecker(record.body, FIELDS)
    standard = state.standards.catalogue()  # a category a scheduled version adds is allowed
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
