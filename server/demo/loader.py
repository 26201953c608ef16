"""Load the demo site: a riverside green belt with three months of history.

`build_demo` makes every row in memory from one seeded generator (same `today`, same
rows); `load_demo` writes them in one transaction, unless the site is already there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User, UserZone
from server.accounts.passwords import hash_password
from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.core.db import Base, Database, utcnow
from server.defects.models import Defect, DefectEvidence
from server.demo.accounts import DEMO_ACCOUNTS, DEMO_CONTRACTORS, DEMO_CONTRACTS, INSPECTOR_ZONES
from server.demo.geography import (
    SITE_CODE, SITE_NAME_EN, SITE_NAME_ZH, SITE_TIMEZONE, build_assets, build_zones, rng_uuid, site_centre,
)
from server.demo.history import History
from server.demo.orders import RESPONSE_TIMES
from server.demo.schedule import plan_inspections
from server.inspections.models import ClauseResult, Inspection
from server.sites.models import Site, UserSite, Zone
from server.workorders.models import WorkOrder, WorkOrderDefect
from standards import StandardsSet, load_standards

SEED = 2026
MONTHS_OF_HISTORY = 3  # full months before today's month, plus today's month so far


@dataclass(frozen=True)
class DemoSummary:
    """What the demo site holds (after loading it, or as found when it was already there)."""

    already_loaded: bool
    sites: int
    zones: int
    assets: int
    users: int
    contractors: int
    contracts: int
    inspections: int
    defects: int
    work_orders: int


@dataclass
class DemoData:
    """Every row of the demo, per model, in an order that satisfies the foreign keys."""

    site_id: uuid.UUID
    admin_id: uuid.UUID
    start: dt.date
    rows: list[tuple[type[Base], list[dict[str, Any]]]] = field(default_factory=list)

    def count(self, model: type[Base]) -> int:
        return sum(len(rows) for m, rows in self.rows if m is model)


def history_start(today: dt.date, standards: StandardsSet) -> dt.date:
    """The first day of the month MONTHS_OF_HISTORY before today's (never before the standards)."""
    months = today.year * 12 + today.month - 1 - MONTHS_OF_HISTORY
    start = dt.date(months // 12, months % 12 + 1, 1)
    return max(start, standards.versions[0].effective_from)


def build_demo(standards: StandardsSet, today: dt.date) -> DemoData:
    """Every demo row, deterministic for a given `today` (password hashes left empty)."""
    rng = random.Random(SEED)
    tz = ZoneInfo(SITE_TIMEZONE)
    start = history_start(today, standards)
    set_up = dt.datetime.combine(start - dt.timedelta(days=14), dt.time(9, 0), tzinfo=tz)

    zones = build_zones(rng)
    assets = build_assets(rng, zones)
    lat, lon = site_centre(zones)
    site_id = rng_uuid(rng)
    contractor_ids = {c.code: rng_uuid(rng) for c in DEMO_CONTRACTORS}
    user_ids = {a.username: rng_uuid(rng) for a in DEMO_ACCOUNTS}
    contract_ids = {c.code: rng_uuid(rng) for c in DEMO_CONTRACTS}
    zone_ids = {z.code: z.id for z in zones}
    data = DemoData(site_id, user_ids["admin"], start)
    add = data.rows.append

    add((Site, [{"id": site_id, "code": SITE_CODE, "name_zh": SITE_NAME_ZH, "name_en": SITE_NAME_EN,
                 "timezone": SITE_TIMEZONE, "center_lat": lat, "center_lon": lon}]))
    add((Zone, [{"id": z.id, "site_id": site_id, "code": z.code, "name_zh": z.name_zh, "name_en": z.name_en,
                 "outline": z.outline(), **z.bbox()} for z in zones]))
    add((Contractor, [{"id": contractor_ids[c.code], "code": c.code, "name": c.name} for c in DEMO_CONTRACTORS]))
    add((User, [{"id": user_ids[a.username], "username": a.username, "display_name": a.display_name,
                 "password_hash": "", "role": a.role, "active": True, "created_at": set_up,
                 "contractor_id": contractor_ids[a.contractor_code] if a.contractor_code else None}
                for a in DEMO_ACCOUNTS]))
    add((UserSite, [{"user_id": user_ids[a.username], "site_id": site_id} for a in DEMO_ACCOUNTS if a.role != "admin"]))
    add((UserZone, [{"user_id": user_ids[u], "zone_id": zone_ids[z]}
                    for u, codes in INSPECTOR_ZONES.items() for z in codes]))
    add((Contract, [{"id": contract_ids[c.code], "code": c.code, "contractor_id": contractor_ids[c.contractor_code],
                     "name": c.name, "starts_on": c.starts_on, "ends_on": None} for c in DEMO_CONTRACTS]))
    add((ContractZone, [{"contract_id": contract_ids[c.code], "zone_id": zone_ids[z]}
                        for c in DEMO_CONTRACTS for z in c.zones]))
    add((ContractCategory, [{"contract_id": contract_ids[c.code], "category": k}
                            for c in DEMO_CONTRACTS for k in c.categories]))
    add((Asset, [{"id": a.id, "zone_id": a.zone.id, "category": a.category, "code": a.code, "name": a.name,
                  "lat": a.lat, "lon": a.lon, "outline": None, "qr_token": a.qr_token, "active": True,
                  "created_at": set_up, "created_by": user_ids["admin"], "updated_at": set_up} for a in assets]))

    history = History(rng, standards, assets, user_ids, tz, start, today)
    history.run(plan_inspections(rng, assets, start, today, tz))
    add((Inspection, history.inspections))
    add((ClauseResult, history.clause_results))
    add((Defect, [{
        "id": d.id, "asset_id": d.asset.id, "zone_id": d.asset.zone.id, "category": d.asset.category,
        "clause_id": d.clause_id, "severity": d.severity, "status": d.status, "lat": d.asset.lat,
        "lon": d.asset.lon, "opened_at": d.opened_at, "respond_by": d.opened_at + RESPONSE_TIMES[d.severity],
        "opened_by_inspection_id": d.opened_by, "last_inspection_id": d.last_inspection,
        "passed_inspection_id": d.passed_inspection, "closed_at": d.closed_at,
        "dismissed_reason": d.dismissed_reason,
    } for d in history.defects]))
    add((DefectEvidence, [{"defect_id": d.id, "inspection_id": i} for d in history.defects for i in d.evidence]))
    add((WorkOrder, [{
        "id": o.id, "code": o.code, "contract_id": contract_ids[o.contract.code],
        "contractor_id": contractor_ids[o.contract.contractor_code], "status": o.status,
        "issued_at": o.issued_at, "issued_by": user_ids["supervisor"], "due_at": o.due_at, "notes": "",
        "completed_at": o.completed_at, "verified_at": o.verified_at, "return_reason": o.return_reason,
        "cancel_reason": o.cancel_reason,
    } for o in history.orders]))
    add((WorkOrderDefect, [{"work_order_id": o.id, "defect_id": d.id} for o in history.orders for d in o.defects]))
    return data


async def load_demo(db: Database, *, today: dt.date | None = None,
                    standards: StandardsSet | None = None) -> DemoSummary:
    """Load the demo site RIVERSIDE, its people and its history, in one transaction.

    Does nothing (and says `already_loaded=True`) when the site is already there.
    `today` sets where the history ends (default: today on the site's clock, so that a
    demo loaded at 00:30 in Shanghai ends on Shanghai's date, not UTC's); `standards`
    defaults to the package's own standards data.
    """
    today = today or dt.datetime.now(ZoneInfo(SITE_TIMEZONE)).date()
    async with db.session(write=False) as session:
        if await _site_id(session) is not None:
            return await _summary(session, already_loaded=True)
    standards = standards or load_standards()
    data = await asyncio.to_thread(build_demo, standards, today)
    hashes = await asyncio.to_thread(lambda: {a.username: hash_password(a.password) for a in DEMO_ACCOUNTS})
    for model, rows in data.rows:
        if model is User:
            for row in rows:
                row["password_hash"] = hashes[row["username"]]

    async with db.session() as session:
        if await _site_id(session) is not None:  # another process got there first
            return await _summary(session, already_loaded=True)
        await _reuse_existing_users(session, data)
        for model, rows in data.rows:
            for i in range(0, len(rows), 2000):
                await session.execute(insert(model), rows[i:i + 2000])
        summary = await _summary(session, already_loaded=False)
        session.add(AuditEvent(
            at=utcnow(), user_id=data.admin_id, device_id=None, action="demo.loaded", entity_type="site",
            entity_id=str(data.site_id),
            details={"code": SITE_CODE, "today": today.isoformat(), "history_from": data.start.isoformat(),
                     "seed": SEED, "counts": {k: v for k, v in vars(summary).items() if k != "already_loaded"}},
        ))
    return summary


async def _reuse_existing_users(session: AsyncSession, data: DemoData) -> None:
    """Keep accounts that already exist (say, an administrator made at install) as they are.

    Their rows are not inserted and the demo's references to them point at the existing ids.
    """
    names = [a.username for a in DEMO_ACCOUNTS]
    existing = dict((await session.execute(select(User.username, User.id).where(User.username.in_(names)))).all())
    if not existing:
        return
    users = next(rows for model, rows in data.rows if model is User)
    remap = {row["id"]: existing[row["username"]] for row in users if row["username"] in existing}
    users[:] = [row for row in users if row["username"] not in existing]
    user_columns = {UserSite: "user_id", UserZone: "user_id", Asset: "created_by", Inspection: "inspector_id", WorkOrder: "issued_by"}
    for model, rows in data.rows:
        column = user_columns.get(model)
        if column is None:
            continue
        for row in rows:
            row[column] = remap.get(row[column], row[column])
    data.admin_id = remap.get(data.admin_id, data.admin_id)


async def _site_id(session: AsyncSession) -> uuid.UUID | None:
    return (await session.execute(select(Site.id).where(Site.code == SITE_CODE))).scalar_one_or_none()


async def _summary(session: AsyncSession, *, already_loaded: bool) -> DemoSummary:
    """Count what the demo site holds, in the database."""
    site_id = await _site_id(session)
    zone_ids = select(Zone.id).where(Zone.site_id == site_id).scalar_subquery()
    asset_ids = select(Asset.id).where(Asset.zone_id.in_(zone_ids)).scalar_subquery()

    async def count(query: Any) -> int:
        return int((await session.execute(query)).scalar_one())

    return DemoSummary(
        already_loaded=already_loaded,
        sites=await count(select(func.count()).select_from(Site).where(Site.id == site_id)),
        zones=await count(select(func.count()).select_from(Zone).where(Zone.site_id == site_id)),
        assets=await count(select(func.count()).select_from(Asset).where(Asset.zone_id.in_(zone_ids))),
        users=await count(select(func.count()).select_from(User).where(
            User.username.in_([a.username for a in DEMO_ACCOUNTS]))),
        contractors=await count(select(func.count()).select_from(Contractor).where(
            Contractor.code.in_([c.code for c in DEMO_CONTRACTORS]))),
        contracts=await count(select(func.count()).select_from(Contract).where(
            Contract.code.in_([c.code for c in DEMO_CONTRACTS]))),
        inspections=await count(select(func.count()).select_from(Inspection).where(
            Inspection.asset_id.in_(asset_ids))),
        defects=await count(select(func.count()).select_from(Defect).where(Defect.zone_id.in_(zone_ids))),
        work_orders=await count(
            select(func.count(distinct(WorkOrderDefect.work_order_id)))
            .join(Defect, Defect.id == WorkOrderDefect.defect_id)
            .where(Defect.zone_id.in_(zone_ids))
        ),
    )
