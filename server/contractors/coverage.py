"""Contract coverage: which contract covers a zone × asset category on a given day.

A contract covers every pair of one of its zones and one of its categories, from its
first day to its last (open-ended when `ends_on` is empty).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.contractors.models import Contract, ContractCategory, Contractor, ContractZone


@dataclass(frozen=True)
class ContractOption:
    """A contract a work order can be issued under."""

    id: uuid.UUID
    code: str
    name: str
    contractor_id: uuid.UUID
    contractor_code: str
    contractor_name: str
    zone_ids: frozenset[uuid.UUID]
    categories: frozenset[str]

    def covers(self, zone_id: uuid.UUID, category: str) -> bool:
        return zone_id in self.zone_ids and category in self.categories


def in_force(on: dt.date) -> ColumnElement[bool]:
    """The contracts running on day `on`."""
    return and_(Contract.starts_on <= on, or_(Contract.ends_on.is_(None), Contract.ends_on >= on))


async def contract_options(db: AsyncSession, on: dt.date) -> list[ContractOption]:
    """Every contract in force on `on`, with its zones and categories (a handful of rows)."""
    rows = (
        await db.execute(
            select(Contract, Contractor.code, Contractor.name)
            .join(Contractor, Contractor.id == Contract.contractor_id)
            .where(in_force(on))
            .order_by(Contractor.code, Contract.code)
        )
    ).all()
    ids = [c.id for c, _, _ in rows]
    zones: dict[uuid.UUID, set[uuid.UUID]] = {i: set() for i in ids}
    categories: dict[uuid.UUID, set[str]] = {i: set() for i in ids}
    if ids:
        for cid, zid in await db.execute(select(ContractZone.contract_id, ContractZone.zone_id).where(ContractZone.contract_id.in_(ids))):
            zones[cid].add(zid)
        for cid, cat in await db.execute(
            select(ContractCategory.contract_id, ContractCategory.category).where(ContractCategory.contract_id.in_(ids))
        ):
            categories[cid].add(cat)
    return [
        ContractOption(c.id, c.code, c.name, c.contractor_id, code, name, frozenset(zones[c.id]), frozenset(categories[c.id]))
        for c, code, name in rows
    ]


async def contracts_covering(
    db: AsyncSession, pairs: set[tuple[uuid.UUID, str]], on: dt.date
) -> list[ContractOption]:
    """The contracts in force on `on` that cover every (zone id, category) pair given."""
    return [o for o in await contract_options(db, on) if all(o.covers(z, c) for z, c in pairs)]


def covered_by_contractors(
    contractor_ids: Select[Any], zone_column: SQLColumnExpression[uuid.UUID], category_column: SQLColumnExpression[str]
) -> ColumnElement[bool]:
    """SQL: some contract (any day) of one of `contractor_ids` (a subquery) covers the row's
    zone and category."""
    return exists(
        select(1)
        .select_from(Contract)
        .join(ContractZone, ContractZone.contract_id == Contract.id)
        .join(ContractCategory, ContractCategory.contract_id == Contract.id)
        .where(
            Contract.contractor_id.in_(contractor_ids),
            ContractZone.zone_id == zone_column,
            ContractCategory.category == category_column,
        )
    )
