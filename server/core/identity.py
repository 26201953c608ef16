"""The signed-in user as handlers and templates see it: plain data, no ORM object.

The session middleware (server/accounts/middleware.py) resolves it once per request into
`scope["fc_user"]`; `current_user` and `signed_in_user` are the one way handlers read it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request


@dataclass(frozen=True)
class SiteChoice:
    """A site the user works in, as the top bar's site switch shows it."""

    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class CurrentUser:
    id: uuid.UUID
    username: str
    display_name: str
    role: str
    contractor_id: uuid.UUID | None
    language: str | None
    # The sites the user works in (admins: every site) and the one chosen in the top bar
    # (the `fc_site` cookie, else the first). No site: the user sees no site's data.
    sites: tuple[SiteChoice, ...] = ()
    site_id: uuid.UUID | None = None

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


def current_user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    """The signed-in user resolved by the session middleware, or None."""
    return request.scope.get("fc_user")  # type: ignore[return-value]


def signed_in_user(request: Request[Any, Any, Any]) -> CurrentUser:
    """The signed-in user of a handler whose guard lets only signed-in users through."""
    user = current_user(request)
    assert user is not None  # the route's guard let only signed-in users through
    return user
