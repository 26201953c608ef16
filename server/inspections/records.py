"""The `inspection` and `hazard` record kinds of the sync API (sync/registry.py, docs/sync.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.assets.service import load_assets
from server.defects.service import load_active_defects
from server.inspections.hazards import HazardResult, plan_hazard
from server.inspections.models import Inspection
from server.inspections.service import plan_inspection, referenced_asset_id, referenced_photos
from server.photos.models import Photo
from sync.context import BatchState, Plan
from sync.protocol import SyncRecord
from sync.registry import RecordKind
from sync.schemas import InspectionResult

PHOTOS_HELD = select(Photo.sha256).where(Photo.sha256.in_(bindparam("hashes", expanding=True)))


async def prepare_inspections(db: AsyncSession, state: BatchState, bodies: list[Any]) -> None:
    """The assets the batch's inspections name, their active defects and the photos already held."""
    asset_ids = list({a for a in map(referenced_asset_id, bodies) if a is not None})
    state.assets = await load_assets(db, asset_ids)
    state.defects = await load_active_defects(db, list(state.assets))
    hashes = list({h for body in bodies for h in referenced_photos(body)})
    if hashes:
        state.photos = set((await db.execute(PHOTOS_HELD, {"hashes": hashes})).scalars())


async def _plan_inspection(db: AsyncSession, state: BatchState, record: SyncRecord, lang: str) -> Plan:
    return plan_inspection(state, record)  # everything it needs is in the batch state


async def _plan_hazard(db: AsyncSession, state: BatchState, record: SyncRecord, lang: str) -> Plan:
    return await plan_hazard(db, state, record)


INSPECTION = RecordKind("inspection", _plan_inspection, InspectionResult, prepare=prepare_inspections,
                        stored_as=Inspection)
HAZARD = RecordKind("hazard", _plan_hazard, HazardResult, stored_as=Inspection)  # a problem no clause covers
