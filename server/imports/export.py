"""Export the register (zones or assets of a site) as GeoJSON or GeoPackage.

The file holds exactly the columns the importer reads back (code, name, category, zone;
zones: code, name_zh, name_en) in WGS 84, assets with their outline where they have one,
so that importing an export changes nothing. Assets are read and written a batch at a time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import select

from server.assets.models import Asset
from server.core.db import Database
from server.imports.service import BATCH_SIZE, ImportProblem
from server.sites.models import Site, Zone

DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}


def driver_for(path: Path, fmt: str | None = None) -> str:
    if fmt:
        return {"geojson": "GeoJSON", "gpkg": "GPKG"}[fmt]
    driver = DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise ImportProblem("imports.export_format", file=path.name)
    return driver


async def export_register(db: Database, site_code: str, kind: str, path: Path, fmt: str | None = None) -> int:
    """Write the site's zones or active assets to `path`; the number of features written."""
    import pyogrio.raw

    driver = driver_for(path, fmt)
    if path.exists():
        path.unlink()
    written = 0
    async with db.session(write=False) as session:
        site = (await session.execute(select(Site).where(Site.code == site_code))).scalar_one_or_none()
        if site is None:
            raise ImportProblem("imports.unknown_site", site=site_code)
        if kind == "zones":
            query = (select(Zone.code, Zone.name_zh, Zone.name_en, Zone.outline)
                     .where(Zone.site_id == site.id).order_by(Zone.code))
            fields = ["code", "name_zh", "name_en"]
        else:
            query = (select(Asset.code, Asset.name, Asset.category, Zone.code, Asset.lon, Asset.lat, Asset.outline)
                     .join(Zone, Zone.id == Asset.zone_id)
                     .where(Zone.site_id == site.id, Asset.active.is_(True)).order_by(Asset.code))
            fields = ["code", "name", "category", "zone"]
        result = await session.stream(query.execution_options(yield_per=BATCH_SIZE))
        async for partition in result.partitions(BATCH_SIZE):
            columns, geometries = _columns(partition, kind)
            await asyncio.to_thread(
                pyogrio.raw.write, path, np.array(shapely.to_wkb(geometries), dtype=object), columns, fields=fields,
                geometry_type="Unknown", crs="EPSG:4326", driver=driver, layer=kind, encoding="UTF-8",
                append=written > 0)
            written += len(partition)
    if written == 0:  # still a valid, empty file, so the round trip holds for an empty register too
        await asyncio.to_thread(pyogrio.raw.write, path, np.array([], dtype=object),
                                [np.array([], dtype=object) for _ in fields], fields=fields, geometry_type="Unknown",
                                crs="EPSG:4326", driver=driver, layer=kind)
    return written


def _columns(rows: Any, kind: str) -> tuple[list[np.ndarray[Any, Any]], np.ndarray[Any, Any]]:
    if kind == "zones":
        geometries = [shape(r[3]) for r in rows]
        columns = [np.array([r[i] for r in rows], dtype=object) for i in range(3)]
    else:
        geometries = [shape(r[6]) if r[6] else shapely.Point(r[4], r[5]) for r in rows]
        columns = [np.array([r[i] for r in rows], dtype=object) for i in range(4)]
    return columns, np.array(geometries, dtype=object)
