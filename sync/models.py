"""What the server remembers of every record it accepted: the idempotency receipts of sync."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import Base, JSONType, UTCDateTime, utcnow


class SyncReceipt(Base):
    """One accepted record, whatever its kind, keyed by the phone's UUID.

    The same id again is answered from here: with `result` when the content hash matches
    (a duplicate), with 409 when it does not. Refused records (422, 428) leave no receipt,
    so the phone may correct them and send them again under the same id.
    """

    __tablename__ = "sync_receipts"
    __table_args__ = (
        CheckConstraint("length(content_hash) = 64", name="content_hash_hex"),
        CheckConstraint("status BETWEEN 200 AND 299", name="status_success"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
