"""Inspection rounds: schedules (versioned by effective day), emergency rounds, rounds
marked missed, and the supervisors' alerts about them (docs/rounds.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import Base, JSONType, UTCDateTime, new_uuid, utcnow

SCHEDULE_KINDS = ("every_days", "weekdays", "monthly", "off")
ALERT_KINDS = ("missed", "emergency_late")


class RoundSchedule(Base):
    """One version of the schedule of a zone × asset category, in force from `effective_from`
    (a day in the site's time zone) until the next version's. Versions are never edited:
    a change is a new version; `off` ends the schedule."""

    __tablename__ = "round_schedules"
    __table_args__ = (
        UniqueConstraint("zone_id", "category", "effective_from"),
        CheckConstraint(f"kind IN {SCHEDULE_KINDS!r}", name="kind_known"),
        CheckConstraint("kind != 'every_days' OR every_days BETWEEN 1 AND 366", name="every_days_set"),
        CheckConstraint("kind != 'monthly' OR day_of_month BETWEEN 1 AND 31", name="day_of_month_set"),
        CheckConstraint("kind != 'weekdays' OR weekdays IS NOT NULL", name="weekdays_set"),
        CheckConstraint("(window_from IS NULL) = (window_to IS NULL) AND (window_from IS NULL OR window_from < window_to)",
                        name="window_complete"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12))
    every_days: Mapped[int | None] = mapped_column(Integer)
    weekdays: Mapped[list[int] | None] = mapped_column(JSONType)
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    window_from: Mapped[str | None] = mapped_column(String(5))
    window_to: Mapped[str | None] = mapped_column(String(5))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def as_data(self) -> dict[str, Any]:
        """The shape server/rounds/due.py and the phone read (the bundle's `rounds.schedules`)."""
        return {
            "id": str(self.id), "zone_id": str(self.zone_id), "category": self.category, "kind": self.kind,
            "every_days": self.every_days, "weekdays": self.weekdays, "day_of_month": self.day_of_month,
            "window": {"from": self.window_from, "to": self.window_to} if self.window_from else None,
            "effective_from": self.effective_from.isoformat(),
        }


class EmergencyRound(Base):
    """"Inspect every asset of these zones (these categories; none = all) within H hours",
    started by a supervisor after a storm or a flood, closed with a summary."""

    __tablename__ = "emergency_rounds"
    __table_args__ = (
        CheckConstraint("hours BETWEEN 1 AND 168", name="hours_in_range"),
        CheckConstraint("(closed_at IS NULL) = (summary IS NULL)", name="closed_with_summary"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    zone_ids: Mapped[list[str]] = mapped_column(JSONType)
    categories: Mapped[list[str]] = mapped_column(JSONType)
    hours: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    def as_data(self) -> dict[str, Any]:
        return {"id": str(self.id), "reason": self.reason, "zone_ids": list(self.zone_ids),
                "categories": list(self.categories), "started_at": self.started_at.isoformat(),
                "due_at": self.due_at.isoformat()}


class MissedRound(Base):
    """A round of a schedule that ended with assets not inspected, marked once by the job."""

    __tablename__ = "missed_rounds"
    __table_args__ = (UniqueConstraint("schedule_id", "round_start"), Index("ix_missed_rounds_zone", "zone_id", "round_end"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("round_schedules.id", ondelete="RESTRICT"))
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(32))
    round_start: Mapped[dt.date] = mapped_column(Date)
    round_end: Mapped[dt.date] = mapped_column(Date)
    due: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    missed_asset_ids: Mapped[list[str]] = mapped_column(JSONType)
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoundAlert(Base):
    """A supervisor's notice about rounds: a missed round, an emergency past its hours."""

    __tablename__ = "round_alerts"
    __table_args__ = (
        CheckConstraint(f"kind IN {ALERT_KINDS!r}", name="kind_known"),
        CheckConstraint("(missed_round_id IS NULL) != (emergency_round_id IS NULL)", name="one_subject"),
        Index("ix_round_alerts_user_unread", "user_id", "read_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    missed_round_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("missed_rounds.id", ondelete="CASCADE"))
    emergency_round_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("emergency_rounds.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
