"""The contractor's pages: only the orders of the user's own company."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template

from server.deps import DbSession
from server.accounts.guards import role_in
from server.db import utcnow
from server.web import current_user, render
from server.workorders.queries import orders_of_contractor


class ContractorController(Controller):
    path = "/contractor"
    guards = [role_in("contractor")]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        user = current_user(request)
        assert user is not None
        # Admins reach this page too but belong to no company: they see no orders here.
        orders = await orders_of_contractor(db, user.contractor_id, utcnow()) if user.contractor_id else []
        return render(request, "contractor/home.html", title_key="contractor.home_title", orders=orders)
