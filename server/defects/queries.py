"""Read-side queries about defects for the supervisor's pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.defects.models import ACTIVE_STATUSES, SEVERITIES, Defect
from server.sites.models import Zone


@dataclass(frozen=True)
class ZoneDefects:
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    by_severity: dict[str, int]
    total: int


async def active_defects_by_zone(db: AsyncSession) -> list[ZoneDefects]:
    """Every zone with its active (open, ordered, fixed) defects counted per severity."""
    counts: dict[uuid.UUID, dict[str, int]] = {}
    rows = await db.execute(
        select(Defect.zone_id, Defect.severity, func.count())
        .where(Defect.status.in_(ACTIVE_STATUSES))
        .group_by(Defect.zone_id, Defect.severity)
    )
    for zone_id, severity, n in rows:
        counts.setdefault(zone_id, {})[severity] = n
    zones = (await db.execute(select(Zone).order_by(Zone.code))).scalars()
    result = []
    for z in zones:
        by_severity = {s: counts.get(z.id, {}).get(s, 0) for s in SEVERITIES}
        result.append(ZoneDefects(z.id, z.code, z.name_zh, z.name_en, by_severity, sum(by_severity.values())))
    return result
