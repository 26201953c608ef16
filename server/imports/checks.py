"""One feature of a file checked into a register row, or refused with the field at fault.

Everything here is plain data in, plain data out (no database): `service` decides what
to write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely
from shapely import STRtree

from server.imports.columns import ColumnMap, category_lookup, find_category
from server.imports.crs import SourceCrs
from server.imports.reading import Batch
from server.core.text import unstorable
from standards import Standard

MAX_CODE = 40
MAX_ZONE_CODE = 32
MAX_NAME = 160
MAX_ZONE_NAME = 120


@dataclass(frozen=True)
class Refusal:
    """A feature left out: its 1-based position, the field at fault, a stable code, message params."""

    feature: int
    field: str
    code: str
    # `field: str` above only annotates, it binds no name: this is still dataclasses.field.
    params: dict[str, Any] = field(default_factory=dict)  # type: ignore[operator]


class Refused(Exception):
    def __init__(self, field_name: str, code: str, **params: Any) -> None:
        super().__init__(code)
        self.refusal = (field_name, code, params)


@dataclass(frozen=True)
class SiteZone:
    id: Any
    code: str
    name_zh: str
    name_en: str
    polygon: Any


class ZoneFinder:
    """The site's zones: by code or name (the zone column), or the one a point lies in."""

    def __init__(self, zones: list[SiteZone]) -> None:
        self.zones = sorted(zones, key=lambda z: z.code)
        self.ids = {z.id for z in self.zones}
        self.by_name: dict[str, SiteZone] = {}
        for zone in self.zones:
            for spelling in (zone.name_en, zone.name_zh, zone.code):  # code last: it wins
                self.by_name[spelling.strip().casefold()] = zone
        self.tree = STRtree([z.polygon for z in self.zones]) if self.zones else None

    def named(self, value: str) -> SiteZone | None:
        return self.by_name.get(value.strip().casefold())

    def containing(self, points: np.ndarray[Any, Any]) -> list[SiteZone | None]:
        """For each point, the first zone (by code) covering it, else None."""
        found: list[SiteZone | None] = [None] * len(points)
        if self.tree is None or len(points) == 0:
            return found
        valid = np.array([p is not None for p in points])
        # Empty points match nothing. numpy's stubs know no object (here a shapely Point) as a fill value.
        query = np.where(valid, points, shapely.Point())  # type: ignore[call-overload]
        hits = self.tree.query(query, predicate="covered_by")
        best: dict[int, int] = {}
        for point_i, zone_i in zip(hits[0].tolist(), hits[1].tolist()):
            if point_i not in best or zone_i < best[point_i]:
                best[point_i] = zone_i
        for point_i, zone_i in best.items():
            found[point_i] = self.zones[zone_i]
        return found


def text_value(record: dict[str, Any], column: str | None) -> str:
    """A cell as text: numbers without a spurious `.0`, None as empty."""
    if column is None:
        return ""
    value = record.get(column)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


def checked_text(record: dict[str, Any], column: str | None, target: str, limit: int, *, required: bool) -> str:
    value = text_value(record, column)
    if not value:
        if required:
            raise Refused(target, "missing_value", field=target)
        return ""
    if unstorable(value):
        raise Refused(target, "bad_text", field=target)
    if len(value) > limit:
        raise Refused(target, "too_long", field=target, limit=limit)
    return value


def _number(record: dict[str, Any], column: str | None, target: str) -> float:
    raw = text_value(record, column)
    if not raw:
        raise Refused(target, "missing_value", field=target)
    try:
        number = float(raw.replace(",", "."))
    except ValueError:
        raise Refused(target, "not_a_number", field=target, value=raw[:40]) from None
    if not np.isfinite(number):
        raise Refused(target, "not_a_number", field=target, value=raw[:40])
    return number


def batch_geometries(batch: Batch, columns: ColumnMap, crs: SourceCrs) -> tuple[np.ndarray[Any, Any], dict[int, Refusal]]:
    """The batch's geometries in WGS 84 (None where missing), and refusals of unusable ones."""
    refused: dict[int, Refusal] = {}
    if batch.geometries is None:  # a table: points from its coordinate columns
        points: list[Any] = []
        for i, record in enumerate(batch.records):
            try:
                points.append(shapely.Point(_number(record, columns.get("lon"), "lon"),
                                            _number(record, columns.get("lat"), "lat")))
            except Refused as exc:
                name, code, params = exc.refusal
                refused[i] = Refusal(batch.positions[i], name, code, params)
                points.append(None)
        geometries = np.array(points, dtype=object)
    else:
        geometries = batch.geometries
    wgs = crs.to_wgs84(geometries)
    bounds = shapely.bounds(wgs)
    for i, geom in enumerate(wgs):
        if i in refused:
            continue
        if geom is None or shapely.is_empty(geom):
            refused[i] = Refusal(batch.positions[i], "geometry", "missing_geometry")
            wgs[i] = None
            continue
        west, south, east, north = bounds[i]
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            refused[i] = Refusal(batch.positions[i], "geometry", "off_the_planet", {"crs": crs.label})
            wgs[i] = None
    return wgs, refused


