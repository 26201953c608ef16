"""What the admin pages list: plain rows, loaded up front (templates never query)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User, UserZone
from server.assets.models import Asset
from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone
from server.sites.models import Site, UserSite, Zone

LIST_LIMIT = 200


def like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class ZoneRow:
    id: uuid.UUID
    site_code: str
    code: str
    name_zh: str
    name_en: str
    assets: int


async def sites(db: AsyncSession) -> list[Site]:
    return list((await db.execute(select(Site).order_by(Site.code))).scalars())


async def zone_rows(db: AsyncSession, site_id: uuid.UUID | None = None, q: str = "") -> list[ZoneRow]:
    counts = select(Asset.zone_id, func.count().label("n")).where(Asset.active.is_(True)).group_by(Asset.zone_id).subquery()
    query = (select(Zone, Site.code, func.coalesce(counts.c.n, 0)).join(Site, Site.id == Zone.site_id)
             .outerjoin(counts, counts.c.zone_id == Zone.id).order_by(Site.code, Zone.code))
    if site_id:
        query = query.where(Zone.site_id == site_id)
    if q:
        query = query.where(or_(Zone.code.ilike(like(q), escape="\\"), Zone.name_zh.ilike(like(q), escape="\\"),
                                Zone.name_en.ilike(like(q), escape="\\")))
    return [ZoneRow(z.id, s, z.code, z.name_zh, z.name_en, n) for z, s, n in await db.execute(query)]


@dataclass(frozen=True)
class ZoneChoice:
    id: uuid.UUID
    site_id: uuid.UUID
    label: str


async def zone_choices(db: AsyncSession, site_id: uuid.UUID | None = None) -> list[ZoneChoice]:
    query = select(Zone.id, Zone.site_id, Site.code, Zone.code, Zone.name_zh).join(Site, Site.id == Zone.site_id)
    if site_id:
        query = query.where(Zone.site_id == site_id)
    rows = await db.execute(query.order_by(Site.code, Zone.code))
    return [ZoneChoice(zid, sid, f"{scode} · {zcode} {name}") for zid, sid, scode, zcode, name in rows]


@dataclass(frozen=True)
class AssetRow:
    id: uuid.UUID
    code: str
    name: str
    category: str
    zone_code: str
    site_code: str
    active: bool


async def asset_rows(db: AsyncSession, *, site_id: uuid.UUID | None, zone_id: uuid.UUID | None, category: str,
                     q: str, status: str) -> tuple[list[AssetRow], int]:
    query = select(Asset, Zone.code, Site.code).join(Zone, Zone.id == Asset.zone_id).join(Site, Site.id == Zone.site_id)
    if site_id:
        query = query.where(Zone.site_id == site_id)
    if zone_id:
        query = query.where(Asset.zone_id == zone_id)
    if category:
        query = query.where(Asset.category == category)
    if q:
        query = query.where(or_(Asset.code.ilike(like(q), escape="\\"), Asset.name.ilike(like(q), escape="\\")))
    if status in ("active", "retired"):
        query = query.where(Asset.active.is_(status == "active"))
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await db.execute(query.order_by(Asset.code).limit(LIST_LIMIT))
    return [AssetRow(a.id, a.code, a.name, a.category, z, s, a.active) for a, z, s in rows], total


@dataclass(frozen=True)
class ContractRow:
    id: uuid.UUID
    code: str
    name: str
    company: str
    starts_on: Any
    ends_on: Any
    zones: tuple[str, ...]
    categories: tuple[str, ...]


async def contract_rows(db: AsyncSession, contractor_id: uuid.UUID | None = None) -> list[ContractRow]:
    query = select(Contract, Contractor.name).join(Contractor, Contractor.id == Contract.contractor_id)
    if contractor_id:
        query = query.where(Contract.contractor_id == contractor_id)
    contracts = list(await db.execute(query.order_by(Contract.code)))
    ids = [c.id for c, _ in contracts]
    zones: dict[uuid.UUID, list[str]] = {}
    for cid, code in await db.execute(select(ContractZone.contract_id, Zone.code).join(Zone, Zone.id == ContractZone.zone_id)
                                      .where(ContractZone.contract_id.in_(ids)).order_by(Zone.code)):
        zones.setdefault(cid, []).append(code)
    cats: dict[uuid.UUID, list[str]] = {}
    for cid, cat in await db.execute(select(ContractCategory.contract_id, ContractCategory.category)
                                     .where(ContractCategory.contract_id.in_(ids)).order_by(ContractCategory.category)):
        cats.setdefault(cid, []).append(cat)
    return [ContractRow(c.id, c.code, c.name, n, c.starts_on, c.ends_on, tuple(zones.get(c.id, ())),
                        tuple(cats.get(c.id, ()))) for c, n in contracts]


async def contract_links(db: AsyncSession, contract_id: uuid.UUID) -> tuple[list[uuid.UUID], list[str]]:
    zones = list((await db.execute(select(ContractZone.zone_id).where(ContractZone.contract_id == contract_id))).scalars())
    cats = list((await db.execute(select(ContractCategory.category)
                                  .where(ContractCategory.contract_id == contract_id))).scalars())
    return zones, cats


async def contractors(db: AsyncSession) -> list[Contractor]:
    return list((await db.execute(select(Contractor).order_by(Contractor.code))).scalars())


@dataclass(frozen=True)
class UserRow:
    id: uuid.UUID
    username: str
    display_name: str
    role: str
    company: str | None
    active: bool
    sites: tuple[str, ...]


async def user_rows(db: AsyncSession, *, q: str, role: str, site_id: uuid.UUID | None) -> list[UserRow]:
    query = select(User, Contractor.name).outerjoin(Contractor, Contractor.id == User.contractor_id)
    if q:
        query = query.where(or_(User.username.ilike(like(q), escape="\\"), User.display_name.ilike(like(q), escape="\\")))
    if role:
        query = query.where(User.role == role)
    if site_id:
        query = query.where(or_(User.role == "admin", User.id.in_(select(UserSite.user_id).where(
            UserSite.site_id == site_id))))
    users = list(await db.execute(query.order_by(User.username).limit(LIST_LIMIT)))
    site_codes: dict[uuid.UUID, list[str]] = {}
    for uid, code in await db.execute(select(UserSite.user_id, Site.code).join(Site, Site.id == UserSite.site_id)
                                      .where(UserSite.user_id.in_([u.id for u, _ in users])).order_by(Site.code)):
        site_codes.setdefault(uid, []).append(code)
    return [UserRow(u.id, u.username, u.display_name, u.role, n, u.active,
                    ("*",) if u.role == "admin" else tuple(site_codes.get(u.id, ()))) for u, n in users]


async def user_links(db: AsyncSession, user_id: uuid.UUID) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    sites_ = list((await db.execute(select(UserSite.site_id).where(UserSite.user_id == user_id))).scalars())
    zones = list((await db.execute(select(UserZone.zone_id).where(UserZone.user_id == user_id))).scalars())
    return sites_, zones


async def asset_labels(db: AsyncSession, ids: list[uuid.UUID]) -> list[Asset]:
    """The assets chosen for a sheet of QR labels, by code."""
    if not ids:
        return []
    return list((await db.execute(select(Asset).where(Asset.id.in_(ids)).order_by(Asset.code))).scalars())
