"""Closed months: a site's month frozen with the figures, the rows behind them and the versions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from server.core.db import Base, JSONType, UTCDateTime, new_uuid, utcnow


class ClosedMonth(Base):
    """One closing of one site's month. Reopening keeps the row (with who, when and why);
    closing again adds a new one. At most one row per site and month is in force."""

    __tablename__ = "closed_months"
    __table_args__ = (
        CheckConstraint("length(month) = 7", name="month_is_yyyy_mm"),
        CheckConstraint(
            "(reopened_at IS NULL) = (reopen_reason IS NULL) AND (reopened_at IS NULL) = (reopened_by IS NULL)",
            name="reopen_complete",
        ),
        # One closing in force per site and month, enforced by the database itself.
        Index(
            "uq_closed_months_in_force",
            "site_id",
            "month",
            unique=True,
            sqlite_where=text("reopened_at IS NULL"),
            postgresql_where=text("reopened_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    month: Mapped[str] = mapped_column(String(7))
    # Every scope's figures as shown when closed (Figures.to_json per scope, in table order).
    figures: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    # The rows the figures were computed from (MonthData.to_json): the month's evidence.
    evidence: Mapped[dict[str, Any]] = deferred(mapped_column(JSONType, nullable=False))
    standards_version: Mapped[str | None] = mapped_column(String(32))
    scoring_version: Mapped[str] = mapped_column(String(32))
    closed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reopened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reopen_reason: Mapped[str | None] = mapped_column(Text)
