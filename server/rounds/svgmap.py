"""The emergency round's map: zone outlines and the covered assets as points, green when
inspected since the start, red when not yet. Server-drawn SVG: no tile server, no script."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape

WIDTH = 640.0


def emergency_map(zones: Sequence[Any], assets: Sequence[Any], label: str = "") -> Markup:
    """An SVG of the zones' outlines with each asset a dot (`data-state` done / open)."""
    lats = [z.min_lat for z in zones] + [z.max_lat for z in zones] + [a.lat for a in assets]
    lons = [z.min_lon for z in zones] + [z.max_lon for z in zones] + [a.lon for a in assets]
    if not lats:
        return Markup("")
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * squeeze, 1e-6)
    span_y = max(north - south, 1e-6)
    height = max(min(WIDTH * span_y / span_x, 900.0), 120.0)
    pad = 10.0

    def xy(lat: float, lon: float) -> tuple[float, float]:
        x = pad + (lon - west) * squeeze / span_x * (WIDTH - 2 * pad)
        y = pad + (north - lat) / span_y * (height - 2 * pad)
        return round(x, 1), round(y, 1)

    # role=img needs a name (axe svg-img-alt): the page says what the picture is.
    parts = [f'<svg class="rounds-map" viewBox="0 0 {WIDTH:g} {height:.0f}" role="img" '
             f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">']
    for z in zones:
        geometry = z.outline or {}
        polygons = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            for ring in polygon[:1]:
                points = " ".join(f"{x},{y}" for x, y in (xy(lat, lon) for lon, lat in ring))
                parts.append(f'<polygon points="{points}" fill="#eef5ee" stroke="#1f6f43" stroke-width="1.5"/>')
    for a in assets:
        x, y = xy(a.lat, a.lon)
        state = "done" if a.done_at else "open"
        colour = "#1f8f4a" if a.done_at else "#c62828"
        parts.append(f'<circle cx="{x}" cy="{y}" r="4" fill="{colour}" data-state="{state}" '
                     f'data-code="{escape(a.code)}"><title>{escape(a.code)} · {escape(a.name)}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
