"""Writing the audit trail. Every change a user makes goes through `record_event`."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.audit.models import AuditEvent
from server.core.db import utcnow
from server.core.security import client_address

DEVICE_HEADER = "x-device-id"
# What a refused request may leave in the audit trail of what it carried: enough to see what
# was tried, never the whole of it (the trail is append-only, so what lands stays for good).
EXCERPT_CHARS = 1000


def bounded_excerpt(value: Any) -> dict[str, Any]:
    """A refused body as the audit trail keeps it: its SHA-256, its size and its first
    `EXCERPT_CHARS` characters as ASCII JSON (so NUL and half emoji arrive escaped, storable)."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"), default=str)
    return {"sha256": hashlib.sha256(text.encode()).hexdigest(), "chars": len(text),
            "excerpt": text[:EXCERPT_CHARS], "truncated": len(text) > EXCERPT_CHARS}


async def record_event(
    db: AsyncSession,
    user_id: uuid.UUID | None,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    request: Request[Any, Any, Any] | None = None,
    device_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one audit event (in the caller's transaction, so it lands with the change)."""
    if device_id is None and request is not None:
        device_id = request.headers.get(DEVICE_HEADER)
    extra = dict(details or {})
    address = client_address(request) if request is not None else None
    if address is not None:
        extra.setdefault("ip", address)
    db.add(
        AuditEvent(
            at=utcnow(),
            user_id=user_id,
            device_id=(device_id or None) and device_id[:64],
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            details=extra,
        )
    )
