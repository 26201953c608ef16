"""The JSON API of defects, work orders, map layers and notifications.

Errors: `{"code", "message", "field", "errors"}` with the message in the user's language.
A contractor's user sees only its company's orders and the defects on them: any other id
is 404, the same as an id that does not exist. Illegal state changes are 409.
"""

from __future__ import annotations

import asyncio
import gzip
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath
from sqlalchemy import select

from server.core.guards import role_in
from server.assets.models import Asset
from server.core.db import utcnow
from server.defects import lifecycle
from server.defects.filters import DefectFilter, parse_uuid_list
from server.workorders.filters import WorkOrderFilter
from server.defects.queries import defect_detail, nearby_open_defects
from server.core.deps import DbSession
from server.core.errors import AppError
from server.sites.models import Zone
from server.workorders import exports, service
from server.workorders.exports import CSV, GEOJSON
from server.core.http import json_body, uuid_or_none
from server.core.identity import signed_in_user
from server.workorders.responses import json_answer
from server.workorders.notifications import mark_read, recent_notifications, unread_counts
from server.workorders.queries import order_detail, order_list
from server.core.workorder_settings import get_workorder_settings

NO_STORE = {"cache-control": "private, no-store"}
GZIP_LEVEL = 1


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (and does not refuse it with q=0)."""
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.", "0.0", "0.00", "0.000"))
    return False


def _download(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(content=content, media_type=media_type,
                    headers={**NO_STORE, "content-disposition": f'attachment; filename="{name}"'})


def _number(raw: str | None, field: str, lo: float, hi: float) -> float:
    try:
        value = float(raw or "")
    except ValueError as exc:
        raise AppError("bad_filter", key="filter.bad_number", field=field) from exc
    if not lo <= value <= hi:
        raise AppError("bad_filter", key="filter.bad_number", field=field)
    return value


class DefectApiController(Controller):
    path = "/api"
    tags = ["defects"]

    @get("/defects.geojson", guards=[role_in("supervisor", "contractor")], summary="Defects as GeoJSON (RFC 7946)")
    async def geojson(self, request: Request[Any, Any, Any], db: DbSession) -> Response[bytes]:
        """The defects matching the map's filters (zone, category, clause, severity, status,
        from, to, contractor, bbox) as a FeatureCollection of Points; `view=map` keeps only
        the properties the map draws (severity, status)."""
        f = DefectFilter.parse(request.query_params)
        lean = request.query_params.get("view") == "map"
        body = await exports.defects_geojson(db, f, signed_in_user(request), lean=lean)
        headers = {**NO_STORE, "vary": "Accept-Encoding"}
        if accepts_gzip(request.headers.get("accept-encoding", "")):
            # Gzipped here, not by the app's compression (server/app.py leaves this path out):
            # megabytes of GeoJSON at level 1 take a third of the time of level 6 for a
            # seventh more bytes, and zlib works outside the GIL in a thread.
            body = await asyncio.to_thread(gzip.compress, body, GZIP_LEVEL, mtime=0)
            headers["content-encoding"] = "gzip"
        return Response(content=body, media_type=GEOJSON, headers=headers)

    @get("/defects.csv", guards=[role_in("supervisor", "contractor")], summary="Defects as CSV")
    async def csv(self, request: Request[Any, Any, Any], db: DbSession) -> Response[bytes]:
        f = DefectFilter.parse(request.query_params)
        body = await exports.defects_csv(db, f, signed_in_user(request), request.app.state.standards.catalogue())
        return _download(body, CSV, "defects.csv")

    @get("/defects/nearby", guards=[role_in("inspector", "supervisor")], summary="Likely duplicates nearby")
    async def nearby(self, request: Request[Any, Any, Any], db: DbSession) -> dict[str, Any]:
        """Active defects of `category` within DUPLICATE_DISTANCE_M of `lat`, `lon`."""
        q = request.query_params
        radius = get_workorder_settings().duplicate_distance_m
        found = await nearby_open_defects(db, _number(q.get("lat"), "lat", -90, 90), _number(q.get("lon"), "lon", -180, 180),
                                          str(q.get("category") or ""), radius)
        return {"radius_m": radius, "defects": [{"id": str(i), "clause_id": c, "distance_m": round(m, 1)} for i, c, m in found]}

    @get("/defects/{defect_id:uuid}", guards=[role_in("supervisor", "contractor")], summary="One defect")
    async def defect(self, request: Request[Any, Any, Any], db: DbSession, defect_id: FromPath[uuid.UUID]) -> dict[str, Any]:
        d = await defect_detail(db, defect_id, signed_in_user(request))
        if d is None:
            raise AppError("defect_not_found", field="defect_id")
        r = d.row
        return {
            "id": str(r.id), "zone": r.zone_code, "asset": {"code": r.asset_code, "name": r.asset_name},
            "category": r.category, "clause_id": r.clause_id, "severity": r.severity, "status": r.status,
            "opened_at": r.opened_at, "respond_by": r.respond_by, "closed_at": d.closed_at, "lat": r.lat, "lon": r.lon,
            "dismissed_reason": d.dismissed_reason,
            "evidence": [{"inspection_id": str(e.inspection_id), "observed_at": e.observed_at, "photos": e.photos}
                         for e in d.evidence],
            "work_orders": [{"id": str(o.id), "code": o.code, "status": o.status} for o in d.orders],
        }

    @post("/defects/{defect_id:uuid}/dismiss", guards=[role_in("supervisor")], summary="Dismiss a defect with a reason")
    async def dismiss(self, request: Request[Any, Any, Any], db: DbSession, defect_id: FromPath[uuid.UUID]) -> Response[Any]:
        body = await json_body(request)
        d = await lifecycle.dismiss_defect(db, signed_in_user(request), defect_id, body.get("reason"), request)
        return json_answer(request, db, {"id": str(d.id), "status": d.status})

    @post("/defects/{defect_id:uuid}/close", guards=[role_in("supervisor")], summary="Close a defect found passing")
    async def close(self, request: Request[Any, Any, Any], db: DbSession, defect_id: FromPath[uuid.UUID]) -> Response[Any]:
        d = await lifecycle.close_passed_defect(db, signed_in_user(request), defect_id, request)
        return json_answer(request, db, {"id": str(d.id), "status": d.status})


def order_json(o: Any) -> dict[str, Any]:
    return {
        "id": str(o.id), "code": o.code, "status": o.status, "contractor": o.contractor_code,
        "contract": o.contract_code, "issued_at": o.issued_at, "due_at": o.due_at, "overdue": o.overdue,
        "completed_at": o.completed_at, "verified_at": o.verified_at, "notes": o.notes,
        "due_change_reason": o.due_change_reason, "return_reason": o.return_reason, "cancel_reason": o.cancel_reason,
        "defects": [{"id": str(d.id), "asset": d.asset_code, "zone": d.zone_code, "category": d.category,
                     "clause_id": d.clause_id, "severity": d.severity, "status": d.status, "lat": d.lat, "lon": d.lon,
                     "before_photos": d.before_photos} for d in o.defects],
        "completions": [{"id": str(c.id), "completed_at": c.completed_at, "by": c.by, "notes": c.notes,
                         "photos": [{"sha256": p.sha256, "defect_id": str(p.defect_id), "taken_at": p.taken_at,
                                     "distance_m": round(p.distance_m, 1)} for p in c.photos]} for c in o.completions],
        "history": [{"at": h.at, "action": h.action, "by": h.who, "from": h.details.get("from"),
                     "to": h.details.get("to"), "reason": h.details.get("reason")} for h in o.history],
    }


class WorkOrderApiController(Controller):
    path = "/api"
    tags = ["work orders"]
    guards = [role_in("supervisor", "contractor")]

    @get("/work-orders", summary="Work orders (filtered)")
    async def list(self, request: Request[Any, Any, Any], db: DbSession) -> dict[str, Any]:
        f = WorkOrderFilter.parse(request.query_params)
        rows, total = await order_list(db, f, signed_in_user(request), utcnow())
        return {"total": total, "work_orders": [
            {"id": str(r.id), "code": r.code, "status": r.status, "contractor": r.contractor_code,
             "contract": r.contract_code, "issued_at": r.issued_at, "due_at": r.due_at, "defects": r.defects,
             "worst_severity": r.worst, "overdue": r.overdue} for r in rows]}

    @get("/work-orders.geojson", summary="Work orders as GeoJSON (RFC 7946)")
    async def geojson(self, request: Request[Any, Any, Any], db: DbSession) -> Response[bytes]:
        f = WorkOrderFilter.parse(request.query_params)
        body = await exports.orders_geojson(db, f, signed_in_user(request), utcnow())
        return Response(content=body, media_type=GEOJSON, headers=NO_STORE)

    @get("/work-orders.csv", summary="Work orders as CSV")
    async def csv(self, request: Request[Any, Any, Any], db: DbSession) -> Response[bytes]:
        f = WorkOrderFilter.parse(request.query_params)
        return _download(await exports.orders_csv(db, f, signed_in_user(request), utcnow()), CSV, "work-orders.csv")

    @post("/work-orders", guards=[role_in("supervisor")], summary="Issue a work order", status_code=201)
    async def issue(self, request: Request[Any, Any, Any], db: DbSession) -> Response[Any]:
        """`{"defect_ids": [...], "contract_id"?, "due_at"?, "due_reason"?, "notes"?}`"""
        body = await json_body(request)
        raw_ids = body.get("defect_ids")
        if not isinstance(raw_ids, list):
            raise AppError("defects_required", field="defect_ids")
        order = await service.issue_order(
            db, signed_in_user(request), parse_uuid_list(raw_ids, "defect_ids"),
            contract_id=uuid_or_none(body.get("contract_id"), "contract_id"), due_at=service.parse_due(body.get("due_at")),
            due_reason=body.get("due_reason"), notes=body.get("notes") or "", request=request,
        )
        return json_answer(request, db, order_json(await order_detail(db, order, utcnow())), 201)

    @get("/work-orders/{order_id:uuid}", summary="One work order")
    async def order(self, request: Request[Any, Any, Any], db: DbSession, order_id: FromPath[uuid.UUID]) -> dict[str, Any]:
        order = await service.order_for(db, signed_in_user(request), order_id)
        return order_json(await order_detail(db, order, utcnow()))

    @put("/work-orders/{order_id:uuid}/due", guards=[role_in("supervisor")], summary="Move the due time (with a reason)")
    async def due(self, request: Request[Any, Any, Any], db: DbSession, order_id: FromPath[uuid.UUID]) -> Response[Any]:
        body = await json_body(request)
        order = await service.change_due(db, signed_in_user(request), order_id, service.parse_due(body.get("due_at")),
                                         body.get("due_reason"), request)
        return json_answer(request, db, {"id": str(order.id), "due_at": order.due_at, "status": order.status})

    @post("/work-orders/{order_id:uuid}/{action:str}", summary="Accept, start, verify, return or cancel")
    async def act(self, request: Request[Any, Any, Any], db: DbSession, order_id: FromPath[uuid.UUID], action: FromPath[str]) -> Response[Any]:
        """Contractors accept and start; supervisors verify, return and cancel (the last two
        with `{"reason": "…"}`). Completing goes through the sync API with its photos."""
        body = await json_body(request)
        order = await service.transition(db, signed_in_user(request), order_id, action, reason=body.get("reason"),
                                         request=request)
        return json_answer(request, db, {"id": str(order.id), "code": order.code, "status": order.status})


class MapApiController(Controller):
    path = "/api/map"
    tags = ["map"]
    guards = [role_in("supervisor")]

    @get("/zones.geojson", summary="Zone outlines (RFC 7946)")
    async def zones(self, db: DbSession) -> Response[bytes]:
        rows = (await db.execute(select(Zone).order_by(Zone.code))).scalars()
        features = [{"type": "Feature", "id": str(z.id), "geometry": z.outline,
                     "properties": {"code": z.code, "name_zh": z.name_zh, "name_en": z.name_en}} for z in rows]
        return Response(content=exports.feature_collection(features), media_type=GEOJSON, headers=NO_STORE)

    @get("/assets.geojson", summary="Asset points (RFC 7946)")
    async def assets(self, request: Request[Any, Any, Any], db: DbSession) -> Response[bytes]:
        """Active assets as Points; `zone` (codes) and `category` narrow them down."""
        query = select(Asset.id, Asset.lon, Asset.lat, Asset.code, Asset.category, Zone.code).join(
            Zone, Zone.id == Asset.zone_id).where(Asset.active.is_(True))
        zones = [z for z in request.query_params.getall("zone", []) if z]
        categories = [c for c in request.query_params.getall("category", []) if c]
        if zones:
            query = query.where(Zone.code.in_(zones))
        if categories:
            query = query.where(Asset.category.in_(categories))
        features = [{"type": "Feature", "id": str(i), "geometry": {"type": "Point", "coordinates": [lon, lat]},
                     "properties": {"code": code, "category": cat, "zone": zone}}
                    for i, lon, lat, code, cat, zone in await db.execute(query)]
        return Response(content=exports.feature_collection(features), media_type=GEOJSON, headers=NO_STORE)


class NotificationApiController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]
    guards = [role_in("supervisor", "contractor")]

    @get("/", summary="My notifications and unread counts")
    async def mine(self, request: Request[Any, Any, Any], db: DbSession) -> dict[str, Any]:
        user = signed_in_user(request)
        unread = await unread_counts(db, user.id)
        items = await recent_notifications(db, user.id)
        return {"unread": unread.total, "unread_by_kind": unread.by_kind, "notifications": [
            {"id": str(n.id), "kind": n.kind, "created_at": n.created_at, "read": n.read,
             "work_order": {"id": str(n.work_order_id), "code": n.work_order_code, "status": n.work_order_status}}
            for n in items]}

    @post("/read", status_code=200, summary="Mark notifications read (all, or those of one work order)")
    async def read(self, request: Request[Any, Any, Any], db: DbSession) -> dict[str, Any]:
        body = await json_body(request)
        marked = await mark_read(db, signed_in_user(request).id, uuid_or_none(body.get("work_order_id"), "work_order_id"))
        return {"marked": marked}
