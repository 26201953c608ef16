"""Defects: one open defect per asset and failing clause, with its evidence."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import Base, UTCDateTime, new_uuid, utcnow

SEVERITIES = ("urgent", "high", "normal", "low")
DEFECT_STATUSES = ("open", "ordered", "fixed", "closed", "dismissed")
ACTIVE_STATUSES = ("open", "ordered", "fixed")


class Defect(Base):
    __tablename__ = "defects"
    __table_args__ = (
        CheckConstraint(f"severity IN {SEVERITIES!r}", name="severity_known"),
        CheckConstraint(f"status IN {DEFECT_STATUSES!r}", name="status_known"),
        CheckConstraint("status != 'dismissed' OR dismissed_reason IS NOT NULL", name="dismissal_has_reason"),
        # One active defect per asset and clause, enforced by the database itself.
        Index(
            "uq_defects_active_asset_clause",
            "asset_id",
            "clause_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'ordered', 'fixed')"),
            postgresql_where=text("status IN ('open', 'ordered', 'fixed')"),
        ),
        Index("ix_defects_zone_status", "zone_id", "status"),
        Index("ix_defects_opened", "opened_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"))
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(32))
    clause_id: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="open")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    respond_by: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opened_by_inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"))
    last_inspection_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspections.id", ondelete="RESTRICT"))
    passed_inspection_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inspections.id", ondelete="SET NULL"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    dismissed_reason: Mapped[str | None] = mapped_column(Text)


class DefectEvidence(Base):
    """Every failing inspection that saw the defect (the first one included)."""

    __tablename__ = "defect_evidence"

    defect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("defects.id", ondelete="CASCADE"), primary_key=True)
    inspection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspections.id", ondelete="RESTRICT"), primary_key=True
    )
