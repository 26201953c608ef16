"""Resolve the session cookie to the signed-in user once per request (scope["fc_user"])."""

from __future__ import annotations

import logging

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from server.accounts.sessions import SESSION_COOKIE, SITE_COOKIE, resolve_session, touch_session

log = logging.getLogger("fieldcheck")


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


class SessionUserMiddleware:
    """Plain ASGI middleware; static files and /health skip the lookup."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["fc_user"] = None  # type: ignore[typeddict-unknown-key]
        path = scope.get("path", "")
        if scope["type"] == ScopeType.HTTP and not path.startswith("/static/") and path != "/health":
            token = _cookie(scope, SESSION_COOKIE)
            if token:
                db = scope["litestar_app"].state.db
                try:
                    async with db.session(write=False) as session:
                        user, stale = await resolve_session(session, token, _cookie(scope, SITE_COOKIE))
                except Exception as exc:  # noqa: BLE001 - raised again inside the route (SessionErrorMiddleware)
                    # Before routing no exception handler applies: a database outage here would be a
                    # bare 500. The route raises it where the app's handlers answer with the JSON error.
                    scope["fc_session_error"] = exc  # type: ignore[typeddict-unknown-key]
                    user, stale = None, False
                scope["fc_user"] = user  # type: ignore[typeddict-unknown-key]
                if stale and user is not None:
                    try:
                        await touch_session(db, token)
                    except Exception:  # noqa: BLE001 - a missed touch costs a minute of idle time, not the request
                        log.warning("could not note a session's use", exc_info=True)
        await self.app(scope, receive, send)


class SessionErrorMiddleware:
    """Per route: a session lookup that failed before routing fails the request here, inside the
    app's exception handlers (a database outage is the usual JSON 503/500, never a bare page)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = scope.pop("fc_session_error", None)  # type: ignore[typeddict-item]  # our own key, unknown to litestar's Scope
        if error is not None:
            raise error
        await self.app(scope, receive, send)
