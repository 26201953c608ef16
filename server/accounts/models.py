"""Users, their roles and their sign-in sessions."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.db import Base, UTCDateTime, new_uuid, utcnow


class Role(str, enum.Enum):
    """What a user may do; guards check these."""

    inspector = "inspector"
    supervisor = "supervisor"
    contractor = "contractor"
    admin = "admin"


ROLE_VALUES = tuple(r.value for r in Role)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_known"),
        CheckConstraint("language IN ('zh', 'en') OR language IS NULL", name="language_known"),
        # A contractor's user belongs to exactly one contractor company; nobody else does.
        CheckConstraint(
            "(role = 'contractor') = (contractor_id IS NOT NULL)", name="contractor_users_have_company"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    contractor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contractors.id", ondelete="RESTRICT"), index=True
    )
    language: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    zones: Mapped[list["UserZone"]] = relationship(lazy="raise", cascade="all, delete-orphan")


class UserZone(Base):
    """The zones an inspector covers (what "download for offline" stores)."""

    __tablename__ = "user_zones"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # Moved on at most once a minute while the session is used; SESSION_IDLE_HOURS after it, the session ends.
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SignInLimit(Base):
    """Failed sign-ins counted per key, so every worker sees the same numbers and a burst of
    concurrent attempts is counted before any password is checked (server/accounts/limits.py).

    Keys: `pair:<username>|<address>` (the lock-out), `address:<address>` (one address trying
    many names), `user:<username>` (the slower back-off, whichever address tries).
    """

    __tablename__ = "sign_in_limits"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_allowed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