def outline_of(geom: Any) -> dict[str, Any] | None:
    """A line's or polygon's GeoJSON geometry (kept); None for a point (the point says it all)."""
    if geom is None or shapely.get_type_id(geom) == 0:
        return None
    outline: dict[str, Any] = json.loads(shapely.to_geojson(geom))
    return outline


@dataclass
class AssetRow:
    position: int
    code: str
    name: str
    category: str
    zone_id: Any
    lat: float
    lon: float
    outline: dict[str, Any] | None
    geometry: Any


class AssetChecker:
    """Turns a batch of features into asset rows and refusals."""

    def __init__(self, standard: Standard, columns: ColumnMap, crs: SourceCrs, zones: ZoneFinder) -> None:
        self.columns = columns
        self.crs = crs
        self.zones = zones
        self.categories = category_lookup(standard)
        self.category_keys = ", ".join(standard.categories)

    def check(self, batch: Batch) -> tuple[list[AssetRow], list[Refusal]]:
        wgs, refused = batch_geometries(batch, self.columns, self.crs)
        placed = shapely.point_on_surface(wgs)  # a point is itself; a line or polygon a point on it
        located = self.zones.containing(placed)
        rows: list[AssetRow] = []
        for i, record in enumerate(batch.records):
            position = batch.positions[i]
            try:
                code = checked_text(record, self.columns.get("code"), "code", MAX_CODE, required=True)
                if i in refused:  # an unusable geometry, already refused: name the asset in it
                    refused[i] = replace(refused[i], params={**refused[i].params, "asset": code})
                    continue
                category_text = checked_text(record, self.columns.get("category"), "category", 64, required=True)
                category = find_category(self.categories, category_text)
                if category is None:
                    raise Refused("category", "unknown_category", value=category_text, categories=self.category_keys)
                name = checked_text(record, self.columns.get("name"), "name", MAX_NAME, required=False) or code
                zone_text = checked_text(record, self.columns.get("zone"), "zone", 120, required=False)
                if zone_text:
                    zone = self.zones.named(zone_text)
                    if zone is None:
                        raise Refused("zone", "unknown_zone", value=zone_text)
                else:
                    zone = located[i]
                    if zone is None:
                        raise Refused("geometry", "outside_zones")
            except Refused as exc:
                name_, code_, params = exc.refusal
                refused[i] = Refusal(position, name_, code_, {**params, "asset": text_value(record, self.columns.get("code"))})
                continue
            point = placed[i]
            rows.append(AssetRow(position, code, name, category, zone.id, round(point.y, 7), round(point.x, 7),
                                 outline_of(wgs[i]), wgs[i]))
        return rows, sorted(refused.values(), key=lambda r: r.feature)


@dataclass
class ZoneRow:
    position: int
    code: str
    name_zh: str
    name_en: str
    outline: dict[str, Any]
    bbox: dict[str, float]
    geometry: Any


class ZoneChecker:
    """Turns a batch of features into zone rows (polygons only) and refusals."""

    def __init__(self, columns: ColumnMap, crs: SourceCrs) -> None:
        self.columns = columns
        self.crs = crs

    def check(self, batch: Batch) -> tuple[list[ZoneRow], list[Refusal]]:
        wgs, refused = batch_geometries(batch, self.columns, self.crs)
        rows: list[ZoneRow] = []
        for i, record in enumerate(batch.records):
            try:
                code = checked_text(record, self.columns.get("code"), "code", MAX_ZONE_CODE, required=True)
                if i in refused:
                    continue
                name_zh = checked_text(record, self.columns.get("name_zh"), "name_zh", MAX_ZONE_NAME, required=False) or code
                name_en = checked_text(record, self.columns.get("name_en"), "name_en", MAX_ZONE_NAME, required=False) or name_zh
                geom = wgs[i]
                if shapely.get_type_id(geom) not in (3, 6):
                    raise Refused("geometry", "not_a_polygon")
                if not shapely.is_valid(geom):
                    geom = shapely.make_valid(geom)
            except Refused as exc:
                name_, code_, params = exc.refusal
                refused[i] = Refusal(batch.positions[i], name_, code_, {**params, "asset": text_value(record, self.columns.get("code"))})
                continue
            west, south, east, north = shapely.bounds(geom).tolist()
            rows.append(ZoneRow(batch.positions[i], code, name_zh, name_en, outline_of(geom) or {},
                                {"min_lat": south, "min_lon": west, "max_lat": north, "max_lon": east}, geom))
        return rows, sorted(refused.values(), key=lambda r: r.feature)
