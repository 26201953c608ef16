"""Installed standards versions: one row per version an operator installed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import Base, JSONType, UTCDateTime, new_uuid, utcnow

ORIGINS = ("upload", "form", "cli")


class StandardsVersion(Base):
    """A version of the standards installed through /admin/standards or the CLI.

    `files` keeps the YAML texts as uploaded ({file name: text}); every worker loads the
    version from them with the same validating loader as the shipped data."""

    __tablename__ = "standards_versions"
    __table_args__ = (
        CheckConstraint("origin IN ('upload', 'form', 'cli')", name="origin_known"),
        CheckConstraint("status IN ('installed', 'withdrawn')", name="status_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, unique=True)
    etag: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, str]] = mapped_column(JSONType)
    origin: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="installed")
    installed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    installed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
