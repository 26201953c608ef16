"""Assets from the admin pages: edit, move (a new position, in its zone), retire, reinstate."""

from __future__ import annotations

from typing import Any

from litestar import Request
from shapely.geometry import Point, shape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.admin.fields import Form
from server.admin.service import _audit, _changes, _taken
from server.assets.models import Asset
from server.core.audit.service import record_event
from server.sites.models import Zone


async def save_asset(db: AsyncSession, admin: CurrentUser, form: Form, asset: Asset, categories: set[str],
                     request: Request[Any, Any, Any] | None = None) -> None:
    """Change an asset's code, name, category, zone or position; the position must lie in the zone
    (the zone stays within the asset's site)."""
    site_id = await db.scalar(select(Zone.site_id).where(Zone.id == asset.zone_id))
    zones = {z.id: z for z in (await db.execute(select(Zone).where(Zone.site_id == site_id))).scalars()}
    code = form.code("code", max_length=40)
    zone_id, lat, lon = form.one_id("zone_id", set(zones)), form.number("lat", -90, 90), form.number("lon", -180, 180)
    values = {"code": code, "name": form.text("name", max_length=160), "category": form.choice("category", categories),
              "zone_id": zone_id, "lat": lat, "lon": lon}
    if code and not form.has("code") and await _taken(db, Asset.code, code, asset.id):
        form.add("code", "adminf.code_taken")
    zone = zones.get(zone_id) if zone_id is not None else None
    if zone is not None and lat is not None and lon is not None:
        if not shape(zone.outline).covers(Point(lon, lat)):
            form.add("lat", "adminf.outside_zone", zone=zone.code)
    form.check()
    changes = _changes(asset, values)
    await db.flush()
    await _audit(db, admin, request, "asset", asset.id, False, changes)


async def set_active(db: AsyncSession, admin: CurrentUser, asset: Asset, active: bool,
                     request: Request[Any, Any, Any] | None = None) -> None:
    """Retire (no longer inspected, kept with its history) or reinstate an asset."""
    if asset.active == active:
        return
    asset.active = active
    await db.flush()
    await record_event(db, admin.id, "asset.reinstated" if active else "asset.retired", "asset", str(asset.id),
                       request=request, details={"code": asset.code})
