"""The administrator's overview: sites, zones, contracts and users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import func, select

from server.core.deps import DbSession
from server.core.guards import role_in
from server.accounts.models import User
from server.assets.models import Asset
from server.contractors.models import Contract, Contractor, ContractZone
from server.sites.models import Site, Zone
from server.core.web import render


@dataclass(frozen=True)
class UserRow:
    username: str
    display_name: str
    role: str
    company: str | None
    active: bool


@dataclass(frozen=True)
class ContractRow:
    code: str
    name: str
    company: str
    zones: int


async def admin_overview(db: DbSession) -> dict[str, Any]:
    sites = [
        (s, n_zones)
        for s, n_zones in await db.execute(
            select(Site, func.count(Zone.id)).outerjoin(Zone, Zone.site_id == Site.id).group_by(Site.id).order_by(Site.code)
        )
    ]
    n_assets = (await db.execute(select(func.count()).select_from(Asset).where(Asset.active.is_(True)))).scalar_one()
    users = [
        UserRow(u.username, u.display_name, u.role, company, u.active)
        for u, company in await db.execute(
            select(User, Contractor.name).outerjoin(Contractor, Contractor.id == User.contractor_id).order_by(User.role, User.username)
        )
    ]
    zone_counts: dict[uuid.UUID, int] = dict(
        (await db.execute(select(ContractZone.contract_id, func.count()).group_by(ContractZone.contract_id))).all()
    )
    contracts = [
        ContractRow(c.code, c.name, company, zone_counts.get(c.id, 0))
        for c, company in await db.execute(
            select(Contract, Contractor.name).join(Contractor, Contractor.id == Contract.contractor_id).order_by(Contract.code)
        )
    ]
    return {"sites": sites, "asset_count": n_assets, "users": users, "contracts": contracts}


class AdminController(Controller):
    path = "/admin"
    guards = [role_in("admin")]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return render(request, "admin/home.html", title_key="admin.home_title", **await admin_overview(db))
