"""Inspections as the phone recorded them, and the server's judgement of each clause."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.db import Base, JSONType, UTCDateTime, utcnow

VERDICTS = ("compliant", "non_compliant", "undetermined")
KINDS = ("inspection", "hazard")  # hazard: an ad-hoc report no clause covers (server/inspections/hazards.py)
CLAUSE_RESULTS = ("pass", "fail", "exempt", "n/a", "unknown")


class Inspection(Base):
    """One inspection of one asset. The id is the phone's UUID: the idempotency key of sync."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint(f"verdict IN {VERDICTS!r}", name="verdict_known"),
        CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
        CheckConstraint("lat IS NULL OR lat BETWEEN -90 AND 90", name="lat_on_earth"),
        CheckConstraint("lon IS NULL OR lon BETWEEN -180 AND 180", name="lon_on_earth"),
        CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0", name="accuracy_positive"),
        CheckConstraint("length(content_hash) = 64", name="content_hash_hex"),
        Index("ix_inspections_asset_observed", "asset_id", "observed_at"),
        Index("ix_inspections_observed", "observed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assets.id", ondelete="RESTRICT"))
    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64))
    observed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    observations: Mapped[dict[str, Any]] = mapped_column(JSONType)
    damages: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    not_applicable: Mapped[list[str]] = mapped_column(JSONType)
    notes: Mapped[str] = mapped_column(Text, default="")
    standards_version: Mapped[str] = mapped_column(String(32))
    client_standards_version: Mapped[str | None] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(12), default="inspection", server_default="inspection")
    # How many of clause_results passed, were exempt and failed, stored by sync with them so a
    # month's scores need not count them per asset (None: not counted; scoring counts the rows).
    clause_passes: Mapped[int | None] = mapped_column(Integer)
    clause_exempts: Mapped[int | None] = mapped_column(Integer)
    clause_fails: Mapped[int | None] = mapped_column(Integer)

    clause_results: Mapped[list["ClauseResult"]] = relationship(lazy="raise", cascade="all, delete-orphan")
    photos: Mapped[list["InspectionPhoto"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="InspectionPhoto.ordinal"
    )


class ClauseResult(Base):
    __tablename__ = "clause_results"
    __table_args__ = (
        CheckConstraint(f"result IN {CLAUSE_RESULTS!r}", name="result_known"),
        Index("ix_clause_results_clause_result", "clause_id", "result"),
    )

    inspection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    clause_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    result: Mapped[str] = mapped_column(String(8))


class InspectionPhoto(Base):
    """A photo attached to an inspection, or to one of its damage instances."""

    __tablename__ = "inspection_photos"

    inspection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_sha256: Mapped[str] = mapped_column(ForeignKey("photos.sha256", ondelete="RESTRICT"), index=True)
    damage_index: Mapped[int | None] = mapped_column(Integer)
