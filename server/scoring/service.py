"""Scoring a month, closing and reopening it, and the 12-month trend of a scope.

A month that is not closed is computed live from the records; a closed month is read
from what was frozen when it was closed (figures and the rows behind them), so later
edits to its records do not move it until an admin reopens it with a reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.core.audit.service import record_event
from server.core.db import utcnow
from server.core.errors import AppError
from server.core.text import check_text
from server.scoring.figures import Figures, MonthData, Ref, figures_for, month_figures
from server.scoring.models import ClosedMonth
from server.scoring.months import BadMonth, Month
from server.scoring.queries import find_site, load_month, scope_refs
from server.scoring.rules import NoRuleInForce, ScoringRule, ScoringRules
from server.sites.models import Site
from standards import StandardsSet
from standards.model import NoStandardInForce

TREND_MONTHS = 12
REASON_MAX = 2000


@dataclass(frozen=True)
class Closing:
    """Who closed the month and when, with the versions frozen with it."""

    id: uuid.UUID
    closed_by: str
    closed_at: dt.datetime
    standards_version: str | None
    scoring_version: str


@dataclass
class MonthReport:
    """A month of one site: every scope's figures, live or frozen."""

    site: Site
    month: Month
    rule: ScoringRule
    standards_version: str | None
    figures: list[Figures]
    closing: Closing | None
    month_over: bool
    data: MonthData | None = None       # the rows behind the figures (when asked for)

    def by_kind(self, kind: str) -> list[Figures]:
        return [f for f in self.figures if f.kind == kind]

    def get(self, scope: str) -> Figures | None:
        return next((f for f in self.figures if f.scope == scope), None)

    @property
    def site_figures(self) -> Figures:
        return self.figures[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site.code,
            "month": str(self.month),
            "timezone": self.site.timezone,
            "status": "closed" if self.closing else ("final" if self.month_over else "provisional"),
            "closed_at": self.closing.closed_at.isoformat() if self.closing else None,
            "standards_version": self.standards_version,
            "scoring_version": self.rule.version,
            "rule": self.rule.describe(),
            "scores": [f.to_json() for f in self.figures],
        }


def parse_month(text: str | None, field: str = "month") -> Month:
    """A month from user input, or a 400 naming the field."""
    try:
        return Month.parse(text or "")
    except BadMonth:
        raise AppError("bad_month", field=field, value=str(text or "")[:20]) from None


def rule_for(rules: ScoringRules, month: Month) -> ScoringRule:
    try:
        return rules.for_date(month.first_day)
    except NoRuleInForce:
        raise AppError("no_scoring_rule", field="month", month=str(month)) from None


def standards_version_for(standards: StandardsSet, month: Month) -> str | None:
    """The standards version in force at the month's end (the one month-end compliance is judged by)."""
    try:
        return standards.for_date(month.last_day).version
    except NoStandardInForce:
        return None


async def require_site(db: AsyncSession, code: str | None = None) -> Site:
    site = await find_site(db, code)
    if site is None:
        raise AppError("unknown_site", field="site")
    return site


async def closing_in_force(db: AsyncSession, site: Site, month: Month) -> ClosedMonth | None:
    return (await db.execute(
        select(ClosedMonth).where(ClosedMonth.site_id == site.id, ClosedMonth.month == str(month),
                                  ClosedMonth.reopened_at.is_(None))
    )).scalar_one_or_none()


async def _closing(db: AsyncSession, row: ClosedMonth) -> Closing:
    who = (await db.execute(select(User.display_name).where(User.id == row.closed_by))).scalar_one()
    return Closing(row.id, who, row.closed_at, row.standards_version, row.scoring_version)


async def month_report(db: AsyncSession, site: Site, month: Month, standards: StandardsSet, rules: ScoringRules,
                       *, now: dt.datetime | None = None, with_data: bool = False, live: bool = False) -> MonthReport:
    """The month's figures for every scope: frozen if the month is closed (unless `live`)."""
    now = now or utcnow()
    _, end = month.bounds(ZoneInfo(site.timezone))
    closed = None if live else await closing_in_force(db, site, month)
    if closed is not None:
        try:
            rule = rules.get(closed.scoring_version)
        except KeyError:  # a rule file since removed: the frozen figures still stand
            rule = rule_for(rules, month)
        report = MonthReport(site, month, rule, closed.standards_version,
                             [Figures.from_json(f) for f in closed.figures], await _closing(db, closed), True)
        if with_data:  # the evidence column is deferred: read it only when asked for
            evidence = (await db.execute(select(ClosedMonth.evidence).where(ClosedMonth.id == closed.id))).scalar_one()
            report.data = MonthData.from_json(evidence)
        return report
    rule = rule_for(rules, month)
    data = await load_month(db, site, month, standards, now, veto=rule.veto, rows=with_data)
    return MonthReport(site, month, rule, standards_version_for(standards, month), month_figures(data, rule),
                       None, now >= end, data if with_data else None)


