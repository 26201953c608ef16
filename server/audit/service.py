"""Writing the audit trail. Every change a user makes goes through `record_event`."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.audit.models import AuditEvent
from server.db import utcnow

DEVICE_HEADER = "x-device-id"


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
    if request is not None and request.client is not None:
        extra.setdefault("ip", request.client.host)
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
