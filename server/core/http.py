"""Reading a request: its JSON body, its form, `next`, an id — each under the one text rule."""

from __future__ import annotations

import json
import uuid
from typing import Any

from litestar import Request

from server.core.errors import AppError
from server.core.text import check_fields
from server.core.web import safe_next


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
