"""The supervisor's pages."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from server.deps import DbSession
from server.accounts.guards import role_in
from server.defects.models import SEVERITIES
from server.defects.queries import active_defects_by_zone
from server.inspections.queries import recent_inspections
from server.workorders.queries import work_order_counts
from server.web import render


class SupervisorController(Controller):
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
            zones=await active_defects_by_zone(db),
            orders=await work_order_counts(db),
            inspections=await recent_inspections(db, limit=15),
        )
