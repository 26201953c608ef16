"""Rounds pages and API: /supervise/rounds (schedules, emergency rounds, missed rounds),
/api/rounds (the phone's due list and its rounds data) and /reports/week (the weekly report)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.guards import role_in
from server.assets.api import parse_coordinate
from server.core.csvfile import MEDIA_TYPE
from server.core.db import utcnow
from server.core.deps import DbSession
from server.core.errors import AppError, _describe
from server.rounds import report as weekly
from server.rounds import service
from server.rounds.alerts import mark_round_alerts_read, unread_round_alerts
from server.rounds.models import EmergencyRound, MissedRound
from server.rounds.svgmap import emergency_map
from server.sites.access import site_zone_ids
from server.sites.models import Zone
from server.core.i18n import translator
from server.core.web import render, request_language, see_other
from server.core.http import form_of
from server.core.identity import signed_in_user

WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)


async def _rounds_page(request: Request[Any, Any, Any], db: AsyncSession, error: AppError | None = None,
                       values: dict[str, Any] | None = None) -> Template:
    user = signed_in_user(request)
    # Only the current site's zones, schedules, missed rounds and emergencies, in its time zone.
    zones = list((await db.execute(select(Zone).where(Zone.id.in_(site_zone_ids(user))).order_by(Zone.code))).scalars())
    names = {z.id: z for z in zones}
    versions = await service.schedules(db, [z.id for z in zones]) if zones else []
    tz = await service.site_timezone(db, [z.id for z in zones])
    today = service.local_today(utcnow(), tz)
    missed = (await db.execute(select(MissedRound).where(MissedRound.zone_id.in_(site_zone_ids(user)))
                               .order_by(MissedRound.round_end.desc(), MissedRound.zone_id)
                               .limit(50))).scalars().all()
    unread = await unread_round_alerts(db, user.id, site_zone_ids(user))
    emergencies = (await db.execute(select(EmergencyRound).where(EmergencyRound.site_id == user.site_id).order_by(EmergencyRound.started_at.desc()).limit(20))).scalars().all()
    return render(
        request, "supervise/rounds.html", title_key="rounds.title", zones=zones, zone_of=names, versions=versions,
        today=today, timezone=tz, missed=missed, unread=unread, emergencies=emergencies, weekdays=WEEKDAYS,
        categories=list(request.app.state.standards.catalogue().categories), values=values or {},
        error=_describe(request, error) if error else None, status_code=error.status_code if error else 200,
    )


class RoundsPages(Controller):
    path = "/supervise/rounds"
    guards = [role_in("supervisor")]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return await _rounds_page(request, db)

    @post("/schedules")
    async def add_schedule(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        form = await form_of(request)
        values = service.ScheduleForm(
            zone=str(form.get("zone") or ""), category=str(form.get("category") or ""), kind=str(form.get("kind") or ""),
            every_days=str(form.get("every_days") or ""), weekdays=tuple(str(d) for d in form.getall("weekdays", [])),
            day_of_month=str(form.get("day_of_month") or ""), window_from=str(form.get("window_from") or ""),
            window_to=str(form.get("window_to") or ""), effective_from=str(form.get("effective_from") or ""),
        )
        try:
            async with db.begin_nested():
                await service.add_schedule(db, signed_in_user(request), values, request.app.state.standards.catalogue().categories)
        except AppError as exc:
            return await _rounds_page(request, db, exc, vars(values))
        return see_other("/supervise/rounds")

    @post("/emergencies")
    async def start_emergency(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        form = await form_of(request)
        try:
            async with db.begin_nested():
                em = await service.start_emergency(
                    db, signed_in_user(request), [str(z) for z in form.getall("zones", [])],
                    [str(c) for c in form.getall("categories", []) if c], str(form.get("hours") or ""),
                    str(form.get("reason") or ""), request.app.state.standards.catalogue().categories)
        except AppError as exc:
            return await _rounds_page(request, db, exc, {"reason": str(form.get("reason") or "")})
        return see_other(f"/supervise/rounds/emergencies/{em.id}")

    @get("/emergencies/{emergency_id:uuid}")
    async def emergency(self, request: Request[Any, Any, Any], db: DbSession, emergency_id: FromPath[uuid.UUID]) -> Template:
        em = await _emergency(db, emergency_id, signed_in_user(request))
        progress = await service.emergency_progress(db, em)
        zones = list((await db.execute(select(Zone).where(Zone.id.in_([uuid.UUID(z) for z in em.zone_ids]))
                                       .order_by(Zone.code))).scalars())
        return render(request, "supervise/emergency.html", title_key="rounds.emergency_title", em=em,
                      progress=progress, zones=zones, done=sum(1 for a in progress if a.done_at),
                      svg=emergency_map(zones, progress, translator(request_language(request))("rounds.emergency_title")),
                      now=utcnow())

    @post("/emergencies/{emergency_id:uuid}/close")
    async def close_emergency(self, request: Request[Any, Any, Any], db: DbSession, emergency_id: FromPath[uuid.UUID]) -> Redirect:
        await form_of(request)
        await service.close_emergency(db, signed_in_user(request), await _emergency(db, emergency_id, signed_in_user(request)))
        return see_other(f"/supervise/rounds/emergencies/{emergency_id}")

    @post("/alerts/read")
    async def read_alerts(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect:
        await form_of(request)
        await mark_round_alerts_read(db, signed_in_user(request).id)
        return see_other("/supervise/rounds")


async def _emergency(db: AsyncSession, emergency_id: uuid.UUID, user: Any) -> EmergencyRound:
    """The emergency round by id; another site's answers 404 exactly like an unknown one."""
    em = await db.get(EmergencyRound, emergency_id)
    if em is None or em.site_id != user.site_id:
        raise AppError("emergency_not_found", field="emergency_id")
    return em


