"""The trend chart and the defect map: geometry once, drawn as SVG (pages) or in the PDF.

Both are laid out here in plain numbers (a chart box of `WIDTH` × `HEIGHT` units); `svg_*`
turns the layout into an accessible SVG (title, desc, labelled axes), and the PDF report
draws the very same layout with its own pen (pdf.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from server.scoring.queries import MapDefect, MapZone
from server.scoring.service import TrendPoint

WIDTH, HEIGHT = 640.0, 300.0
PLOT = (52.0, 34.0, 624.0, 252.0)   # left, top, right, bottom

# Colours chosen to stay apart for the common colour-vision deficiencies (Okabe–Ito).
SERIES = (
    ("score", "#000000", 2.5, ""),
    ("compliance", "#0072B2", 1.5, ""),
    ("timeliness", "#E69F00", 1.5, "6 3"),
    ("coverage", "#009E73", 1.5, "2 3"),
)
SEVERITY_COLOURS = {"urgent": "#D55E00", "high": "#E69F00", "normal": "#0072B2", "low": "#7F7F7F"}
ZONE_FILLS = ("#E8F3EC", "#EAF1F8", "#FBF3E4", "#F3ECF6", "#EEF6F6", "#F6F0EA")


@dataclass
class Line:
    key: str
    colour: str
    width: float
    dash: str
    points: list[tuple[float, float] | None]
    values: list[float | None]


@dataclass
class TrendLayout:
    months: list[str]
    xs: list[float]
    y_ticks: list[tuple[float, int]]
    bands: list[tuple[float, float]]         # (y, min_score) of each payment band above 0
    lines: list[Line] = field(default_factory=list)

    @staticmethod
    def y_of(value: float) -> float:
        left, top, right, bottom = PLOT
        return bottom - (bottom - top) * value / 100.0


def trend_layout(points: Sequence[TrendPoint], band_minimums: Sequence[float] = ()) -> TrendLayout:
    """Place 12 months on the x axis and 0–100 on the y axis; one line per figure."""
    left, top, right, bottom = PLOT
    n = max(len(points), 1)
    step = (right - left) / n
    xs = [left + step * (i + 0.5) for i in range(len(points))]
    layout = TrendLayout(
        months=[str(p.month) for p in points], xs=xs,
        y_ticks=[(TrendLayout.y_of(v), v) for v in range(0, 101, 20)],
        bands=[(TrendLayout.y_of(float(m)), float(m)) for m in band_minimums if 0 < m < 100],
    )
    for key, colour, width, dash in SERIES:
        values: list[float | None] = []
        for p in points:
            f = p.figures
            value = None if f is None else getattr(f, key)
            if value is not None and key != "score":
                value = value * 100
            if f is not None and f.score is None:
                value = None  # a month without a score (no assets, no inspections) is a gap in every line
            values.append(None if value is None else float(value))
        line_points = [None if v is None else (x, TrendLayout.y_of(v)) for x, v in zip(xs, values)]
        layout.lines.append(Line(key, colour, width, dash, line_points, values))
    return layout


def segments(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive known points (a month without a value breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def text_width(text: str, size: float = 11.0) -> float:
    """A rough width of `text` in SVG units: CJK characters are about twice as wide as Latin ones."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def svg_trend(layout: TrendLayout, t: Callable[..., str], scope_label: str, chart_id: str = "trend") -> Markup:
    """The trend as an SVG that reads without JavaScript: title, desc, labelled axes, legend."""
    left, top, right, bottom = PLOT
    title = t("scoring.trend_title", scope=scope_label)
    described = "; ".join(
        f"{m}: {t('scoring.score')} {_fmt(layout.lines[0].values[i])}" for i, m in enumerate(layout.months)
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="trend-chart" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" font-family="sans-serif" font-size="11">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(t("scoring.trend_desc"))} {escape(described)}</desc>',
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="#ffffff" stroke="#999999"/>',
    ]
    for y, value in layout.y_ticks:
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#333333">{value}</text>')
    for y, minimum in layout.bands:
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#b0b0b0" stroke-dasharray="1 3"/>')
        out.append(f'<text x="{right - 2}" y="{y - 2:.1f}" text-anchor="end" fill="#777777" font-size="9">'
                   f'{escape(t("scoring.band_line", score=f"{minimum:g}"))}</text>')
    for x, month in zip(layout.xs, layout.months):
        out.append(f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" fill="#333333" font-size="10">'
                   f'{escape(month[2:])}</text>')
    out.append(f'<text x="{(left + right) / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" fill="#000000">'
               f'{escape(t("scoring.axis_month"))}</text>')
    out.append(f'<text x="14" y="{(top + bottom) / 2:.1f}" text-anchor="middle" fill="#000000" '
               f'transform="rotate(-90 14 {(top + bottom) / 2:.1f})">{escape(t("scoring.axis_value"))}</text>')
    for line in layout.lines:
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        for run in segments(line.points):
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            if len(run) > 1:
                out.append(f'<polyline points="{d}" fill="none" stroke="{line.colour}" stroke-width="{line.width}"{dash}/>')
        if line.key == "score":
            for point, month, score in zip(line.points, layout.months, line.values):
                if point is not None:
                    out.append(f'<circle cx="{point[0]:.1f}" cy="{point[1]:.1f}" r="3.5" fill="{line.colour}">'
                               f'<title>{escape(month)}: {escape(t("scoring.score"))} {_fmt(score)}</title></circle>')
    x = left
    for line in layout.lines:
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        out.append(f'<line x1="{x:.1f}" y1="16" x2="{x + 22:.1f}" y2="16" stroke="{line.colour}" '
                   f'stroke-width="{line.width}"{dash}/>')
        label = t(f"scoring.{line.key}")
        out.append(f'<text x="{x + 26:.1f}" y="20" fill="#000000">{escape(label)}</text>')
        x += 40 + text_width(label)
    out.append("</svg>")
    return Markup("\n".join(out))


