"""A supervisor's round alerts (a round missed, an emergency past its hours) as the rows of
the notifications page, beside the work-order notices; the site's own only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.db import utcnow
from server.rounds.models import EmergencyRound, MissedRound, RoundAlert
from server.sites.models import Zone


@dataclass(frozen=True)
class AlertRow:
    kind: str  # "missed" or "emergency_late"
    created_at: dt.datetime
    read: bool
    href: str
    zone: str  # the missed round's zone code, or the emergency's reason
    category: str | None
    first: dt.date | None
    last: dt.date | None
    missed: int
    due: int


def _in_site(zone_ids: Any) -> Any:
    """`zone_ids`: ids or a select of them (server/sites/access.py site_zone_ids)."""
    return or_(MissedRound.zone_id.in_(zone_ids), EmergencyRound.site_id.in_(
        select(Zone.site_id).where(Zone.id.in_(zone_ids))))


async def round_alerts(db: AsyncSession, user_id: uuid.UUID, zone_ids: Any,
                       limit: int = 50) -> list[AlertRow]:
    """The user's latest round alerts in the zones given (the current site's), unread first."""
    rows = await db.execute(
        select(RoundAlert, MissedRound, EmergencyRound, Zone.code)
        .outerjoin(MissedRound, MissedRound.id == RoundAlert.missed_round_id)
        .outerjoin(EmergencyRound, EmergencyRound.id == RoundAlert.emergency_round_id)
        .outerjoin(Zone, Zone.id == MissedRound.zone_id)
        .where(RoundAlert.user_id == user_id, _in_site(zone_ids))
        .order_by(RoundAlert.read_at.is_not(None), RoundAlert.created_at.desc()).limit(limit))
    out = []
    # Outer joins: an alert has either its missed round (with its zone's code) or its emergency
    # round; the other is None.
    typed = cast("list[tuple[RoundAlert, MissedRound | None, EmergencyRound | None, str]]", rows.all())
    for alert, missed, emergency, zone_code in typed:
        if missed is not None:
            out.append(AlertRow("missed", alert.created_at, alert.read_at is not None,
                                "/supervise/rounds#missed", zone_code, missed.category, missed.round_start,
                                missed.round_end, missed.due - missed.done, missed.due))
        else:
            assert emergency is not None
            out.append(AlertRow("emergency_late", alert.created_at, alert.read_at is not None,
                                f"/supervise/rounds/emergencies/{emergency.id}", emergency.reason, None, None,
                                None, 0, 0))
    return out


async def unread_round_alerts(db: AsyncSession, user_id: uuid.UUID, zone_ids: Any) -> int:
    return int((await db.execute(
        select(func.count()).select_from(RoundAlert)
        .outerjoin(MissedRound, MissedRound.id == RoundAlert.missed_round_id)
        .outerjoin(EmergencyRound, EmergencyRound.id == RoundAlert.emergency_round_id)
        .where(RoundAlert.user_id == user_id, RoundAlert.read_at.is_(None), _in_site(zone_ids)))).scalar_one())


async def mark_round_alerts_read(db: AsyncSession, user_id: uuid.UUID) -> int:
    result = await db.execute(update(RoundAlert).where(RoundAlert.user_id == user_id, RoundAlert.read_at.is_(None))
                              .values(read_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML answers a CursorResult; execute() says Result
