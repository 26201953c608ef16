"""Answers of the work-order and defect handlers that send their webhooks after commit."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from server.workorders import webhooks


def webhook_task(request: Request[Any, Any, Any], db: AsyncSession) -> BackgroundTask | None:
    """Send the webhook events this request queued, once its transaction has committed."""
    ids = webhooks.pending_in(db)
    return BackgroundTask(webhooks.deliver_after_commit, request.app.state.db, ids) if ids else None


def after_post(request: Request[Any, Any, Any], db: AsyncSession, target: str) -> Redirect:
    """303 to `target` (a form may ask for another same-site page with `next`), webhooks sent after."""
    return Redirect(path=target, status_code=303, background=webhook_task(request, db))


def json_answer(request: Request[Any, Any, Any], db: AsyncSession, content: Any, status_code: int = 200) -> Response[Any]:
    return Response(content=content, status_code=status_code, background=webhook_task(request, db))
