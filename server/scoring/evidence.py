"""The records behind a scope's figures: its assets with their latest inspection, its orders.

Built from the same rows the figures were computed from (live, or frozen with a closed
month), with names and times looked up for display.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.scoring.figures import AssetRow, MonthData, OrderRow, Ref
from server.scoring.queries import (
    AssetDetail, InspectionDetail, OrderDetail, asset_details, inspection_details, order_details,
)


@dataclass(frozen=True)
class AssetEvidence:
    row: AssetRow
    asset: AssetDetail | None
    latest: InspectionDetail | None


@dataclass(frozen=True)
class OrderEvidence:
    row: OrderRow
    outcome: str
    order: OrderDetail | None


@dataclass
class Evidence:
    ref: Ref
    assets: list[AssetEvidence]
    orders: list[OrderEvidence]
    assets_total: int


async def gather(db: AsyncSession, data: MonthData, ref: Ref, *, figure: str | None = None,
                 offset: int = 0, limit: int | None = None) -> Evidence:
    """The scope's evidence; `figure` narrows it (compliance and clauses: inspected assets only)."""
    rows = data.assets_in(ref)
    if figure in ("compliance", "clause_pass_rate"):
        rows = [a for a in rows if a.inspected]
    details = await asset_details(db, [a.asset_id for a in rows])
    # Present assets by code (then id) so pages and CSV read like the asset register.
    rows.sort(key=lambda a: (details[a.asset_id].code if a.asset_id in details else "~", a.asset_id))
    total = len(rows)
    page = rows[offset:offset + limit] if limit is not None else rows[offset:]
    inspections = await inspection_details(db, [a.latest_inspection_id for a in page if a.latest_inspection_id])
    assets = [AssetEvidence(a, details.get(a.asset_id), inspections.get(a.latest_inspection_id or ""))
              for a in page]
    orders: list[OrderEvidence] = []
    if figure in (None, "timeliness"):
        order_rows = data.orders_in(ref)
        found = await order_details(db, [o.order_id for o in order_rows])
        orders = [OrderEvidence(o, o.outcome(data.now), found.get(o.order_id)) for o in order_rows]
    if figure == "timeliness":
        assets, total = [], 0
    return Evidence(ref, assets, orders, total)