# -- the defect map ---------------------------------------------------------------------------

@dataclass
class MapLayout:
    width: float
    height: float
    zones: list[tuple[MapZone, list[list[tuple[float, float]]], tuple[float, float]]]  # zone, rings, label point
    defects: list[tuple[MapDefect, float, float]]


def map_layout(zones: Sequence[MapZone], defects: Sequence[MapDefect], width: float = 640.0,
               max_height: float = 420.0, margin: float = 12.0) -> MapLayout:
    """Fit the zone outlines (and defects) in the box; longitude shrunk by cos(latitude)."""
    lons = [x for z in zones for ring in z.rings for x, _ in ring] + [d.lon for d in defects]
    lats = [y for z in zones for ring in z.rings for _, y in ring] + [d.lat for d in defects]
    if not lons:
        return MapLayout(width, 120.0, [], [])
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    shrink = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * shrink, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    scale = min((width - 2 * margin) / span_x, (max_height - 2 * margin) / span_y)
    height = span_y * scale + 2 * margin

    def project(lon: float, lat: float) -> tuple[float, float]:
        return margin + (lon - min_lon) * shrink * scale, margin + (max_lat - lat) * scale

    placed = []
    for zone in zones:
        rings = [[project(x, y) for x, y in ring] for ring in zone.rings]
        outer = rings[0] if rings else [(0.0, 0.0)]
        cx = sum(p[0] for p in outer) / len(outer)
        cy = sum(p[1] for p in outer) / len(outer)
        placed.append((zone, rings, (cx, cy)))
    return MapLayout(width, height, placed, [(d, *project(d.lon, d.lat)) for d in defects])


def svg_map(layout: MapLayout, t: Callable[..., str], lang: str, map_id: str = "defect-map") -> Markup:
    """The month's defects on the zone outlines, coloured by severity, with a legend."""
    counts = {s: sum(1 for d, _, _ in layout.defects if d.severity == s) for s in SEVERITY_COLOURS}
    legend_h = 22.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {layout.width:g} {layout.height + legend_h:.1f}" '
        f'role="img" aria-labelledby="{map_id}-title {map_id}-desc" class="defect-map" width="100%" '
        f'font-family="sans-serif" font-size="11">',
        f'<title id="{map_id}-title">{escape(t("scoring.map_title"))}</title>',
        f'<desc id="{map_id}-desc">{escape(t("scoring.map_desc", n=len(layout.defects)))} '
        + escape("; ".join(f"{t('severity.' + s)}: {n}" for s, n in counts.items())) + "</desc>",
    ]
    for i, (zone, rings, (cx, cy)) in enumerate(layout.zones):
        d = " ".join("M " + " L ".join(f"{x:.1f} {y:.1f}" for x, y in ring) + " Z" for ring in rings if ring)
        name = zone.name_zh if lang == "zh" else zone.name_en
        out.append(f'<path d="{d}" fill="{ZONE_FILLS[i % len(ZONE_FILLS)]}" stroke="#2f5f3f" stroke-width="1.2" '
                   f'fill-rule="evenodd"><title>{escape(zone.code)} {escape(name)}</title></path>')
        out.append(f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle" fill="#2f5f3f" font-weight="bold">'
                   f'{escape(zone.code)}</text>')
    for defect, x, y in layout.defects:
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{SEVERITY_COLOURS.get(defect.severity, "#000")}" '
                   f'stroke="#ffffff" stroke-width="0.6"/>')
    x = 12.0
    for severity, colour in SEVERITY_COLOURS.items():
        label = f"{t('severity.' + severity)} ({counts[severity]})"
        out.append(f'<circle cx="{x + 4:.1f}" cy="{layout.height + 11:.1f}" r="4" fill="{colour}"/>')
        out.append(f'<text x="{x + 12:.1f}" y="{layout.height + 15:.1f}" fill="#000000">{escape(label)}</text>')
        x += 24 + text_width(label)
    out.append("</svg>")
    return Markup("\n".join(out))
