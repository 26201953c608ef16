"""Read-side queries about inspections, shaped as plain data for pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User, UserZone
from server.assets.models import Asset
from server.defects.models import ACTIVE_STATUSES, Defect
from server.inspections.models import Inspection
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
