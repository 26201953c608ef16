"""Exports of defects and work orders, with the filters of the page they come from.

GeoJSON follows RFC 7946: a FeatureCollection in WGS 84 with [longitude, latitude]
positions, no `crs` member, served as `application/geo+json`. A defect is a Point; a work
order is a MultiPoint of its defects. CSV is UTF-8 with a byte-order mark (so spreadsheet
programs read the Chinese right), one row per defect or order, times in ISO 8601 UTC.

The map reads the same defect GeoJSON, so it is built for speed: one query of plain
columns, no ORM objects, encoded by msgspec (10,000 defects well inside 300 ms on SQLite).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

import msgspec
from sqlalchemy import String, cast, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.assets.models import Asset
from server.core.csvfile import MEDIA_TYPE, csv_bytes
from server.contractors.models import Contract, Contractor
from server.defects.filters import DefectFilter
from server.workorders.filters import WorkOrderFilter
from server.defects.lifecycle import most_severe
from server.defects.models import Defect
from server.sites.models import Zone
from server.workorders.models import WorkOrder, WorkOrderDefect
from server.workorders.states import OPEN_STATUSES
from standards import Standard

GEOJSON = "application/geo+json"
CSV = MEDIA_TYPE
_encoder = msgspec.json.Encoder()


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def _round(x: float) -> float:
    return round(x, 7)  # about 1 cm: more digits are noise (RFC 7946 §11.2)


async def _zone_codes(db: AsyncSession) -> dict[uuid.UUID, str]:
    return dict((await db.execute(select(Zone.id, Zone.code))).all())


def _raw(column: Any) -> Any:
    """The column as the driver gives it: no UUID or datetime objects made for 10,000 rows."""
    return type_coerce(column, String)


def _id_text(column: Any) -> Any:
    """A UUID column as text made by the database (SQLite: its stored 32 hex digits;
    PostgreSQL: the canonical form), so the driver builds no UUID object per row."""
    return cast(column, String)


def _uuid_text(value: Any) -> str:
    """A raw UUID (SQLite: 32 hex digits; PostgreSQL: the driver's UUID) in canonical form."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value)


def _time_text(value: Any) -> str | None:
    """A raw UTC time (SQLite: naive text; PostgreSQL: an aware datetime) as ISO 8601 with Z."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace(" ", "T", 1) + "Z"
    return _iso(value)


class _Point(msgspec.Struct, tag_field="type", tag="Point"):
    coordinates: tuple[float, float]


class _MapProperties(msgspec.Struct):
    severity: str
    status: str


class _Properties(msgspec.Struct):
    severity: str
    status: str
    clause: str
    category: str
    zone: str
    asset: str
    opened_at: str | None
    respond_by: str | None


class _Feature(msgspec.Struct, tag_field="type", tag="Feature"):
    """A defect as a GeoJSON Feature: msgspec writes `{"type": "Feature", "id": …,
    "geometry": …, "properties": …}` from it; structs are made faster than dicts (20,000
    features a map)."""

    id: str
    geometry: _Point
    properties: _MapProperties | _Properties


async def defect_features(db: AsyncSession, f: DefectFilter, user: CurrentUser, *, lean: bool = False) -> list[_Feature]:
    """The filtered defects as GeoJSON Features, built from raw column values; positions
    to 7 decimals (about 1 cm: more digits are noise, RFC 7946 §11.2).

    `lean`: only what the map draws (position, severity and status; the rest is fetched
    when a point is clicked), for a smaller, faster answer.
    """
    uuid_text, time_text = _uuid_text, _time_text
    position = (_id_text(Defect.id), Defect.lon, Defect.lat, Defect.severity, Defect.status)
    conn = await db.connection()  # plain Core rows: no ORM bookkeeping for 20,000 of them
    if lean:
        rows = (await conn.execute(f.apply(select(*position), user))).all()
        return [_Feature(uuid_text(i), _Point((round(lon, 7), round(lat, 7))), _MapProperties(sev, status))
                for i, lon, lat, sev, status in rows]
    query = f.apply(
        select(*position, Defect.clause_id, Defect.category, Zone.code, _raw(Defect.opened_at),
               _raw(Defect.respond_by), Asset.code)
        .join(Asset, Asset.id == Defect.asset_id)
        .join(Zone, Zone.id == Defect.zone_id),
        user,
    )
    rows = (await conn.execute(query)).all()
    return [
        _Feature(uuid_text(i), _Point((round(lon, 7), round(lat, 7))),
                 _Properties(sev, status, clause, cat, zone, code, time_text(opened), time_text(due)))
        for i, lon, lat, sev, status, clause, cat, zone, opened, due, code in rows
    ]


def feature_collection(features: list[Any]) -> bytes:
    return _encoder.encode({"type": "FeatureCollection", "features": features})


async def defects_geojson(db: AsyncSession, f: DefectFilter, user: CurrentUser, *, lean: bool = False) -> bytes:
    return feature_collection(await defect_features(db, f, user, lean=lean))


DEFECT_COLUMNS = ["id", "zone", "asset_code", "asset_name", "category", "clause_id", "clause_zh", "clause_en",
                  "severity", "status", "opened_at", "respond_by", "closed_at", "dismissed_reason", "lat", "lon",
                  "work_order", "contractor"]


async def _latest_orders(db: AsyncSession, defect_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    latest: dict[uuid.UUID, tuple[str, str]] = {}
    for chunk in range(0, len(defect_ids), 900):
        rows = await db.execute(
            select(WorkOrderDefect.defect_id, WorkOrder.code, Contractor.code)
            .join(WorkOrder, WorkOrder.id == WorkOrderDefect.work_order_id)
            .join(Contractor, Contractor.id == WorkOrder.contractor_id)
            .where(WorkOrderDefect.defect_id.in_(defect_ids[chunk:chunk + 900]))
            .order_by(WorkOrder.issued_at)
        )
        for defect_id, code, contractor in rows:
            latest[defect_id] = (code, contractor)  # ordered by issue time: the last wins
    return latest


async def defects_csv(db: AsyncSession, f: DefectFilter, user: CurrentUser, standard: Standard) -> bytes:
    zones = await _zone_codes(db)
    rows = (await db.execute(
        f.apply(select(Defect, Asset.code, Asset.name).join(Asset, Asset.id == Defect.asset_id), user)
        .order_by(Defect.opened_at, Defect.id)
    )).all()
    orders = await _latest_orders(db, [d.id for d, _, _ in rows])
    out = []
    for d, code, name in rows:
        try:
            label = standard.clause(d.clause_id).label
        except KeyError:
            label = {}
        order, contractor = orders.get(d.id, ("", ""))
        out.append([str(d.id), zones.get(d.zone_id), code, name, d.category, d.clause_id, label.get("zh", ""),
                    label.get("en", ""), d.severity, d.status, _iso(d.opened_at), _iso(d.respond_by),
                    _iso(d.closed_at), d.dismissed_reason or "", d.lat, d.lon, order, contractor])
    return csv_bytes(DEFECT_COLUMNS, out)


async def _orders(db: AsyncSession, f: WorkOrderFilter, user: CurrentUser, now: dt.datetime) -> list[Any]:
    return list((await db.execute(
        f.apply(select(WorkOrder, Contractor.code, Contract.code)
                .join(Contractor, Contractor.id == WorkOrder.contractor_id)
                .join(Contract, Contract.id == WorkOrder.contract_id), user, now)
        .order_by(WorkOrder.issued_at, WorkOrder.code)
    )).all())


async def _order_defects(db: AsyncSession, order_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[float, float, str]]]:
    found: dict[uuid.UUID, list[tuple[float, float, str]]] = defaultdict(list)
    for chunk in range(0, len(order_ids), 900):
        for oid, lon, lat, sev in await db.execute(
            select(WorkOrderDefect.work_order_id, Defect.lon, Defect.lat, Defect.severity)
            .join(Defect, Defect.id == WorkOrderDefect.defect_id)
            .where(WorkOrderDefect.work_order_id.in_(order_ids[chunk:chunk + 900]))
            .order_by(Defect.id)
        ):
            found[oid].append((lon, lat, sev))
    return found


def _order_properties(o: WorkOrder, contractor: str, contract: str, now: dt.datetime, n: int) -> dict[str, Any]:
    return {"code": o.code, "status": o.status, "contractor": contractor, "contract": contract,
            "issued_at": _iso(o.issued_at), "due_at": _iso(o.due_at), "completed_at": _iso(o.completed_at),
            "verified_at": _iso(o.verified_at), "overdue": o.status in OPEN_STATUSES and o.due_at < now, "defects": n}


async def orders_geojson(db: AsyncSession, f: WorkOrderFilter, user: CurrentUser, now: dt.datetime) -> bytes:
    rows = await _orders(db, f, user, now)
    points = await _order_defects(db, [o.id for o, _, _ in rows])
    features = []
    for o, contractor, contract in rows:
        coords = [[_round(lon), _round(lat)] for lon, lat, _ in points.get(o.id, [])]
        features.append({"type": "Feature", "id": str(o.id),
                         "geometry": {"type": "MultiPoint", "coordinates": coords},
                         "properties": _order_properties(o, contractor, contract, now, len(coords))})
    return feature_collection(features)


ORDER_COLUMNS = ["id", "code", "status", "contractor", "contract", "issued_at", "due_at", "overdue", "completed_at",
                 "verified_at", "defects", "worst_severity", "due_change_reason", "return_reason", "cancel_reason"]


async def orders_csv(db: AsyncSession, f: WorkOrderFilter, user: CurrentUser, now: dt.datetime) -> bytes:
    rows = await _orders(db, f, user, now)
    points = await _order_defects(db, [o.id for o, _, _ in rows])
    out = []
    for o, contractor, contract in rows:
        p = _order_properties(o, contractor, contract, now, len(points.get(o.id, [])))
        out.append([str(o.id), o.code, o.status, contractor, contract, p["issued_at"], p["due_at"],
                    "yes" if p["overdue"] else "no", p["completed_at"], p["verified_at"], p["defects"],
                    most_severe(s for _, _, s in points.get(o.id, [])), o.due_change_reason or "",
                    o.return_reason or "", o.cancel_reason or ""])
    return csv_bytes(ORDER_COLUMNS, out)
