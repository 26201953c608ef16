"""The contractor's pages: only the orders of the user's own company; any other id is 404.

Mobile-first, and readable offline: the order pages are plain GET pages the service
worker keeps (see web/static/js/orders.js), and completing an order goes through the
phone's outbox as a sync record of kind `completion` (server/workorders/completion.py).
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from server.core.guards import role_in
from server.core.audit.service import record_event
from server.contractors.models import Contractor
from server.core.db import utcnow
from server.core.deps import DbSession
from server.core.errors import AppError
from server.core.web import render
from server.workorders import webhooks
from server.core.http import form_of
from server.core.identity import signed_in_user
from server.workorders.responses import after_post
from server.workorders.notifications import unread_counts
from server.workorders.queries import orders_of_contractor, webhook_log
from server.workorders.supervisor_pages import notifications_page, order_page, read_all_notifications, step_or_page
from server.core.workorder_settings import get_workorder_settings

MAX_URL = 500


def _company(request: Request[Any, Any, Any]) -> uuid.UUID | None:
    # Admins reach these pages too but belong to no company: they see no orders here.
    return signed_in_user(request).contractor_id


class ContractorPages(Controller):
    path = "/contractor"
    guards = [role_in("contractor")]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        company = _company(request)
        orders = await orders_of_contractor(db, company, utcnow(), signed_in_user(request)) if company else []
        return render(request, "contractor/home.html", title_key="contractor.home_title", orders=orders,
                      unread=await unread_counts(db, signed_in_user(request).id))

    @get("/orders/{order_id:uuid}")
    async def order(self, request: Request[Any, Any, Any], db: DbSession, order_id: FromPath[uuid.UUID]) -> Template:
        return await order_page(request, db, order_id, "contractor/order.html",
                                proof_distance_m=get_workorder_settings().proof_distance_m)

    @post("/orders/{order_id:uuid}/{action:str}")
    async def act(self, request: Request[Any, Any, Any], db: DbSession, order_id: FromPath[uuid.UUID], action: FromPath[str]) -> Redirect | Template:
        """accept or start (completing goes through the outbox, with its photos)."""
        page = await step_or_page(request, db, order_id, action, "contractor/order.html",
                                  proof_distance_m=get_workorder_settings().proof_distance_m)
        return page or after_post(request, db, f"/contractor/orders/{order_id}")

    @get("/notifications")
    async def notifications(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return await notifications_page(request, db, "contractor")

    @post("/notifications/read")
    async def read_all(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect:
        return await read_all_notifications(request, db, "contractor")

    @get("/webhook")
    async def webhook(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        return await self._webhook_page(request, db, None)

    async def _webhook_page(self, request: Request[Any, Any, Any], db: DbSession, error: AppError | None) -> Template:
        from server.core.errors import _describe

        company = _company(request)
        contractor = await db.get(Contractor, company) if company else None
        return render(request, "contractor/webhook.html", title_key="webhook.title", contractor=contractor,
                      deliveries=await webhook_log(db, company, 50) if company else [],
                      error=_describe(request, error) if error else None,
                      status_code=error.status_code if error else 200)

    @post("/webhook")
    async def save_webhook(self, request: Request[Any, Any, Any], db: DbSession) -> Redirect | Template:
        """Set (or clear) the company's webhook URL; a secret is made the first time."""
        form = await form_of(request)
        company = _company(request)
        if company is None:
            raise AppError("contractor_not_found")
        url = str(form.get("webhook_url") or "").strip()
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_URL):
            return await self._webhook_page(request, db, AppError("bad_webhook_url",
                                                                   field="webhook_url"))
        if url and webhooks.names_private_host(url) and not get_workorder_settings().webhook_allow_private:
            return await self._webhook_page(request, db, AppError("private_webhook_url",
                                                                   field="webhook_url"))
        contractor = await db.get(Contractor, company, with_for_update=True)
        assert contractor is not None
        rotate = form.get("rotate_secret") == "1"
        contractor.webhook_url = url or None
        if url and (rotate or not contractor.webhook_secret):
            contractor.webhook_secret = webhooks.new_secret()
        await record_event(db, signed_in_user(request).id, "contractor.webhook_changed", "contractor", str(company),
                           request=request, details={"url": url or None, "secret_rotated": rotate})
        return after_post(request, db, "/contractor/webhook")

