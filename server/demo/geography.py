"""The demo site's shape: five zones strung along a river bank, and the assets inside them.

Geometry is laid out in metres on a local flat frame (fine over a few kilometres) and
converted to WGS 84 at the end. Outlines are GeoJSON, [lon, lat], closed rings.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point, Polygon

SITE_CODE = "RIVERSIDE"
SITE_NAME_ZH = "青龙滨江绿带"
SITE_NAME_EN = "Qinglong Riverside Green Belt"
SITE_TIMEZONE = "Asia/Shanghai"

# Where the bank starts (south end); the belt runs north-north-east from here.
ORIGIN_LAT, ORIGIN_LON = 32.088, 118.695
M_PER_DEG_LAT = 110_894.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(ORIGIN_LAT))

# code, zh, en, width of the belt in metres, per-category asset counts in CATEGORY_ORDER.
ZONE_SPECS: list[tuple[str, str, str, float, tuple[int, ...]]] = [
    ("Z1", "北段滨水步道", "North Promenade", 85.0, (14, 1, 8, 5, 2, 2, 7, 2, 18)),
    ("Z2", "樱花草坪", "Cherry Blossom Lawn", 120.0, (18, 1, 9, 7, 2, 2, 6, 2, 15)),
    ("Z3", "古树广场", "Heritage Tree Plaza", 110.0, (12, 5, 10, 6, 2, 2, 6, 3, 17)),
    ("Z4", "亲水平台", "Waterfront Terraces", 80.0, (13, 0, 8, 6, 3, 2, 6, 2, 18)),
    ("Z5", "南段林荫道", "South Boulevard", 95.0, (14, 1, 10, 5, 3, 2, 5, 1, 16)),
]
CATEGORY_ORDER = (
    "green_space", "heritage_tree", "tree_guard", "planter",
    "road_asphalt", "road_concrete", "sidewalk", "sculpture", "seating",
)
ZONE_LENGTH_M = 460.0   # along the bank
ZONE_GAP_M = 12.0       # a cross path between neighbouring zones
BANK_SETBACK_M = 6.0    # the water's edge is not part of any zone

ABBREVIATIONS = {
    "green_space": "GS", "heritage_tree": "HT", "tree_guard": "TG", "planter": "PL",
    "road_asphalt": "RA", "road_concrete": "RC", "sidewalk": "SW", "sculpture": "SC", "seating": "SE",
}
KINDS: dict[str, list[tuple[str, str]]] = {
    "green_space": [("草坪", "Lawn"), ("灌木丛", "Shrub bed"), ("绿篱", "Hedge"), ("花境", "Flower border"),
                    ("地被", "Ground cover")],
    "heritage_tree": [("古银杏", "Ancient ginkgo"), ("古香樟", "Ancient camphor"), ("古朴树", "Ancient hackberry"),
                      ("古榉树", "Ancient zelkova"), ("古枫杨", "Ancient wingnut")],
    "tree_guard": [("树池护栏", "Tree guard"), ("树箅子", "Tree grille")],
    "planter": [("花钵", "Planter bowl"), ("花架", "Flower stand")],
    "road_asphalt": [("沥青园路", "Asphalt path"), ("沥青养护车道", "Asphalt service lane")],
    "road_concrete": [("混凝土园路", "Concrete path"), ("混凝土停车场", "Concrete car park")],
    "sidewalk": [("人行道", "Sidewalk"), ("路缘石", "Curb")],
    "seating": [("木质长椅", "Wooden bench"), ("石凳", "Stone seat"), ("树池座椅", "Tree-pool seat")],
}
SCULPTURES = [
    ("江风", "River Wind"), ("白鹭", "Egrets"), ("渔歌", "Fisherman's Song"), ("帆影", "Sails"),
    ("青龙", "Azure Dragon"), ("月泊", "Moon Mooring"), ("芦苇", "Reeds"), ("归舟", "Homecoming Boat"),
    ("晨练", "Morning Exercise"), ("江豚", "Finless Porpoise"), ("潮声", "Tide"), ("石语", "Stone Talk"),
]


@dataclass(frozen=True)
class ZoneShape:
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    polygon: Polygon          # in lon/lat degrees, exactly the stored outline
    counts: tuple[int, ...]

    def outline(self) -> dict[str, Any]:
        return {"type": "Polygon", "coordinates": [[list(p) for p in self.polygon.exterior.coords]]}

    def bbox(self) -> dict[str, float]:
        min_lon, min_lat, max_lon, max_lat = self.polygon.bounds
        return {"min_lat": min_lat, "min_lon": min_lon, "max_lat": max_lat, "max_lon": max_lon}


@dataclass(frozen=True)
class AssetSpec:
    id: uuid.UUID
    zone: ZoneShape
    category: str
    code: str
    name: str
    lat: float
    lon: float
    qr_token: str


def rng_uuid(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID drawn from the demo's seeded generator (so reruns agree)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    return (round(ORIGIN_LON + x / M_PER_DEG_LON, 7), round(ORIGIN_LAT + y / M_PER_DEG_LAT, 7))


def offset_position(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    """`lat, lon` moved by metres east and north."""
    return (
        round(lat + north_m / M_PER_DEG_LAT, 7),
        round(lon + east_m / (111_320.0 * math.cos(math.radians(lat))), 7),
    )


def _bank(s: float) -> tuple[float, float, float, float]:
    """The bank at `s` metres from its south end: point (x, y) and unit heading (dx, dy).

    The heading wanders gently around 25° east of north, like a river reach.
    """
    step, x, y = 10.0, 0.0, 0.0
    travelled = 0.0
    while True:
        theta = math.radians(25.0 + 12.0 * math.sin(travelled / 650.0))
        dx, dy = math.sin(theta), math.cos(theta)
        if travelled + step >= s:
            rest = s - travelled
            return x + dx * rest, y + dy * rest, dx, dy
        x, y, travelled = x + dx * step, y + dy * step, travelled + step


def build_zones(rng: random.Random) -> list[ZoneShape]:
    """Five zones on the land side (east) of the bank, Z1 at the north end, not touching."""
    zones = []
    for i, (code, zh, en, width, counts) in enumerate(ZONE_SPECS):
        slot = len(ZONE_SPECS) - 1 - i  # the bank is measured from its south end
        start = slot * ZONE_LENGTH_M + ZONE_GAP_M / 2
        end = (slot + 1) * ZONE_LENGTH_M - ZONE_GAP_M / 2
        samples = [start + (end - start) * k / 6 for k in range(7)]
        phase = rng.uniform(0, 2 * math.pi)
        inner, outer = [], []
        for k, s in enumerate(samples):
            x, y, dx, dy = _bank(s)
            nx, ny = dy, -dx  # right of the heading: the land side
            # The far edge swells gently so zones do not look machine-cut.
            far = width * (1 + 0.1 * math.sin(phase + k * 0.9))
            inner.append(to_lonlat(x + nx * BANK_SETBACK_M, y + ny * BANK_SETBACK_M))
            outer.append(to_lonlat(x + nx * far, y + ny * far))
        ring = inner + outer[::-1] + inner[:1]
        polygon = Polygon(ring)
        assert polygon.is_valid, code
        zones.append(ZoneShape(rng_uuid(rng), code, zh, en, polygon, counts))
    return zones


def _point_inside(rng: random.Random, polygon: Polygon) -> tuple[float, float]:
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    while True:
        lon = round(rng.uniform(min_lon, max_lon), 7)
        lat = round(rng.uniform(min_lat, max_lat), 7)
        if polygon.contains(Point(lon, lat)):
            return lat, lon


def build_assets(rng: random.Random, zones: list[ZoneShape]) -> list[AssetSpec]:
    """Every zone's assets, placed at random points inside its outline."""
    assets, tokens = [], set()
    sculptures = iter(SCULPTURES * 3)
    for zone in zones:
        for category, count in zip(CATEGORY_ORDER, zone.counts):
            for n in range(1, count + 1):
                if category == "sculpture":
                    zh, en = next(sculptures)
                    name = f"雕塑《{zh}》 Sculpture “{en}”"
                else:
                    zh, en = rng.choice(KINDS[category])
                    name = f"{zone.name_zh}{zh}{n:02d}号 {en} {zone.code}-{n}"
                lat, lon = _point_inside(rng, zone.polygon)
                token = f"{rng.getrandbits(64):016x}"
                while token in tokens:
                    token = f"{rng.getrandbits(64):016x}"
                tokens.add(token)
                code = f"{zone.code}-{ABBREVIATIONS[category]}-{n:03d}"
                assets.append(AssetSpec(rng_uuid(rng), zone, category, code, name, lat, lon, token))
    return assets


def site_centre(zones: list[ZoneShape]) -> tuple[float, float]:
    """The middle of all zones' bounds, as (lat, lon)."""
    bounds = [z.polygon.bounds for z in zones]
    lon = (min(b[0] for b in bounds) + max(b[2] for b in bounds)) / 2
    lat = (min(b[1] for b in bounds) + max(b[3] for b in bounds)) / 2
    return round(lat, 7), round(lon, 7)
