"""The supervisor's work-order pages: the list, issuing an order, reviewing one, notifications.

Every form is a plain POST answered with 303; a refused one shows its page again with the
message next to the form (and the refusal's status code).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.guards import role_in
from server.core.config import get_settings
from server.contractors.coverage import contracts_covering
from server.core.db import utcnow
from server.defects.filters import parse_uuid_list
from server.workorders.filters import WorkOrderFilter
from server.defects.lifecycle import most_severe, response_time
from server.defects.models import SEVERITIES
from server.defects.queries import defects_by_ids, filter_choices
from server.core.deps import DbSession
from server.core.errors import AppError, _describe
from server.rounds.alerts import mark_round_alerts_read, round_alerts
from server.sites.access import site_zone_ids
from server.core.web import render
from server.workorders import service
from server.core.http import form_of, next_or, uuid_or_none
from server.core.identity import signed_in_user
from server.workorders.responses import after_post
from server.workorders.models import WORK_ORDER_STATUSES
from server.workorders.notifications import mark_read, recent_notifications, unread_counts
from server.workorders.queries import order_detail, order_list, webhook_log


def local_input(value: dt.datetime) -> str:
    """A time as a `datetime-local` input shows it, in the site's time zone."""
    return value.astimezone(ZoneInfo(get_settings().site.timezone)).strftime("%Y-%m-%dT%H:%M")


async def mark_order_read(request: Request[Any, Any, Any], order_id: uuid.UUID) -> None:
    """Opening an order reads its notifications (its own short write, outside the page's read)."""
    async with request.app.state.db.session(write=True) as db:
        await mark_read(db, signed_in_user(request).id, order_id)


async def order_page(
    request: Request[Any, Any, Any], db: AsyncSession, order_id: uuid.UUID, template: str,
    error: AppError | None = None, **extra: Any,
) -> Template:
    """One order's page for whoever may see it (the supervisor's review or the contractor's)."""
    order = await service.order_for(db, signed_in_user(request), order_id)
    detail = await order_detail(db, order, utcnow())
    if error is None:
        await mark_order_read(request, order_id)
    return render(
        request, template, title_key="wo.order_title", o=detail, due_input=local_input(detail.due_at),
        error=_describe(request, error) if error else None, status_code=error.status_code if error else 200,
        standard=request.app.state.standards.catalogue(), **extra,
    )


async def step_or_page(
    request: Request[Any, Any, Any], db: AsyncSession, order_id: uuid.UUID, action: str, template: str,
    reason: str | None = None, **extra: Any,
) -> Template | None:
    """Take the order one step (`action`); None when done, else its page saying why not (404 stays 404)."""
    try:
        async with db.begin_nested():
            await service.transition(db, signed_in_user(request), order_id, action, reason=reason, request=request)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return await order_page(request, db, order_id, template, exc, **extra)
    return None


async def notifications_page(request: Request[Any, Any, Any], db: AsyncSession, area: str) -> Template:
    """The signed-in user's notifications, in `area` ("supervise" or "contractor")."""
    user = signed_in_user(request)
    rounds = await round_alerts(db, user.id, site_zone_ids(user)) if area == "supervise" else []
    return render(request, f"{area}/notifications.html", title_key="notice.title",
                  items=await recent_notifications(db, user.id), unread=await unread_counts(db, user.id),
                  round_alerts=rounds, rounds_unread=sum(not a.read for a in rounds),
                  order_base=f"/{area}/orders/", read_url=f"/{area}/notifications/read")


async def read_all_notifications(request: Request[Any, Any, Any], db: AsyncSession, area: str) -> Redirect:
    await mark_read(db, signed_in_user(request).id)
    if area == "supervise":
        await mark_round_alerts_read(db, signed_in_user(request).id)
    return after_post(request, db, f"/{area}/notifications")


