"""The signed-in user as handlers and templates see it: plain data, no ORM object."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class CurrentUser:
    id: uuid.UUID
    username: str
    display_name: str
    role: str
    contractor_id: uuid.UUID | None
    language: str | None

    def has_role(self, *roles: str) -> bool:
        return self.role in roles
