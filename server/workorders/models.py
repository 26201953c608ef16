"""Work orders: defects handed to a contractor under one of its contracts."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import Base, JSONType, UTCDateTime, new_uuid, utcnow

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


# -- proof of fix ---------------------------------------------------------------------------

class WorkOrderCompletion(Base):
    """A contractor's report that the work is done, with its "after" photos.

    An order sent back and completed again has several; the latest is the one reviewed.
    """

    __tablename__ = "work_order_completions"
    __table_args__ = (
        CheckConstraint("lat IS NULL OR lat BETWEEN -90 AND 90", name="lat_on_earth"),
        CheckConstraint("lon IS NULL OR lon BETWEEN -180 AND 180", name="lon_on_earth"),
        Index("ix_work_order_completions_order", "work_order_id", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    completed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    notes: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)


class CompletionPhoto(Base):
    """One "after" photo of a completion: where and when it was taken, and which defect it shows."""

    __tablename__ = "completion_photos"

    completion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_order_completions.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_sha256: Mapped[str] = mapped_column(ForeignKey("photos.sha256", ondelete="RESTRICT"), index=True)
    defect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("defects.id", ondelete="RESTRICT"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    distance_m: Mapped[float] = mapped_column(Float)


# -- overdue, notifications, webhooks, jobs -------------------------------------------------

class WorkOrderOverdue(Base):
    """An order found past its due time by the overdue job: one row per order and due time,
    so each lapse is announced once (a new due date can lapse again)."""

    __tablename__ = "work_order_overdue"

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_orders.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


NOTIFICATION_KINDS = ("new", "overdue", "returned", "completed", "cancelled", "verified")


class Notification(Base):
    """An in-app message to one user about one work order, unread until they open it."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"kind IN {NOTIFICATION_KINDS!r}", name="kind_known"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookDelivery(Base):
    """One event for one contractor's webhook: the delivery log, and the retry queue.

    The id goes out as `X-Fieldcheck-Delivery` so a receiver can drop a repeat; the body
    is stored exactly as signed and sent.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {DELIVERY_STATUSES!r}", name="status_known"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_contractor", "contractor_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    contractor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contractors.id", ondelete="CASCADE"))
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("work_orders.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookAttempt(Base):
    """Each try of a delivery: when, what the receiver answered, how long it took."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class JobRun(Base):
    """A scheduled job's lock row: whoever moves `locked_until` forward runs it; the other
    workers (and processes) see the row taken and skip that round."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(80))
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


# Which orders a defect has been on (the primary key only serves order → defects).
Index("ix_work_order_defects_defect", WorkOrderDefect.defect_id)
