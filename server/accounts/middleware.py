"""Resolve the session cookie to the signed-in user once per request (scope["fc_user"])."""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from server.accounts.sessions import SESSION_COOKIE, resolve_session


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
        if scope["type"] == "http" and not path.startswith("/static/") and path != "/health":
            token = _cookie(scope, SESSION_COOKIE)
            if token:
                db = scope["litestar_app"].state.db  # type: ignore[typeddict-item]
                async with db.session(write=False) as session:
                    scope["fc_user"] = await resolve_session(session, token)  # type: ignore[typeddict-unknown-key]
        await self.app(scope, receive, send)
