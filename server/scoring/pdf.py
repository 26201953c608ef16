"""The printable monthly report: A4, headings in Chinese and English, made with fpdf2.

fpdf2 is pure Python; Chinese needs a CJK font, found on the machine (Debian's
fonts-noto-cjk: Noto Sans CJK SC inside NotoSansCJK-*.ttc). No font, no PDF: the
report says so with a clear error instead of printing empty boxes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import string
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools import ttLib
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import newTable
from fpdf import FPDF
from fpdf.fonts import FontFace

from server.core.i18n import LANGUAGES, catalogue, translate
from server.scoring import formatting as fmt
from server.scoring.charts import HEIGHT, PLOT, SEVERITY_COLOURS, WIDTH, ZONE_FILLS, MapLayout, TrendLayout, segments
from server.scoring.figures import Figures

# (regular, bold, index of Simplified Chinese inside a collection)
FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "", 0),
)
FONT = "cjk"
MARGIN = 12.0
PAGE_W = 210.0


class NoCjkFont(RuntimeError):
    """No font that can write Chinese was found (install Debian's fonts-noto-cjk)."""


@lru_cache(maxsize=1)
def find_cjk_font() -> tuple[str, str, int]:
    """(regular, bold or "", collection index) of a CJK font on this machine."""
    for regular, bold, index in FONT_CANDIDATES:
        if Path(regular).is_file():
            return regular, bold if bold and Path(bold).is_file() else "", index
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", "Noto Sans CJK SC:lang=zh-cn"],
                               capture_output=True, text=True, check=False).stdout.split("\n")
        if found and found[0] and Path(found[0]).is_file() and "CJK" in found[0]:
            return found[0], "", int(found[1] or 0) if len(found) > 1 and found[1].isdigit() else 0
    raise NoCjkFont("no CJK font found: install Debian's fonts-noto-cjk")


# The characters every report may write besides its own names: the words of the report's
# catalogue keys, the ones written in this file, ASCII and a few signs.
REPORT_KEY_PREFIXES = ("scoring.", "severity.")
FIXED_TEXT = "fieldcheck · 第 页 Page 得分 = 100 × ( + ) 合规率 及时率 覆盖率 compliance timeliness coverage ≥ — * ; %"
SUBSETS_KEPT = 8


@lru_cache(maxsize=1)
def _base_chars() -> frozenset[str]:
    chars = set(string.printable) | set(FIXED_TEXT)
    for lang in LANGUAGES:
        for key, entry in catalogue(lang).items():
            if key.startswith(REPORT_KEY_PREFIXES):
                for text in entry.values() if isinstance(entry, dict) else (entry,):
                    chars |= set(text)
    return frozenset(chars)