DUE_DESCRIPTION = """\
The inspector's due list (docs/rounds.md): the assets of their zones due today, overdue in
their round, or done this round, and those of open emergency rounds first, the ones left in
walking order from `lat`, `lon` (nearest neighbour). The phone computes the same list from
its offline bundle and outbox (web/static/js/rounds-logic.js).
"""


class RoundsApiController(Controller):
    path = "/api/rounds"
    tags = ["rounds"]

    @get("/due", guards=[role_in("inspector", "supervisor")], summary="My due list", description=DUE_DESCRIPTION)
    async def due(
        self, request: Request[Any, Any, Any], db: DbSession,
        lat: Annotated[str | None, QueryParameter(description="where I stand, latitude")] = None,
        lon: Annotated[str | None, QueryParameter(description="where I stand, longitude")] = None,
    ) -> dict[str, Any]:
        position = None
        if lat not in (None, "") or lon not in (None, ""):
            position = {"lat": parse_coordinate(lat, "lat", 90), "lon": parse_coordinate(lon, "lon", 180)}
        zones = await service.user_zone_ids(db, signed_in_user(request))
        return await service.due_for(db, zones, utcnow(), position)

    @get("/state", guards=[role_in("inspector", "supervisor")], summary="The rounds data of my zones",
         description="The offline bundle's `rounds` section, fresh: how the phone hears of a new emergency round.")
    async def state(self, request: Request[Any, Any, Any], db: DbSession) -> dict[str, Any]:
        zones = await service.user_zone_ids(db, signed_in_user(request))
        return {**await service.rounds_section(db, zones, utcnow()), "generated_at": utcnow().isoformat()}


class WeeklyReportController(Controller):
    path = "/reports/week"
    guards = [role_in("supervisor", "admin")]
    include_in_schema = False

    @get("/")
    async def this_week(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect:
        """The current week of the current site, in its time zone."""
        zones = (await db.execute(site_zone_ids(signed_in_user(request)))).scalars().all()
        today = service.local_today(utcnow(), await service.site_timezone(db, list(zones)))
        return see_other(f"/reports/week/{weekly.week_name(today - dt.timedelta(days=today.weekday()))}")

    @get("/{week:str}")
    async def week(self, request: Request[Any, Any, Any], db: DbSession, week: FromPath[str]) -> Template:
        """`/reports/week/2026-W47`: the page, with its CSV and PDF beside it."""
        first = weekly.parse_week(week)
        data = await weekly.week_report(db, first, signed_in_user(request).site_id)
        return render(request, "reports/week.html", title_key="report.title", r=data, week=week,
                      prev=weekly.week_name(first - dt.timedelta(days=7)),
                      next=weekly.week_name(first + dt.timedelta(days=7)))

    @get("/{week:str}/report.csv")
    async def week_csv(self, request: Request[Any, Any, Any], db: DbSession, week: FromPath[str]) -> Response[bytes]:
        data = await weekly.week_report(db, weekly.parse_week(week), signed_in_user(request).site_id)
        return Response(weekly.to_csv(data), media_type=MEDIA_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="fieldcheck-{week}.csv"'})

    @get("/{week:str}/report.pdf")
    async def week_pdf(self, request: Request[Any, Any, Any], db: DbSession, week: FromPath[str]) -> Response[bytes]:
        data = await weekly.week_report(db, weekly.parse_week(week), signed_in_user(request).site_id)
        return Response(weekly.to_pdf(data), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="fieldcheck-{week}.pdf"'})
