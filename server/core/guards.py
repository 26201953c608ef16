"""Route guards: who may reach a handler. Unknown users get 401, the wrong role 403."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard


def signed_in(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if connection.scope.get("fc_user") is None:
        raise NotAuthorizedException("auth.required")


def role_in(*roles: str) -> Guard:
    """A guard letting through signed-in users with one of `roles` (admins always)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        signed_in(connection, handler)
        user = connection.scope["fc_user"]  # type: ignore[typeddict-item]
        if user.role != "admin" and user.role not in roles:
            raise PermissionDeniedException("auth.forbidden")

    return guard