def _strings(value: object) -> Iterator[str]:
    """Every string inside the report's input (names, codes, months, labels)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def _report_strings(report: ReportInput) -> Iterator[str]:
    """The report's own words: every string of its input but the drawings' numbers (the
    map's defects are tens of thousands), then the months and zone codes they show."""
    for f in dataclasses.fields(report):
        if f.name not in ("trend", "map"):
            yield from _strings(getattr(report, f.name))
    yield from report.trend.months
    yield from (zone.code for zone, _, _ in report.map.zones)


class _FontSubsets:
    """The CJK font cut down to the characters of a report, kept for the next reports.

    fpdf2 reads the whole face of the collection (65,535 glyphs) for every document, and
    subsets it again when writing: 2.5-4.5 s of CPU a report. A face of the few hundred
    characters a site's reports use takes milliseconds to read and write. The cut is made
    once per character set (a site's names and the report's words, the same month after
    month) and kept in a temporary folder while the process runs; a report that writes a
    character outside it is drawn again with the whole font (`render_pdf`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._made: dict[frozenset[str], tuple[str, str]] = {}

    def faces(self, chars: frozenset[str]) -> tuple[str, str]:
        """(regular, bold) font files holding `chars`."""
        with self._lock:  # a report per worker thread at a time: one cut of each set
            found = self._made.get(chars)
            if found is None:
                if self._folder is None:
                    self._folder = tempfile.TemporaryDirectory(prefix="fieldcheck-fonts-")
                regular, bold, index = find_cjk_font()
                name = hashlib.sha256("".join(sorted(chars)).encode()).hexdigest()[:16]
                found = tuple(self._cut(path, index, chars, Path(self._folder.name) / f"{name}-{style}.otf")
                              for style, path in (("r", regular), ("b", bold or regular)))  # type: ignore[assignment]
                if len(self._made) >= SUBSETS_KEPT:
                    self._made.pop(next(iter(self._made)))
                self._made[chars] = found  # type: ignore[assignment]
            return found  # type: ignore[return-value]

    @staticmethod
    def _cut(path: str, index: int, chars: frozenset[str], out: Path) -> str:
        font = ttLib.TTFont(path, fontNumber=index, lazy=False, recalcTimestamp=False)
        options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[])
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "VORG"]  # the PDF does no text shaping
        subsetter = ftsubset.Subsetter(options)
        subsetter.populate(unicodes=sorted({ord(c) for c in chars}))
        subsetter.subset(font)
        if "CFF " in font:
            _to_truetype(font)
        font.save(out)
        return str(out)


def _to_truetype(font: ttLib.TTFont) -> None:
    """CFF outlines to TrueType ones (quadratic curves within 1 unit of the 1,000-unit em,
    fontTools' Snippets/otf2ttf.py): writing the PDF then copies TrueType glyphs as they
    are, where CFF ones are run and compiled again (seconds of CPU for a few hundred)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    del font["CFF "]
    glyf.compile(font)
    metrics = font["hmtx"].metrics
    for name in order:
        width = metrics[name][0]
        metrics[name] = (width, getattr(glyphs[name], "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping, post.glyphOrder = 2.0, [], {}, order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


_subsets = _FontSubsets()


def both(key: str, **params: object) -> str:
    """A label in Chinese then English: "覆盖率 Coverage"."""
    return f"{translate('zh', key, **params)} {translate('en', key, **params)}"


@dataclass
class ReportInput:
    """Everything the PDF shows, prepared by the caller (no database access here)."""

    site_zh: str
    site_en: str
    month: str
    status: str                 # closed | final | provisional
    scoring_version: str
    standards_version: str | None
    weights: dict[str, float]
    summary: Figures
    sections: list[tuple[str, list[Figures]]]     # (message key of the heading, rows)
    trend: TrendLayout
    trend_scope: str
    map: MapLayout
    generated_at: str
    closed_by: str | None = None
    closed_at: str | None = None


class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7)
        self.set_text_color(110)
        self.cell(0, 5, f"fieldcheck · 第 {self.page_no()} 页 Page {self.page_no()}", align="C")


def render_pdf(report: ReportInput) -> bytes:
    """The report as PDF bytes, written with the CJK font cut to the report's characters
    (drawn again with the whole font if it wrote one outside them)."""
    chars = _base_chars() | frozenset(c for text in _report_strings(report) for c in text)
    small_regular, small_bold = _subsets.faces(chars)
    pdf = _draw(report, small_regular, small_bold, 0)
    if any(getattr(font, "missing_glyphs", None) for font in pdf.fonts.values()):
        regular, bold, index = find_cjk_font()
        pdf = _draw(report, regular, bold or regular, index)
    return bytes(pdf.output())


def _draw(report: ReportInput, regular: str, bold: str, index: int) -> FPDF:
    pdf = _Report(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_font(FONT, "", regular, collection_font_number=index)
    pdf.add_font(FONT, "B", bold, collection_font_number=index)
    pdf.set_title(f"{translate('en', 'scoring.report_title')} {report.month}")
    pdf.set_lang("zh-CN")
    pdf.add_page()
    _header(pdf, report)
    _summary(pdf, report)
    for key, rows in report.sections:
        if rows:
            _heading(pdf, both(key))
            _table(pdf, rows)
    _heading(pdf, f"{both('scoring.trend_heading')} · {report.trend_scope}", need=95)
    _trend(pdf, report.trend)
    map_h = report.map.height * (PAGE_W - 2 * MARGIN) / report.map.width
    _heading(pdf, both("scoring.map_title"), need=min(map_h, 200) + 20)
    _map(pdf, report.map)
    return pdf


def _heading(pdf: FPDF, text: str, need: float = 30) -> None:
    if pdf.get_y() + need > pdf.h - 16:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(FONT, "B", 11.5)
    pdf.set_text_color(20, 70, 40)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)


def _header(pdf: FPDF, r: ReportInput) -> None:
    pdf.set_font(FONT, "B", 17)
    pdf.cell(0, 9, both("scoring.report_title"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10.5)
    pdf.cell(0, 6, f"{r.site_zh} {r.site_en} · {r.month} · {both('scoring.status_' + r.status)}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(80)
    lines = [
        f"{both('scoring.scoring_version')}: {r.scoring_version} · {both('scoring.standards_version')}: "
        f"{r.standards_version or '—'} · {both('scoring.generated_at')}: {r.generated_at}",
    ]
    if r.closed_at:
        lines.append(f"{both('scoring.closed_by')}: {r.closed_by} · {r.closed_at}")
    w = r.weights
    lines.append(
        f"得分 = 100 × ({w['compliance']:g} × 合规率 + {w['timeliness']:g} × 及时率 + {w['coverage']:g} × 覆盖率)   "
        f"Score = 100 × ({w['compliance']:g} × compliance + {w['timeliness']:g} × timeliness + "
        f"{w['coverage']:g} × coverage)"
    )
    for line in lines:
        pdf.cell(0, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(2)


def _summary(pdf: FPDF, r: ReportInput) -> None:
    f = r.summary
    boxes = [
        ("scoring.score", fmt.score(f.score)),
        ("scoring.payment", fmt.payment(f.payment_pct)),
        ("scoring.compliance", fmt.percent(f.compliance)),
        ("scoring.timeliness", fmt.percent(f.timeliness)),
        ("scoring.coverage", fmt.percent(f.coverage)),
        ("scoring.clause_pass_rate", fmt.percent(f.clause_pass_rate)),
    ]
    width = (PAGE_W - 2 * MARGIN) / len(boxes)
    x0, y0 = pdf.get_x(), pdf.get_y()
    pdf.set_draw_color(180)
    pdf.set_line_width(0.2)
    for i, (key, value) in enumerate(boxes):
        x = x0 + i * width
        pdf.set_fill_color(238, 243, 239)
        pdf.rect(x + 0.8, y0, width - 1.6, 19, style="DF")
        pdf.set_xy(x + 0.8, y0 + 1.2)
        pdf.set_font(FONT, "", 7)
        pdf.cell(width - 1.6, 3.6, translate("zh", key), align="C", new_x="LEFT", new_y="NEXT")
        pdf.cell(width - 1.6, 3.6, translate("en", key), align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_font(FONT, "B", 12.5)
        pdf.cell(width - 1.6, 8, value, align="C")
    pdf.set_xy(x0, y0 + 21)
    notes = _notes(f)
    if notes:
        pdf.set_font(FONT, "", 8)
        pdf.cell(0, 4.5, notes, new_x="LMARGIN", new_y="NEXT")


def _notes(f: Figures) -> str:
    return " · ".join(both(f"scoring.note_{n}") for n in f.notes)


COLUMNS = (
    ("scoring.scope", 42.0, "LEFT"),
    ("scoring.assets", 12.0, "RIGHT"),
    ("scoring.inspected", 15.0, "RIGHT"),
    ("scoring.coverage", 16.0, "RIGHT"),
    ("scoring.compliance", 18.0, "RIGHT"),
    ("scoring.clause_pass_rate", 18.0, "RIGHT"),
    ("scoring.orders_due", 14.0, "RIGHT"),
    ("scoring.timeliness", 18.0, "RIGHT"),
    ("scoring.score", 14.0, "RIGHT"),
    ("scoring.payment", 19.0, "RIGHT"),
)


def _table(pdf: FPDF, rows: list[Figures]) -> None:
    pdf.set_font(FONT, "", 7.5)
    pdf.set_draw_color(200)
    pdf.set_fill_color(255)  # body cells unfilled (the summary's fill colour must not leak in)
    headings = FontFace(emphasis="BOLD", fill_color=(232, 240, 234))
    starred = False
    with pdf.table(col_widths=[c[1] for c in COLUMNS], text_align=[c[2] for c in COLUMNS],
                   headings_style=headings, line_height=3.8, padding=0.8, first_row_as_headings=True,
                   width=PAGE_W - 2 * MARGIN) as table:
        head = table.row()
        for key, _, _ in COLUMNS:
            head.cell(f"{translate('zh', key)}\n{translate('en', key)}")
        for f in rows:
            row = table.row()
            name = f.code if f.kind == "category" and f.name_zh == f.code else f"{f.code} {f.name_zh}"
            if f.kind == "category":
                name = f"{f.name_zh} {f.name_en}"
            elif f.name_en and f.name_en != f.name_zh:
                name += f" {f.name_en}"
            notes = [both(f"scoring.note_{n}") for n in f.notes if n in ("no_assets", "no_inspections")]
            row.cell(name + ("\n" + "; ".join(notes) if notes else ""))
            timeliness = fmt.percent(f.timeliness)
            if "no_orders_due" in f.notes:
                timeliness += " *"
                starred = True
            for value in (str(f.assets), str(f.inspected), fmt.percent(f.coverage), fmt.percent(f.compliance),
                          fmt.percent(f.clause_pass_rate), str(f.orders_due), timeliness,
                          fmt.score(f.score), fmt.payment(f.payment_pct)):
                row.cell(value)
    pdf.set_draw_color(0)
    if starred:
        pdf.set_font(FONT, "", 7)
        pdf.cell(0, 4.5, f"* {both('scoring.note_no_orders_due')}", new_x="LMARGIN", new_y="NEXT")


def _trend(pdf: FPDF, layout: TrendLayout) -> None:
    scale = (PAGE_W - 2 * MARGIN) / WIDTH
    ox, oy = MARGIN, pdf.get_y() + 1

    def at(x: float, y: float) -> tuple[float, float]:
        return ox + x * scale, oy + y * scale

    left, top, right, bottom = PLOT
    pdf.set_line_width(0.15)
    pdf.set_draw_color(225)
    pdf.set_font(FONT, "", 6.5)
    for y, value in layout.y_ticks:
        pdf.line(*at(left, y), *at(right, y))
        tx, ty = at(left - 4, y)
        pdf.text(tx - pdf.get_string_width(str(value)), ty + 1, str(value))
    pdf.set_draw_color(150)
    for y, minimum in layout.bands:
        with pdf.local_context():
            pdf.set_dash_pattern(0.4, 1.0)
            pdf.line(*at(left, y), *at(right, y))
        label = f"≥ {minimum:g}"
        tx, ty = at(right - 2, y - 2)
        pdf.text(tx - pdf.get_string_width(label), ty, label)
    pdf.set_draw_color(120)
    x0, y0 = at(left, top)
    x1, y1 = at(right, bottom)
    pdf.rect(x0, y0, x1 - x0, y1 - y0)
    for x, month in zip(layout.xs, layout.months):
        tx, ty = at(x, bottom + 13)
        pdf.text(tx - pdf.get_string_width(month[2:]) / 2, ty, month[2:])
    pdf.set_font(FONT, "", 7)
    label = both("scoring.axis_month")
    tx, ty = at((left + right) / 2, HEIGHT - 6)
    pdf.text(tx - pdf.get_string_width(label) / 2, ty, label)
    label = both("scoring.axis_value")
    tx, ty = at(16, (top + bottom) / 2)
    with pdf.rotation(90, tx, ty):
        pdf.text(tx - pdf.get_string_width(label) / 2, ty, label)
    for line in layout.lines:
        pdf.set_draw_color(line.colour)
        pdf.set_fill_color(line.colour)
        pdf.set_line_width(line.width * scale * 0.9)
        with pdf.local_context():
            if line.dash:
                dash, gap = (float(v) * scale for v in line.dash.split())
                pdf.set_dash_pattern(dash, gap)
            for run in segments(line.points):
                if len(run) > 1:
                    pdf.polyline([at(x, y) for x, y in run])
        if line.key == "score":
            for point in line.points:
                if point is not None:
                    cx, cy = at(*point)
                    pdf.circle(cx, cy, 0.9, style="F")
    # legend
    x = left
    pdf.set_font(FONT, "", 7)
    for line in layout.lines:
        lx, ly = at(x, 16)
        pdf.set_draw_color(line.colour)
        pdf.set_line_width(line.width * scale * 0.9)
        with pdf.local_context():
            if line.dash:
                dash, gap = (float(v) * scale for v in line.dash.split())
                pdf.set_dash_pattern(dash, gap)
            pdf.line(lx, ly, lx + 22 * scale, ly)
        text = both(f"scoring.{line.key}")
        pdf.text(lx + 25 * scale, ly + 1.1, text)
        x += 30 + pdf.get_string_width(text) / scale
    pdf.set_draw_color(0)
    pdf.set_line_width(0.2)
    pdf.set_y(oy + HEIGHT * scale + 2)


def _map(pdf: FPDF, layout: MapLayout) -> None:
    scale = (PAGE_W - 2 * MARGIN) / layout.width
    if layout.height * scale > pdf.h - pdf.get_y() - 22:
        scale = (pdf.h - pdf.get_y() - 22) / layout.height
    ox, oy = MARGIN, pdf.get_y() + 1

    def at(x: float, y: float) -> tuple[float, float]:
        return ox + x * scale, oy + y * scale

    pdf.set_line_width(0.3)
    pdf.set_font(FONT, "B", 8)
    for i, (zone, rings, (cx, cy)) in enumerate(layout.zones):
        pdf.set_fill_color(ZONE_FILLS[i % len(ZONE_FILLS)])
        pdf.set_draw_color(47, 95, 63)
        for ring in rings:
            if len(ring) > 2:
                pdf.polygon([at(x, y) for x, y in ring], style="DF")
        tx, ty = at(cx, cy)
        pdf.set_text_color(47, 95, 63)
        pdf.text(tx - pdf.get_string_width(zone.code) / 2, ty + 1, zone.code)
    pdf.set_text_color(0)
    pdf.set_line_width(0.1)
    pdf.set_draw_color(255)
    # A city's month has 10,000s of defects: drawn a severity at a time, the most severe last
    # (on top), so the fill colour is set four times, not once a defect.
    rank = {severity: i for i, severity in enumerate(reversed(SEVERITY_COLOURS))}
    colour = None
    for defect, x, y in sorted(layout.defects, key=lambda d: rank.get(d[0].severity, -1)):
        if SEVERITY_COLOURS.get(defect.severity, "#000000") != colour:
            colour = SEVERITY_COLOURS.get(defect.severity, "#000000")
            pdf.set_fill_color(colour)
        cx, cy = at(x, y)
        pdf.circle(cx, cy, 0.8, style="DF")
    pdf.set_y(oy + layout.height * scale + 3)
    pdf.set_font(FONT, "", 7.5)
    for severity, colour in SEVERITY_COLOURS.items():
        n = sum(1 for d, _, _ in layout.defects if d.severity == severity)
        pdf.set_fill_color(colour)
        x, y = pdf.get_x(), pdf.get_y()
        pdf.circle(x + 1.5, y + 2, 1.2, style="F")
        pdf.set_x(x + 4)
        text = f"{both('severity.' + severity)} ({n})"
        pdf.cell(pdf.get_string_width(text) + 6, 4, text)
    pdf.ln(6)

