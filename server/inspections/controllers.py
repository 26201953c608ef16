"""The inspector's pages."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from server.deps import DbSession
from server.accounts.guards import role_in
from server.inspections.queries import recent_inspections, zones_of_inspector
from server.web import current_user, render


class InspectorController(Controller):
    path = "/inspect"
    guards = [role_in("inspector")]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        user = current_user(request)
        assert user is not None
        return render(
            request,
            "inspect/home.html",
            title_key="inspect.home_title",
            zones=await zones_of_inspector(db, user.id),
            inspections=await recent_inspections(db, inspector_id=user.id, limit=10),
        )
