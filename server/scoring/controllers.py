"""The scores pages, downloads and the JSON API. Handlers parse, call the service, render."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.guards import role_in
from server.core.csvfile import MEDIA_TYPE as CSV_MEDIA_TYPE
from server.core.deps import DbSession
from server.core.errors import AppError
from server.core.text import check_fields
from server.scoring import formatting as fmt
from server.scoring.access import check_visible, not_found, own_scope, parse_scope
from server.scoring.charts import map_layout, svg_map, svg_trend, trend_layout
from server.scoring.evidence import gather
from server.scoring.exports import assets_csv, orders_csv, report_pdf, scores_csv, status_of
from server.scoring.figures import SCOPE_KINDS, Figures
from server.scoring.pdf import NoCjkFont
from server.rounds.service import adherence  # schedule adherence beside coverage
from server.scoring.queries import map_zones, month_defects
from server.sites.models import Site
from server.scoring.schemas import MonthScores, month_scores
from server.scoring.service import (
    MonthReport, close_month, default_month, month_report, parse_month, reopen_month, require_site, trend,
)
from server.core.i18n import Translator, translator
from server.core.web import render, request_language, see_other
from server.core.identity import signed_in_user

EVIDENCE_PAGE = 250
# "scope" is a reserved keyword argument name in Litestar (request.scope): read it under another name.
ScopeQuery = Annotated[str | None, QueryParameter(name="scope", description="site, zone:CODE, contractor:CODE, category:KEY")]
FIGURE_NAMES = ("coverage", "compliance", "clause_pass_rate", "timeliness")



async def _site(request: Request[Any, Any, Any], db: AsyncSession, code: str | None = None) -> Site:
    """The site the user asks for (`code`, one of theirs) or has chosen in the top bar; another
    site's code answers like an unknown one, and a user of no site has no scores (404)."""
    user = signed_in_user(request)
    chosen = next((s for s in user.sites if s.code == code), None) if code else next(
        (s for s in user.sites if s.id == user.site_id), None)
    if chosen is None:
        raise AppError("unknown_site", field="site")
    return await require_site(db, chosen.code)


async def _report(request: Request[Any, Any, Any], db: AsyncSession, month_text: str, site: str | None = None,
                  *, with_data: bool = False) -> tuple[MonthReport, str | None]:
    month = parse_month(month_text)
    state = request.app.state
    own = await own_scope(db, signed_in_user(request))
    report = await month_report(db, await _site(request, db, site), month, state.standards, state.scoring_rules,
                                with_data=with_data or own is not None)
    return report, own


def _visible(report: MonthReport, own: str | None) -> list[Figures]:
    return [f for f in report.figures if own is None or f.scope == own]


def _scope_figures(report: MonthReport, scope: str | None, own: str | None) -> Figures:
    scope = scope or own or "site"
    kind, code = parse_scope(scope)
    check_visible(scope, own)
    found = report.get(scope)
    if found is None:
        raise not_found(kind, code)
    return found


def _local(report: MonthReport) -> Callable[[dt.datetime], str]:
    """Show a UTC time on the site's clock, to the minute."""
    tz = ZoneInfo(report.site.timezone)
    return lambda moment: moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _label(f: Figures, lang: str) -> str:
    if f.kind == "site":
        return f.name_zh if lang == "zh" else f.name_en
    name = f.name_zh if lang == "zh" else f.name_en
    return name if f.kind == "category" else f"{f.code} {name}".strip()


