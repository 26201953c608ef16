"""The `asset` record kind of the sync API: a new asset found in the field (sync/registry.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.assets.models import Asset
from server.assets.service import plan_asset
from sync.context import BatchState, Plan
from sync.protocol import SyncRecord
from sync.registry import RecordKind
from sync.schemas import AssetResult


async def _plan_asset(db: AsyncSession, state: BatchState, record: SyncRecord, lang: str) -> Plan:
    return await plan_asset(db, state, record)


ASSET = RecordKind("asset", _plan_asset, AssetResult, stored_as=Asset)