async def close_month(db: AsyncSession, site: Site, month: Month, standards: StandardsSet, rules: ScoringRules,
                      user_id: uuid.UUID, request: Request[Any, Any, Any] | None = None,
                      now: dt.datetime | None = None) -> ClosedMonth:
    """Freeze the month: its figures, the rows behind them, the standards and scoring versions."""
    now = now or utcnow()
    if now < month.bounds(ZoneInfo(site.timezone))[1]:
        raise AppError("month_not_over", field="month", month=str(month))
    if await closing_in_force(db, site, month) is not None:
        raise AppError("month_closed", field="month", month=str(month))
    report = await month_report(db, site, month, standards, rules, now=now, with_data=True, live=True)
    assert report.data is not None
    row = ClosedMonth(
        site_id=site.id, month=str(month), figures=[f.to_json() for f in report.figures],
        evidence=report.data.to_json(), standards_version=report.standards_version,
        scoring_version=report.rule.version, closed_by=user_id, closed_at=now,
    )
    db.add(row)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:  # closed by someone else a moment ago
        raise AppError("month_closed", field="month", month=str(month)) from None
    site_score = report.site_figures.score
    await record_event(db, user_id, "scoring.month_closed", "closed_month", str(row.id), request=request, details={
        "site": site.code, "month": str(month), "scoring_version": row.scoring_version,
        "standards_version": row.standards_version, "site_score": None if site_score is None else float(site_score),
    })
    return row


async def reopen_month(db: AsyncSession, site: Site, month: Month, user_id: uuid.UUID, reason: str,
                       request: Request[Any, Any, Any] | None = None) -> ClosedMonth:
    """Lift the freeze (admins only, checked by the caller); the closing row is kept, with the reason."""
    reason = check_text(reason or "", "reason").strip()
    if not reason:
        raise AppError("reason_required", key="scoring.reason_required", field="reason")
    if len(reason) > REASON_MAX:
        raise AppError("reason_too_long", key="scoring.reason_too_long", field="reason", max=REASON_MAX)
    row = await closing_in_force(db, site, month)
    if row is None:
        raise AppError("month_not_closed", field="month", month=str(month))
    row.reopened_by, row.reopened_at, row.reopen_reason = user_id, utcnow(), reason
    await record_event(db, user_id, "scoring.month_reopened", "closed_month", str(row.id), request=request, details={
        "site": site.code, "month": str(month), "reason": reason,
        "frozen_site_score": row.figures[0].get("score") if row.figures else None,
    })
    return row


@dataclass(frozen=True)
class TrendPoint:
    month: Month
    figures: Figures | None     # None: no rule in force, or nothing to show
    closed: bool


async def trend(db: AsyncSession, site: Site, scope: str, last: Month, standards: StandardsSet,
                rules: ScoringRules, *, months: int = TREND_MONTHS, now: dt.datetime | None = None,
                report: MonthReport | None = None) -> list[TrendPoint]:
    """The scope's figures for the `months` months ending with `last`, oldest first: a closed
    month's as frozen, the others live (summed in the database). `report`: the month `last`
    as the caller has already read it (the PDF, the trend page), so it is not read twice."""
    now = now or utcnow()
    points = []
    for month in last.months_back(months):
        try:
            rule = rules.for_date(month.first_day)
        except NoRuleInForce:
            points.append(TrendPoint(month, None, False))
            continue
        if month.bounds(ZoneInfo(site.timezone))[0] > now:
            points.append(TrendPoint(month, None, False))
            continue
        if report is not None and month == report.month:
            points.append(TrendPoint(month, report.get(scope), report.closing is not None))
            continue
        closed = await closing_in_force(db, site, month)
        if closed is not None:
            frozen = next((f for f in closed.figures if f["scope"] == scope), None)
            points.append(TrendPoint(month, Figures.from_json(frozen) if frozen else None, True))
            continue
        refs = await scope_refs(db, site, month, standards)
        ref = next((r for r in [*refs[0], *refs[1], *refs[2]] if r.scope == scope), None)
        if scope == "site":
            ref = Ref("site", site.code, site.name_zh, site.name_en, str(site.id))
        if ref is None:
            points.append(TrendPoint(month, None, False))
            continue
        data = await load_month(db, site, month, standards, now, only=ref, refs=refs, veto=rule.veto, rows=False)
        points.append(TrendPoint(month, figures_for(ref, data.tally(ref), data.orders_in(ref), rule, now,
                                                    month_over=data.month_over, vetoes=data.vetoes_in(ref)), False))
    return points


def default_month(site: Site, now: dt.datetime | None = None) -> Month:
    """The last month that is over, on the site's clock."""
    return Month.of(now or utcnow(), ZoneInfo(site.timezone)).shift(-1)