class SupervisorOrderPages(Controller):
    path = "/supervise"
    guards = [role_in("supervisor")]
    include_in_schema = False

    @get("/orders")
    async def orders(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        f = WorkOrderFilter.parse(request.query_params)
        rows, total = await order_list(db, f, signed_in_user(request), utcnow())
        return render(request, "supervise/orders.html", title_key="wo.list_title", f=f, rows=rows, total=total,
                      choices=await filter_choices(db, signed_in_user(request).site_id), statuses=WORK_ORDER_STATUSES)

    @get("/orders/new")
    async def new_order(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        """The order form for the defects chosen on the map (`?defect=<id>&defect=…`)."""
        ids = parse_uuid_list(request.query_params.getall("defect", []), "defect")
        return await self._new_form(request, db, ids, None, {})

    async def _new_form(
        self, request: Request[Any, Any, Any], db: AsyncSession, ids: list[uuid.UUID], error: AppError | None,
        values: dict[str, Any],
    ) -> Template:
        rows = await defects_by_ids(db, ids, signed_in_user(request))
        today = utcnow().astimezone(ZoneInfo(get_settings().site.timezone)).date()
        options = await contracts_covering(db, {(r.zone_id, r.category) for r in rows}, today) if rows else []
        worst = most_severe(r.severity for r in rows) if rows else None
        default_due = utcnow() + response_time(worst) if worst else None
        return render(
            request, "supervise/order_new.html", title_key="wo.new_title", rows=rows, options=options, worst=worst,
            default_due=local_input(default_due) if default_due else "", values=values,
            not_open=[r for r in rows if r.status != "open"],
            error=_describe(request, error) if error else None, status_code=error.status_code if error else 200,
        )

    @post("/orders")
    async def issue(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        form = await form_of(request)
        ids = parse_uuid_list(form.getall("defect_id", []), "defect_id")
        values = {k: str(form.get(k) or "") for k in ("contract_id", "due_at", "due_reason", "notes")}
        try:
            async with db.begin_nested():
                order = await service.issue_order(
                    db, signed_in_user(request), ids, contract_id=uuid_or_none(form.get("contract_id"), "contract_id"),
                    due_at=service.parse_due(form.get("due_at")), due_reason=form.get("due_reason"),
                    notes=form.get("notes") or "", request=request,
                )
        except AppError as exc:
            return await self._new_form(request, db, ids, exc, values)
        return after_post(request, db, f"/supervise/orders/{order.id}")

    @get("/orders/{order_id:uuid}")
    async def order(self, request: Request[Any, Any, Any], db: DbSession, order_id: FromPath[uuid.UUID]) -> Template:
        return await order_page(request, db, order_id, "supervise/order.html")

    @post("/orders/{order_id:uuid}/due")
    async def change_due(self, request: Request[Any, Any, Any], db: DbSession, order_id: FromPath[uuid.UUID]) -> Redirect | Template:
        form = await form_of(request)
        try:
            async with db.begin_nested():
                await service.change_due(db, signed_in_user(request), order_id, service.parse_due(form.get("due_at")),
                                         form.get("due_reason"), request)
        except AppError as exc:
            if exc.status_code == 404:
                raise
            return await order_page(request, db, order_id, "supervise/order.html", exc)
        return after_post(request, db, f"/supervise/orders/{order_id}")

    @post("/orders/{order_id:uuid}/{action:str}")
    async def act(self, request: Request[Any, Any, Any], db: DbSession, order_id: FromPath[uuid.UUID], action: FromPath[str]) -> Redirect | Template:
        """verify, return (with a reason) or cancel (with a reason)."""
        form = await form_of(request)
        page = await step_or_page(request, db, order_id, action, "supervise/order.html", form.get("reason"))
        return page or after_post(request, db, next_or(form, f"/supervise/orders/{order_id}"))

    @get("/notifications")
    async def notifications(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return await notifications_page(request, db, "supervise")

    @post("/notifications/read")
    async def read_all(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect:
        return await read_all_notifications(request, db, "supervise")

    @get("/webhooks")
    async def webhooks(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return render(request, "supervise/webhooks.html", title_key="webhook.log_title",
                      deliveries=await webhook_log(db, None), severities=SEVERITIES)
