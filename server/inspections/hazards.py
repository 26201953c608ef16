"""The `hazard` record kind of the sync API (docs/sync.md "hazard"): a problem no clause covers.

An inspector reports a fallen branch across a path or a broken manhole cover from the
phone's outbox like an inspection: category (one of the standards' categories, or
"other"), severity, note, photos and the phone's position. The server stores it as an
inspection row of kind `hazard` (its id is the record id: exactly once, like inspections)
on the asset it names or, when it names none, the nearest active asset the inspector may
reach within `NEAR_M` metres; and opens a defect for it with the pseudo-clause
`HZ-<first 8 hex digits of the record id>` at the reported position. From there it is a
defect like any other: the map, work orders, closing, scoring (docs/scoring.md "Hazards").
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

from msgspec import Struct
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.assets.models import Asset
from server.defects.lifecycle import respond_by
from server.defects.models import SEVERITIES
from server.photos.models import Photo
from server.inspections.service import MAX_NOTES, MAX_PHOTOS, clause_counts
from sync.context import ActiveDefect, AssetInfo, AuditEntry, BatchState, Plan
from server.core.sha256 import SHA256_HEX
from sync.fields import BodyChecker, Position
from sync.protocol import RecordRefused, SyncRecord, invalid

KIND = "hazard"
FIELDS = ("asset_id", "observed_at", "position", "category", "severity", "notes", "photos")
OTHER = "other"
CLAUSE_PREFIX = "HZ-"
NEAR_M = 300.0  # how far the nearest asset may be from a hazard reported without one
_M_PER_DEG = 111_320.0


class HazardResult(Struct):
    """A hazard stored, and the defect it opened."""

    hazard_id: uuid.UUID
    asset_id: uuid.UUID
    defect_id: uuid.UUID
    clause_id: str
    category: str  # as reported: a standards category or "other"
    defect_category: str  # the defect's: the reported one, or the asset's for "other"
    severity: str


def hazard_clause(record_id: uuid.UUID) -> str:
    """The pseudo-clause of a hazard's defect (unique per hazard: the active-defect index holds)."""
    return CLAUSE_PREFIX + record_id.hex[:8].upper()


def is_hazard_clause(clause_id: str) -> bool:
    return clause_id.startswith(CLAUSE_PREFIX)


async def plan_hazard(db: AsyncSession, state: BatchState, record: SyncRecord) -> Plan:
    """The rows of one valid hazard report; RecordRefused otherwise (nothing stored)."""
    check = BodyChecker(record.body, FIELDS)
    body = check.body
    caller = state.caller
    asset_id = None if check.body.get("asset_id") is None else check.uuid("asset_id")
    observed_at = check.observed_at("observed_at", caller.now)
    position = check.position("position", required=True)
    notes = check.text("notes", max_length=MAX_NOTES)
    standard = state.standard_for(observed_at)
    category = check.text("category", max_length=32, required=True)
    if category and category != OTHER and category not in standard.categories:
        check.add("body.category", "unknown_category", "hazard.unknown_category",
                  categories=", ".join([*standard.categories, OTHER]))
    severity = body.get("severity")
    if severity not in SEVERITIES:
        check.add("body.severity", "unknown_severity", "hazard.unknown_severity", severities=", ".join(SEVERITIES))
    photos = _photos(check)
    asset = None
    if check.ok_object and asset_id is not None:
        asset = await _named_asset(db, state, check, asset_id)
    elif position is not None and check.ok_object:
        asset = await _nearest_asset(db, state, position)
        if asset is None:
            check.add("body.position", "no_asset_near", "hazard.no_asset_near", metres=int(NEAR_M))
    if check.problems:
        raise invalid(check.problems)
    assert asset is not None and observed_at is not None and position is not None and category
    held = set((await db.execute(select(Photo.sha256).where(Photo.sha256.in_(photos)))).scalars()) if photos else set()
    missing = sorted({sha for sha in photos if sha not in held and sha not in state.photos})
    if missing:
        raise RecordRefused(428, "photos_missing", "sync.photos_missing", missing=missing, n=len(missing))
    return _plan(state, record, asset, observed_at, position, notes or "", category, str(severity), photos,
                 standard.version)


