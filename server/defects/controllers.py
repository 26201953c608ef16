"""The supervisor's pages: the overview, the defect map with its list, one defect.

The supervisor's work-order pages are server/workorders/supervisor_pages.py; the map's
layers come from the JSON API (server/routes.py names the module of each).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.core.guards import role_in
from server.defects import lifecycle
from server.defects.filters import DefectFilter
from server.defects.models import DEFECT_STATUSES, SEVERITIES
from server.defects.queries import active_defects_by_zone, defect_detail, defect_list, filter_choices
from server.core.deps import DbSession
from server.core.errors import AppError
from server.inspections.queries import recent_inspections
from server.core.web import render
from server.core.http import form_of, next_or
from server.core.identity import signed_in_user
from server.workorders.responses import after_post
from server.workorders.notifications import unread_counts
from server.workorders.queries import work_order_counts
from server.workorders.map_config import map_config, map_page_headers


def defect_not_found() -> AppError:
    return AppError("defect_not_found", field="defect_id")


class SupervisorPages(Controller):
    path = "/supervise"
    guards = [role_in("supervisor")]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return render(
            request,
            "supervise/home.html",
            title_key="supervise.home_title",
            severities=SEVERITIES,
            zones=await active_defects_by_zone(db, signed_in_user(request).site_id),
            orders=await work_order_counts(db, user=signed_in_user(request)),
            inspections=await recent_inspections(db, limit=15, site_id=signed_in_user(request).site_id)
            if signed_in_user(request).site_id else [],
            unread=await unread_counts(db, signed_in_user(request).id),
        )

    @get("/map")
    async def map(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        """The defect map and the list of the same selection; the filter is the query string."""
        f = DefectFilter.parse(request.query_params)
        rows, total = await defect_list(db, f, signed_in_user(request))
        page = render(
            request, "supervise/map.html", title_key="map.title", f=f, rows=rows, total=total,
            choices=await filter_choices(db, signed_in_user(request).site_id), severities=SEVERITIES, statuses=DEFECT_STATUSES,
            standard=request.app.state.standards.catalogue(), map_config=map_config(),
        )
        page.headers.update(map_page_headers())
        return page

    @get("/defects/{defect_id:uuid}")
    async def defect(self, request: Request[Any, Any, Any], db: DbSession, defect_id: FromPath[uuid.UUID]) -> Template:
        """One defect: photos, the clause in Chinese and English, its orders and history (htmx: the panel)."""
        detail = await defect_detail(db, defect_id, signed_in_user(request))
        if detail is None:
            raise defect_not_found()
        standard = request.app.state.standards.catalogue()
        try:
            clause = standard.clause(detail.row.clause_id)
        except KeyError:
            clause = None
        return render(request, "supervise/defect.html", title_key="defect.title", d=detail, clause=clause, error=None)

    @post("/defects/{defect_id:uuid}/dismiss")
    async def dismiss(self, request: Request[Any, Any, Any], db: DbSession, defect_id: FromPath[uuid.UUID]) -> Redirect:
        form = await form_of(request)
        await lifecycle.dismiss_defect(db, signed_in_user(request), defect_id, form.get("reason"), request)
        return after_post(request, db, next_or(form, f"/supervise/defects/{defect_id}"))

    @post("/defects/{defect_id:uuid}/close")
    async def close(self, request: Request[Any, Any, Any], db: DbSession, defect_id: FromPath[uuid.UUID]) -> Redirect:
        form = await form_of(request)
        await lifecycle.close_passed_defect(db, signed_in_user(request), defect_id, request)
        return after_post(request, db, next_or(form, f"/supervise/defects/{defect_id}"))

