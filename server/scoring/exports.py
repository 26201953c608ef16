"""CSV exports and the assembly of the PDF report.

CSV files come from the app's one writer (server/core/csvfile.py: UTF-8 with a byte-order mark,
no cell a spreadsheet would run as a formula); ratios are plain decimals (0.8667), not
formatted percentages.
"""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from server.core.csvfile import csv_bytes
from server.core.db import utcnow
from server.scoring import formatting as fmt
from server.scoring.charts import map_layout, trend_layout
from server.scoring.evidence import Evidence
from server.scoring.figures import Figures
from server.scoring.pdf import ReportInput, render_pdf
from server.scoring.queries import map_zones, month_defects
from server.scoring.service import MonthReport, trend
from server.scoring.rules import ScoringRules
from standards import StandardsSet

SCORE_COLUMNS = (
    "month", "status", "scope", "kind", "code", "name_zh", "name_en", "assets", "inspected", "compliant",
    "non_compliant", "undetermined", "inspections", "clause_pass", "clause_exempt", "clause_fail", "orders_due",
    "orders_on_time", "orders_late", "orders_late_open", "orders_pending", "orders_cancelled", "coverage",
    "compliance", "clause_pass_rate", "timeliness", "score", "payment_pct", "notes", "scoring_version",
    "standards_version",
)


def status_of(report: MonthReport) -> str:
    return "closed" if report.closing else ("final" if report.month_over else "provisional")


def scores_csv(report: MonthReport, figures: list[Figures]) -> bytes:
    """One line per scope with every count and figure."""
    status = status_of(report)
    rows = []
    for f in figures:
        rows.append([
            str(report.month), status, f.scope, f.kind, f.code, f.name_zh, f.name_en, f.assets, f.inspected,
            f.compliant, f.non_compliant, f.undetermined, f.inspections, f.clause_pass, f.clause_exempt,
            f.clause_fail, f.orders_due, f.orders_on_time, f.orders_late, f.orders_late_open, f.orders_pending,
            f.orders_cancelled, fmt.plain(f.coverage), fmt.plain(f.compliance), fmt.plain(f.clause_pass_rate),
            fmt.plain(f.timeliness), fmt.score(f.score) if f.score is not None else "",
            fmt.payment(f.payment_pct).replace(" %", "") if f.payment_pct is not None else "",
            " ".join(f.notes), report.rule.version, report.standards_version or "",
        ])
    return csv_bytes(SCORE_COLUMNS, rows)


def assets_csv(evidence: Evidence, tz: str) -> bytes:
    """Each asset of the scope with its latest inspection of the month."""
    zone = ZoneInfo(tz)
    rows = []
    for e in evidence.assets:
        latest = e.latest
        rows.append([
            e.row.asset_id, e.asset.code if e.asset else "", e.asset.name if e.asset else "",
            e.asset.zone_code if e.asset else "", e.row.category, e.row.inspections,
            e.row.latest_inspection_id or "",
            latest.observed_at.astimezone(zone).isoformat(timespec="minutes") if latest else "",
            e.row.verdict or "", e.row.passes, e.row.exempts, e.row.fails,
            " ".join(latest.failed) if latest else "", latest.inspector if latest else "",
        ])
    return csv_bytes(("asset_id", "asset_code", "asset_name", "zone", "category", "inspections_in_month",
                 "latest_inspection_id", "latest_observed_at", "latest_verdict", "clause_pass", "clause_exempt",
                 "clause_fail", "failed_clauses", "inspector"), rows)


def orders_csv(evidence: Evidence, tz: str) -> bytes:
    """Each work order due in the month in the scope, with its outcome for timeliness."""
    zone = ZoneInfo(tz)

    def local(moment: object) -> str:
        return moment.astimezone(zone).isoformat(timespec="minutes") if moment else ""  # type: ignore[attr-defined]

    rows = [[
        e.row.order_id, e.order.code if e.order else "", e.order.contractor_code if e.order else "", e.row.status,
        local(e.row.due_at), local(e.row.completed_at), e.outcome,
    ] for e in evidence.orders]
    return csv_bytes(("order_id", "order_code", "contractor", "status", "due_at", "completed_at", "outcome"), rows)


async def report_pdf(db: AsyncSession, report: MonthReport, standards: StandardsSet, rules: ScoringRules,
                     own: str | None) -> bytes:
    """The month's PDF: the whole site for supervisors, only its own scope for a contractor."""
    site = report.site
    tz = site.timezone
    scope = own or "site"
    summary = report.get(scope)
    assert summary is not None
    if own is None:
        sections = [("scoring.zones", report.by_kind("zone")), ("scoring.contractors", report.by_kind("contractor")),
                    ("scoring.categories", report.by_kind("category"))]
    else:
        sections = [("scoring.contractors", [summary])]
    points = await trend(db, site, scope, report.month, standards, rules, report=report)
    layout = trend_layout(points, [float(b.min_score) for b in report.rule.bands])
    start, end = report.month.bounds(ZoneInfo(tz))
    defects = await month_defects(db, site, start, end)
    if own is not None:
        data = report.data
        ref = data.ref(own) if data else None
        places = ref.places if ref else frozenset()
        defects = [d for d in defects if (d.zone_id, d.category) in places]
    closing = report.closing
    # Drawn in a worker thread: the event loop keeps serving other requests meanwhile.
    return await asyncio.to_thread(render_pdf, ReportInput(
        site_zh=site.name_zh, site_en=site.name_en, month=str(report.month), status=status_of(report),
        scoring_version=report.rule.version, standards_version=report.standards_version,
        weights={k: float(v) for k, v in report.rule.weights.items()}, summary=summary, sections=sections,
        trend=layout, trend_scope=f"{summary.name_zh} {summary.name_en}" if summary.name_zh != summary.name_en
        else summary.name_zh,
        map=map_layout(await map_zones(db, site), defects),
        generated_at=utcnow().astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"),
        closed_by=closing.closed_by if closing else None,
        closed_at=closing.closed_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if closing else None,
    ))

