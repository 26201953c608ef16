"""Work orders: defects handed to a contractor under one of its contracts."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, new_uuid, utcnow

WORK_ORDER_STATUSES = ("issued", "accepted", "in_progress", "completed", "verified", "returned", "cancelled")


class WorkOrder(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint(f"status IN {WORK_ORDER_STATUSES!r}", name="status_known"),
        CheckConstraint("status != 'cancelled' OR cancel_reason IS NOT NULL", name="cancel_has_reason"),
        Index("ix_work_orders_contractor_status", "contractor_id", "status"),
        Index("ix_work_orders_due", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="RESTRICT"))
    contractor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contractors.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(12), default="issued")
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_change_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class WorkOrderDefect(Base):
    __tablename__ = "work_order_defects"

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True
    )
    defect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("defects.id", ondelete="RESTRICT"), primary_key=True)
