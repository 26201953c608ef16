"""Coordinates to WGS 84: whatever CRS a file declares (pyproj), or the two Chinese web-map
datums, GCJ-02 and BD-09, which no EPSG code describes.

GCJ-02 and BD-09 are converted with the published formulas (the forward WGS 84 → GCJ-02
offset, inverted here by fixed-point iteration to well under a centimetre).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

WEB_DATUMS = ("gcj02", "bd09")
WGS84 = CRS.from_epsg(4326)
DECIMALS = 7  # about 1 cm on the ground: what the register keeps (and what makes reruns compare equal)

_A = 6378245.0
_EE = 0.00669342162296594323


class CrsProblem(ValueError):
    """A CRS that cannot be used: unknown, or none at all where one is needed."""


@dataclass(frozen=True)
class SourceCrs:
    """Where a file's coordinates come from: a pyproj CRS, or a web datum name."""

    crs: CRS | None = None
    web: str | None = None

    @property
    def label(self) -> str:
        if self.web:
            return self.web
        assert self.crs is not None
        auth = self.crs.to_authority()
        return f"{auth[0]}:{auth[1]}" if auth else self.crs.name

    def to_wgs84(self, geometries: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """The same geometries in WGS 84 (lon, lat), rounded to DECIMALS."""
        if self.web == "gcj02":
            out = shapely.transform(geometries, _gcj02_to_wgs84)
        elif self.web == "bd09":
            out = shapely.transform(geometries, lambda xy: _gcj02_to_wgs84(_bd09_to_gcj02(xy)))
        elif self.crs is not None and not self.crs.equals(WGS84, ignore_axis_order=True):
            transformer = _transformer(self.crs.to_wkt())
            out = shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
        else:
            out = geometries
        return shapely.transform(out, lambda xy: np.round(xy, DECIMALS))


def parse_crs(text: str) -> SourceCrs:
    """`--crs`: `gcj02`, `bd09`, `EPSG:4527`, `4527` or any definition pyproj reads."""
    value = text.strip()
    if value.lower().replace("-", "") in WEB_DATUMS:
        return SourceCrs(web=value.lower().replace("-", ""))
    try:
        return SourceCrs(crs=CRS.from_user_input(int(value) if value.isdigit() else value))
    except CRSError:
        raise CrsProblem(f"unknown coordinate reference system: {text!r} (try EPSG:4527, gcj02 or bd09)") from None


def declared_crs(definition: str | None) -> SourceCrs | None:
    """The CRS a file declares (as GDAL reports it), or None when it declares none."""
    if not definition:
        return None
    try:
        return SourceCrs(crs=CRS.from_user_input(definition))
    except CRSError:
        raise CrsProblem(f"the file declares a coordinate reference system pyproj cannot read: {definition[:80]}") from None


@lru_cache(maxsize=16)
def _transformer(wkt: str) -> Transformer:
    return Transformer.from_crs(CRS.from_wkt(wkt), WGS84, always_xy=True)


def _out_of_china(lon: np.ndarray[Any, Any], lat: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _offset(lon: np.ndarray[Any, Any], lat: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The published GCJ-02 offset (degrees) at a WGS 84 position."""
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(xy: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The published forward conversion (used by the tests and to invert it)."""
    dlon, dlat = _offset(xy[:, 0], xy[:, 1])
    return np.column_stack([xy[:, 0] + dlon, xy[:, 1] + dlat])


def _gcj02_to_wgs84(xy: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    guess = xy.astype(float).copy()
    for _ in range(6):  # each step gains ~3 orders of magnitude; 6 is far below a millimetre
        guess = guess - (wgs84_to_gcj02(guess) - xy)
    return guess


_X_PI = math.pi * 3000.0 / 180.0


def wgs84_to_bd09(xy: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """WGS 84 → GCJ-02 → BD-09 (the published formula), for the tests."""
    g = wgs84_to_gcj02(xy)
    x, y = g[:, 0], g[:, 1]
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return np.column_stack([z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006])


def _bd09_to_gcj02(xy: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    x, y = xy[:, 0] - 0.0065, xy[:, 1] - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return np.column_stack([z * np.cos(theta), z * np.sin(theta)])