def _plan(state: BatchState, record: SyncRecord, asset: AssetInfo, observed_at: dt.datetime, position: Position,
          notes: str, category: str, severity: str, photos: list[str], version: str) -> Plan:
    caller = state.caller
    clause_id = hazard_clause(record.id)
    plan = Plan(result={})
    plan.insert("inspections", {
        "id": record.id, "asset_id": asset.id, "inspector_id": caller.user.id, "device_id": caller.device_id,
        "observed_at": observed_at, "received_at": caller.now,
        "lat": position.lat, "lon": position.lon, "accuracy_m": position.accuracy_m,
        "observations": {"hazard": {"category": category, "severity": severity}}, "damages": [],
        "not_applicable": [], "notes": notes, "standards_version": version, "client_standards_version": None,
        "verdict": "non_compliant", "content_hash": record.content_hash, "kind": KIND,
        **clause_counts(()),  # no clause results; the same keys as an inspection's row (one INSERT a batch)
    })
    for ordinal, sha in enumerate(photos):
        plan.insert("inspection_photos", {"inspection_id": record.id, "ordinal": ordinal,
                                          "photo_sha256": sha, "damage_index": None})
    defect_id = uuid.uuid4()
    # "other" is no category a contract covers: the defect takes the asset's, so work orders,
    # contracts and the category scores treat it like the asset's other defects.
    defect_category = asset.category if category == OTHER else category
    plan.insert("defects", {
        "id": defect_id, "asset_id": asset.id, "zone_id": asset.zone_id, "category": defect_category,
        "clause_id": clause_id, "severity": severity, "status": "open", "lat": position.lat, "lon": position.lon,
        "opened_at": observed_at, "respond_by": respond_by(observed_at, severity),
        "opened_by_inspection_id": record.id, "last_inspection_id": record.id,
        "passed_inspection_id": None, "closed_at": None, "dismissed_reason": None,
    })
    plan.insert("defect_evidence", {"defect_id": defect_id, "inspection_id": record.id})
    plan.defects.append(ActiveDefect(defect_id, asset.id, clause_id, record.id, observed_at, None, None))
    hazard = str(record.id)
    plan.audit.append(AuditEntry("hazard.received", "inspection", hazard, {
        "asset_id": str(asset.id), "category": category, "severity": severity}))
    plan.audit.append(AuditEntry("defect.opened", "defect", str(defect_id), {
        "asset_id": str(asset.id), "clause_id": clause_id, "severity": severity,
        "inspection_id": hazard, "standards_version": version}))
    plan.result = {"hazard_id": hazard, "asset_id": str(asset.id), "defect_id": str(defect_id),
                   "clause_id": clause_id, "category": category, "defect_category": defect_category,
                   "severity": severity}
    return plan


def _photos(check: BodyChecker) -> list[str]:
    raw = check.body.get("photos")
    if raw is None:
        return []
    if not isinstance(raw, list):
        check.add("body.photos", "bad_type", "sync.expected_list")
        return []
    if len(raw) > MAX_PHOTOS:
        check.add("body.photos", "too_many", "sync.too_many_photos", max=MAX_PHOTOS)
        return []
    out = []
    for i, item in enumerate(raw):
        sha = item.get("sha256") if isinstance(item, dict) else None
        if isinstance(item, dict):
            for key in item:
                if key != "sha256":
                    check.add(f"body.photos[{i}].{key}", "unknown_field", "sync.unknown_field", fields="sha256")
        if not isinstance(sha, str) or not SHA256_HEX.fullmatch(sha):
            check.add(f"body.photos[{i}].sha256", "bad_photo_hash", "sync.bad_photo_hash")
            continue
        if sha not in out:
            out.append(sha)
    return out


_ASSET = select(Asset.id, Asset.zone_id, Asset.category, Asset.lat, Asset.lon, Asset.active)


async def _named_asset(db: AsyncSession, state: BatchState, check: BodyChecker, asset_id: uuid.UUID) -> AssetInfo | None:
    asset = state.assets.get(asset_id)
    if asset is None:
        row = (await db.execute(_ASSET.where(Asset.id == asset_id))).first()
        asset = AssetInfo(*row) if row is not None else None
    if asset is None or not state.caller.reaches(asset.zone_id):
        check.add("body.asset_id", "unknown_asset", "sync.unknown_asset")
        return None
    if not asset.active:
        check.add("body.asset_id", "asset_inactive", "sync.asset_inactive")
        return None
    return asset


async def _nearest_asset(db: AsyncSession, state: BatchState, at: Position) -> AssetInfo | None:
    """The nearest active asset the caller reaches within NEAR_M of `at` (a box first, then metres)."""
    dlat = NEAR_M / _M_PER_DEG
    dlon = NEAR_M / (_M_PER_DEG * max(math.cos(math.radians(at.lat)), 0.01))
    query = _ASSET.where(Asset.active.is_(True), Asset.lat.between(at.lat - dlat, at.lat + dlat),
                         Asset.lon.between(at.lon - dlon, at.lon + dlon))
    zones = state.caller.zone_ids
    if zones is not None:
        if not zones:
            return None
        query = query.where(Asset.zone_id.in_(sorted(zones)))
    best: tuple[float, AssetInfo] | None = None
    for row in await db.execute(query):
        info = AssetInfo(*row)
        metres = _metres(at.lat, at.lon, info.lat, info.lon)
        if metres <= NEAR_M and (best is None or (metres, str(info.id)) < (best[0], str(best[1].id))):
            best = (metres, info)
    return best[1] if best else None


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return math.hypot(x, y) * 6_371_000.0
