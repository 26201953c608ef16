"""One inspection as recorded: `/inspections/<id>`, for supervisors and admins, and for the
inspector who made it (anyone else gets the same 404 as for an inspection that does not exist,
so ids cannot be probed)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from server.accounts.devices import device_names
from server.core.guards import role_in
from server.core.deps import DbSession
from server.core.errors import AppError
from server.inspections.queries import inspection_detail
from server.core.web import render
from server.core.identity import current_user


class InspectionPages(Controller):
    path = "/inspections"
    guards = [role_in("inspector", "supervisor")]
    include_in_schema = False

    @get("/{inspection_id:uuid}")
    async def inspection(self, request: Request[Any, Any, Any], db: DbSession,
                         inspection_id: FromPath[uuid.UUID]) -> Template:
        """What was measured, the damage instances with their photos, notes, GPS, standards version."""
        user = current_user(request)
        assert user is not None  # the guard let only signed-in users through
        mine_only = user.id if user.role == "inspector" else None
        detail = await inspection_detail(db, inspection_id, inspector_id=mine_only)
        if detail is None:
            raise AppError("inspection_not_found", field="inspection_id")
        standards_set = request.app.state.standards
        try:  # the version it was judged by, for the words of its clauses and fields
            standard = standards_set.get(detail.standards_version)
        except KeyError:
            standard = standards_set.current()
        category = standard.document["categories"].get(detail.category, {})
        return render(request, "inspections/inspection.html", title_key="inspection.title", i=detail,
                      cat=category, clause_labels={c["id"]: c["label"] for c in category.get("clauses", [])},
                      can_see_defects=user.role in ("supervisor", "admin"),
                      device_name=(await device_names(db, [detail.device_id])).get(detail.device_id or "", detail.device_id))
