"""Small builders for test data, written through the real models."""

from __future__ import annotations

import uuid

from server.accounts.models import User
from server.accounts.passwords import hash_password
from server.contractors.models import Contractor
from server.db import Database

PASSWORD = "Test-pass-2026"


async def add_user(db: Database, username: str, role: str, *, language: str | None = None) -> uuid.UUID:
    """A user with password PASSWORD; contractor users get a company of their own."""
    async with db.session() as s:
        contractor_id = None
        if role == "contractor":
            company = Contractor(code=f"CO-{username}", name=f"{username} Ltd")
            s.add(company)
            await s.flush()
            contractor_id = company.id
        user = User(
            username=username,
            display_name=username.title(),
            password_hash=hash_password(PASSWORD),
            role=role,
            contractor_id=contractor_id,
            language=language,
        )
        s.add(user)
        await s.flush()
        return user.id
