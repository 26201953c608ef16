"""The signed-in user as handlers and templates see it: plain data, no ORM object."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


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
