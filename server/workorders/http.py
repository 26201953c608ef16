"""Small helpers shared by the work-order and defect handlers (pages and JSON API)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.identity import CurrentUser
from server.core.errors import AppError
from server.text import check_fields
from server.web import current_user, safe_next
from server.workorders import webhooks


def user_of(request: Request[Any, Any, Any]) -> CurrentUser:
    user = current_user(request)
    assert user is not None  # the controller's guard let only signed-in users through
    return user


def webhook_task(request: Request[Any, Any, Any], db: AsyncSession) -> BackgroundTask | None:
    """Send the webhook events this request queued, once its transaction has committed."""
    ids = webhooks.pending_in(db)
    return BackgroundTask(webhooks.deliver_after_commit, request.app.state.db, ids) if ids else None


def after_post(request: Request[Any, Any, Any], db: AsyncSession, target: str) -> Redirect:
    """303 to `target` (a form may ask for another same-site page with `next`), webhooks sent after."""
    return Redirect(path=target, status_code=303, background=webhook_task(request, db))


def json_answer(request: Request[Any, Any, Any], db: AsyncSession, content: Any, status_code: int = 200) -> Response[Any]:
    return Response(content=content, status_code=status_code, background=webhook_task(request, db))


async def json_body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The request's JSON object; 400 `malformed_json` / 422 `bad_body` otherwise."""
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError) as exc:
        raise AppError("malformed_json", key="wo.malformed_json", field="") from exc
    if not isinstance(body, dict):
        raise AppError("bad_body", key="wo.bad_body", field="")
    check_fields(body)  # the one text rule: no NUL, no half emoji, whichever field
    return body


async def form_of(request: Request[Any, Any, Any]) -> Any:
    """The posted form (a multi-dict: `getall` for repeated fields), under the one text rule."""
    form = await request.form()
    check_fields(form)
    return form


def next_or(form: Any, default: str) -> str:
    return safe_next(str(form.get("next") or "") or None, default)


def uuid_or_none(raw: object, field: str) -> uuid.UUID | None:
    if raw is None or raw == "":
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise AppError("bad_id", field=field) from exc
