"""Errors with a stable code, a message in the user's language, and the field at fault.

JSON clients (paths under /api/, or asking for JSON) get
``{"code": ..., "message": ..., "field": ..., "errors": [...]}``; browsers get a page.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from litestar.middleware.csrf import generate_csrf_token
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from urllib.parse import quote

from server.core.error_codes import CODES, GENERIC_BY_STATUS, lookup
from server.core.i18n import has_key, translate
from server.core.web import render, request_language

log = logging.getLogger("fieldcheck")

CSRF_DETAIL = "CSRF token verification failed"


class AppError(HTTPException):
    """A refusal the user should understand, raised by its code in server/core/error_codes.py.

    The table gives the HTTP status and the message key (a key of the catalogue); `key`
    picks one of the code's other, more exact messages.
    """

    def __init__(
        self,
        code: str,
        *,
        key: str | None = None,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> None:
        entry = lookup(code, key)
        super().__init__(detail=key or entry.key, status_code=entry.status)
        self.code = code
        self.key = key or entry.key
        self.field = field
        self.errors = errors or []
        self.params = params


def wants_json(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith("/api/") or request.url.path == "/schema":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _describe(request: Request[Any, Any, Any], exc: HTTPException) -> dict[str, Any]:
    lang = request_language(request)
    status = exc.status_code
    if status == 403 and exc.detail == CSRF_DETAIL:  # the framework's CSRF check: worded as ours
        exc = AppError("csrf_failed", field="_csrf_token")
    if isinstance(exc, AppError):
        return {
            "code": exc.code,
            "message": translate(lang, exc.key, **exc.params),
            "field": exc.field,
            # Per-field problems may carry a message key (server/admin/fields.py): worded here.
            "errors": [{**e, "message": translate(lang, e["key"], **e.get("params", {}))}
                       if "key" in e and "message" not in e else e for e in exc.errors],
        }
    errors: list[dict[str, Any]] = []
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        for item in exc.extra:
            if isinstance(item, dict):
                field = str(item.get("key") or "")
                errors.append(
                    {"field": field, "code": "invalid", "message": translate(lang, "error.field_invalid", field=field)}
                )
    code = GENERIC_BY_STATUS.get(status)
    if has_key(exc.detail):
        key = exc.detail
    elif code is not None:
        key = CODES[code].key
    else:
        key = "error.500" if status >= 500 else "error.400"
    return {
        "code": code or "error",
        "message": translate(lang, key),
        "field": errors[0]["field"] if errors else None,
        "errors": errors,
    }


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    body = _describe(request, exc)
    if wants_json(request):
        return Response(content=body, status_code=exc.status_code, media_type=MediaType.JSON, headers=exc.headers)
    if exc.status_code == 401 and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?next={quote(target)}", status_code=303)
    new_csrf = _ensure_csrf_token(request)
    page = render(request, "errors/error.html", status_code=exc.status_code, error=body, status=exc.status_code)
    page.headers.update(exc.headers or {})  # e.g. Retry-After
    if new_csrf:
        page.set_cookie(CSRF_COOKIE, new_csrf, samesite="lax", httponly=False,
                        secure=request.app.state.settings.server.secure_cookies)
    return page


CSRF_COOKIE = "fc_csrf"  # as in server/app.py's CSRFConfig


def _ensure_csrf_token(request: Request[Any, Any, Any]) -> str | None:
    """The error page's forms (language, sign-out) need a CSRF token, but a path no route
    matches never passed the CSRF middleware: take the browser's cookie (the token is the
    cookie's value), or make one and return it so the page sets the cookie."""
    state = ScopeState.from_scope(request.scope)
    if state.csrf_token is not Empty and state.csrf_token:
        return None
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie:
        state.csrf_token = cookie
        return None
    state.csrf_token = generate_csrf_token(secret=request.app.state.settings.server.effective_secret())
    return state.csrf_token


# PostgreSQL refuses text holding U+0000 (SQLite stores it): 22021 in a text value, 22P05
# as "\u0000" inside JSON. Either way the request carried it, so it is a 400, not our 500.
UNSTORABLE_TEXT_STATES = frozenset({"22021", "22P05"})


# The database could not be reached or was busy past the busy timeout (a restart, a failover,
# SQLite's write lock): a 503 the phone retries after a pause, not a 500 that looks like a bug.
RETRY_AFTER_S = 5


TRANSIENT_STATES = ("40P01", "40001")  # deadlock detected, serialization failure


def database_unavailable(exc: Exception) -> bool:
    """Connection lost or refused, server shutting down, (SQLite) locked or unopenable, or
    (PostgreSQL) a deadlock or serialization conflict still there after the retries: the same
    request sent again shortly succeeds."""
    if isinstance(exc, DBAPIError):
        state = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
        return exc.connection_invalidated or state in TRANSIENT_STATES or (
            isinstance(exc, (OperationalError, InterfaceError)) and state[:2] in ("", "08", "57")
        )
    return isinstance(exc, (ConnectionError, TimeoutError))


def _lone_surrogate(exc: Exception) -> bool:
    """Text with half an emoji reached a driver (SQLite raises it as is, asyncpg wrapped)."""
    if isinstance(exc, DBAPIError):
        exc = exc.orig if isinstance(exc.orig, Exception) else exc
        return "surrogates not allowed" in str(exc)
    return isinstance(exc, UnicodeEncodeError) and "surrogates not allowed" in str(exc)


def handle_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # The last line of the one text rule (server/core/text.py, which every input path applies with
    # the field named): whatever text slipped past it is still the request's fault, a 4xx.
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in UNSTORABLE_TEXT_STATES:
        return handle_http_exception(request, AppError("unstorable_text"))
    if _lone_surrogate(exc):
        log.warning("text with a lone surrogate reached the database on %s %s", request.method, request.url.path)
        return handle_http_exception(request, AppError("bad_text", key="error.unstorable_text"))
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, str(exc).splitlines()[0])
        unavailable = AppError("database_unavailable")
        unavailable.headers = {"Retry-After": str(RETRY_AFTER_S)}
        return handle_http_exception(request, unavailable)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return handle_http_exception(request, HTTPException(status_code=500, detail="error.500"))