class ScoresController(Controller):
    """Month view, trends, evidence, PDF and CSV: supervisors and admins; contractors their own scope."""

    path = "/scores"
    guards = [role_in("supervisor", "contractor")]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request[Any, Any, Any], db: DbSession,
                    month: FromQuery[str | None] = None) -> Redirect:
        """The last month that is over, or the month chosen in the form."""
        chosen = parse_month(month) if month else default_month(await _site(request, db))
        return Redirect(path=f"/scores/{chosen}", status_code=302)

    @get("/{month:str}")
    async def month_page(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str]) -> Template:
        report, own = await _report(request, db, month)
        start, end = report.month.bounds(ZoneInfo(report.site.timezone))
        lang = render_lang(request)
        map_svg = None
        if own is None:
            layout = map_layout(await map_zones(db, report.site), await month_defects(db, report.site, start, end))
            map_svg = svg_map(layout, request_t(request), lang)
        return render(
            request, "scoring/month.html", title_key="scoring.page_title",
            report=report, own=own, status=status_of(report), visible=_visible(report, own),
            site_figures=report.get(own or "site"), map_svg=map_svg, fmt=fmt, figure_names=FIGURE_NAMES,
            prev_month=report.month.shift(-1), next_month=report.month.shift(1),
            weights={k: f"{float(v):g}" for k, v in report.rule.weights.items()},
            label=lambda f: _label(f, lang), is_admin=signed_in_user(request).role == "admin",
            can_close=signed_in_user(request).role in ("admin", "supervisor"), local=_local(report),
            local_iso=lambda text: _local(report)(dt.datetime.fromisoformat(text)),
            adherence=await adherence(db, report.month.first_day, report.month.last_day, site_id=report.site.id)
            if own is None else None,
        )

    @get("/{month:str}/trend")
    async def trend_page(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str],
                         scope_name: ScopeQuery = None) -> Template:
        report, own = await _report(request, db, month)
        figures = _scope_figures(report, scope_name, own)
        points = await trend(db, report.site, figures.scope, report.month, request.app.state.standards,
                             request.app.state.scoring_rules, report=report)
        lang = render_lang(request)
        layout = trend_layout(points, [float(b.min_score) for b in report.rule.bands])
        return render(
            request, "scoring/trend.html", title_key="scoring.trend_heading", report=report, figures=figures,
            points=points, svg=svg_trend(layout, request_t(request), _label(figures, lang)), fmt=fmt,
            scope_label=_label(figures, lang),
        )

    @get("/{month:str}/trend.svg", media_type="image/svg+xml")
    async def trend_svg(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str],
                        scope_name: ScopeQuery = None) -> Response[str]:
        report, own = await _report(request, db, month)
        figures = _scope_figures(report, scope_name, own)
        points = await trend(db, report.site, figures.scope, report.month, request.app.state.standards,
                             request.app.state.scoring_rules, report=report)
        layout = trend_layout(points, [float(b.min_score) for b in report.rule.bands])
        svg = svg_trend(layout, request_t(request), _label(figures, render_lang(request)))
        return Response(str(svg), media_type="image/svg+xml")

    @get("/{month:str}/evidence")
    async def evidence_page(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str],
                            scope_name: ScopeQuery = None, figure: FromQuery[str | None] = None,
                            page: FromQuery[int] = 1) -> Template:
        report, own = await _report(request, db, month, with_data=True)
        figures = _scope_figures(report, scope_name, own)
        if figure is not None and figure not in FIGURE_NAMES:
            raise AppError("unknown_figure", field="figure")
        assert report.data is not None
        ref = report.data.ref(figures.scope)
        assert ref is not None
        page = max(page, 1)
        evidence = await gather(db, report.data, ref, figure=figure, offset=(page - 1) * EVIDENCE_PAGE,
                                limit=EVIDENCE_PAGE)
        lang = render_lang(request)
        return render(
            request, "scoring/evidence.html", title_key="scoring.evidence", report=report, figures=figures,
            evidence=evidence, figure=figure, fmt=fmt, page=page,
            pages=max(1, math.ceil(evidence.assets_total / EVIDENCE_PAGE)), scope_label=_label(figures, lang),
            local=_local(report),
        )

    @get("/{month:str}/scores.csv", media_type=CSV_MEDIA_TYPE)
    async def scores_csv(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str]) -> Response[bytes]:
        report, own = await _report(request, db, month)
        return _download(scores_csv(report, _visible(report, own)), f"scores-{report.month}.csv", CSV_MEDIA_TYPE)

    @get("/{month:str}/evidence.csv", media_type=CSV_MEDIA_TYPE)
    async def evidence_csv(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str],
                           scope_name: ScopeQuery = None, part: FromQuery[str] = "assets") -> Response[bytes]:
        if part not in ("assets", "orders"):
            raise AppError("unknown_part", field="part")
        report, own = await _report(request, db, month, with_data=True)
        figures = _scope_figures(report, scope_name, own)
        assert report.data is not None
        ref = report.data.ref(figures.scope)
        assert ref is not None
        evidence = await gather(db, report.data, ref, figure="timeliness" if part == "orders" else "coverage")
        body = (orders_csv if part == "orders" else assets_csv)(evidence, report.site.timezone)
        name = f"{part}-{report.month}-{figures.scope.replace(':', '-')}.csv"
        return _download(body, name, CSV_MEDIA_TYPE)

    @get("/{month:str}/report.pdf", media_type="application/pdf")
    async def report_pdf(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str]) -> Response[bytes]:
        report, own = await _report(request, db, month)  # a contractor's report reads its rows (its places)
        try:
            body = await report_pdf(db, report, request.app.state.standards, request.app.state.scoring_rules, own)
        except NoCjkFont:
            raise AppError("pdf_unavailable") from None
        return _download(body, f"fieldcheck-{report.month}.pdf", "application/pdf", inline=True)

    @post("/{month:str}/close", guards=[role_in("supervisor")])
    async def close(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str]) -> Response[Any]:
        state = request.app.state
        site = await _site(request, db)
        await close_month(db, site, parse_month(month), state.standards, state.scoring_rules, signed_in_user(request).id,
                          request)
        return see_other(f"/scores/{parse_month(month)}")

    @post("/{month:str}/reopen", guards=[role_in("admin")])
    async def reopen(self, request: Request[Any, Any, Any], db: DbSession, month: FromPath[str]) -> Response[Any]:
        form = await request.form()
        check_fields(form)
        site = await _site(request, db)
        await reopen_month(db, site, parse_month(month), signed_in_user(request).id, str(form.get("reason", "")), request)
        return see_other(f"/scores/{parse_month(month)}")


