"""A zone's outline from GeoJSON text or an uploaded GeoJSON file, checked with Shapely."""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry import mapping, shape

from server.admin.fields import Form

MAX_OUTLINE_BYTES = 2_000_000  # a park's outline is kilobytes; a bigger "outline" is a mistake


def _geometry_of(data: Any) -> Any:
    """The geometry of a GeoJSON geometry, Feature, or FeatureCollection of one feature."""
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise ValueError("adminf.outline_one_feature")
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError("adminf.outline_not_polygon")
    return data


def parse_outline(form: Form, text: str, name: str = "outline") -> tuple[dict[str, Any], tuple[float, ...]] | None:
    """The outline as GeoJSON (lon, lat, WGS 84) and its bounds, or None with the problem noted."""
    if len(text.encode()) > MAX_OUTLINE_BYTES:
        form.add(name, "adminf.too_long", max=MAX_OUTLINE_BYTES)
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        form.add(name, "adminf.outline_not_json")
        return None
    try:
        geometry = shape(_geometry_of(data))
    except ValueError as exc:
        key = str(exc) if str(exc).startswith("adminf.") else "adminf.outline_not_polygon"
        form.add(name, key)
        return None
    except (TypeError, KeyError, IndexError, AttributeError, shapely.errors.ShapelyError):
        form.add(name, "adminf.outline_not_polygon")
        return None
    if geometry.is_empty:
        form.add(name, "adminf.outline_not_polygon")
        return None
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        form.add(name, "adminf.outline_off_planet")
        return None
    if not geometry.is_valid:
        form.add(name, "adminf.outline_invalid", reason=shapely.is_valid_reason(geometry))
        return None
    return json.loads(json.dumps(mapping(geometry))), (min_lat, min_lon, max_lat, max_lon)


def outline_json(outline: dict[str, Any]) -> str:
    """An outline as the edit form shows it."""
    return json.dumps(outline, ensure_ascii=False)
