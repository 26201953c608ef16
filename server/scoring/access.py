"""Who may see which scope: supervisors and admins every scope, a contractor only its own.

A scope outside a contractor's reach answers exactly like one that does not exist (404),
so asking about another company tells nothing about it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser
from server.contractors.models import Contractor
from server.core.errors import AppError
from server.scoring.figures import SCOPE_KINDS

# The 404 of a scope naming what does not exist, by the scope's kind (server/core/error_codes.py).
UNKNOWN = {
    "zone": ("unknown_zone", "scoring.unknown_zone"),
    "contractor": ("unknown_contractor", "scoring.unknown_contractor"),
    "category": ("category_not_found", "scoring.unknown_category"),
    "site": ("unknown_scope", "scoring.unknown_scope"),
}


async def own_scope(db: AsyncSession, user: CurrentUser) -> str | None:
    """"contractor:CODE" for a contractor's user; None for those who see every scope."""
    if user.role == "admin" or user.contractor_id is None:
        return None
    code = (await db.execute(select(Contractor.code).where(Contractor.id == user.contractor_id))).scalar_one()
    return f"contractor:{code}"


def parse_scope(text: str | None) -> tuple[str, str]:
    """"zone:Z1" → ("zone", "Z1"); "site" → ("site", ""). Anything else is a 404 on `scope`."""
    text = (text or "site").strip()
    kind, _, code = text.partition(":")
    if kind not in SCOPE_KINDS or (kind == "site") != (code == ""):
        raise AppError("unknown_scope", field="scope", value=text[:60])
    return kind, code


def not_found(kind: str, code: str) -> AppError:
    """The 404 of a scope of `kind` whose `code` names nothing."""
    error_code, key = UNKNOWN[kind]
    return AppError(error_code, key=key, field="scope" if kind == "site" else kind, value=code[:60])


def check_visible(scope: str, own: str | None) -> None:
    """404 unless the user may see `scope` (own is the contractor's own scope, or None)."""
    if own is not None and scope != own:
        kind, code = parse_scope(scope)
        raise not_found(kind, code)