class ScoresApiController(Controller):
    """Monthly scores as JSON."""

    path = "/api/scores"
    guards = [role_in("supervisor", "contractor")]
    tags = ["scoring"]

    @get(
        "/",
        media_type=MediaType.JSON,
        summary="Monthly compliance scores",
        description="Coverage, compliance, clause pass rate, timeliness, score and payment band of a month "
        "(in the site's time zone) for the site, its zones, contractors or asset categories "
        "(docs/scoring.md). A closed month answers its frozen figures. Contractors see only "
        "their own scope; any other scope is 404.",
    )
    async def scores(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        month: Annotated[str, QueryParameter(description="the month, YYYY-MM (e.g. 2026-10)")],
        kind: Annotated[str | None, QueryParameter(
            name="scope", description="site, zone, contractor, category, or all (default: every scope you may see)")] = None,
        zone: Annotated[str | None, QueryParameter(description="a zone code (implies scope=zone)")] = None,
        contractor: Annotated[str | None, QueryParameter(description="a contractor code")] = None,
        category: Annotated[str | None, QueryParameter(description="an asset category key")] = None,
        site: Annotated[str | None, QueryParameter(description="a site code (default: the first site)")] = None,
    ) -> MonthScores:
        report, own = await _report(request, db, month, site)
        wanted = _select(report, own, kind, zone=zone, contractor=contractor, category=category)
        return month_scores(report, wanted)


def _select(report: MonthReport, own: str | None, scope: str | None, **codes: str | None) -> list[Figures]:
    """The scopes the API call asks for: a kind (scope=zone), or named ones (zone=Z1), or all."""
    given = {kind: code for kind, code in codes.items() if code}
    if scope is not None and scope not in ("all", *SCOPE_KINDS):
        raise AppError("unknown_scope", field="scope", value=scope[:60])
    kinds = (set(given) or set(SCOPE_KINDS)) if scope in (None, "all") else {scope, *given}
    chosen = [f for f in report.figures if f.kind in kinds and (f.kind not in given or f.code == given[f.kind])]
    for kind, code in given.items():
        if own is not None and f"{kind}:{code}" != own or not any(f.kind == kind and f.code == code for f in chosen):
            raise not_found(kind, code)  # unknown, or another company's: the same 404
    if own is not None:
        chosen = [f for f in chosen if f.scope == own]
        if not chosen:
            kind = scope if scope in SCOPE_KINDS else "site"
            raise not_found(kind, kind)
    return chosen


def _download(body: str | bytes, name: str, media_type: str, *, inline: bool = False) -> Response[Any]:
    disposition = "inline" if inline else "attachment"
    return Response(body, media_type=media_type + ("; charset=utf-8" if isinstance(body, str) else ""),
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


def render_lang(request: Request[Any, Any, Any]) -> str:
    return request_language(request)


def request_t(request: Request[Any, Any, Any]) -> Translator:
    return translator(request_language(request))
