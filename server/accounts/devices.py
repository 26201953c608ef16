"""Phones by name: each phone's id (the `X-Device-Id` it sends, web/static/js/store.js) with
the name its user gave it at sign-in ("李巡查的手机"), editable later. Histories show the name
instead of the raw id."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from server.core.db import Base, UTCDateTime, utcnow

NAME_MAX = 80
ID_MAX = 64  # as audit_events.device_id and inspections.device_id


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(ID_MAX), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    named_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def clean_name(value: object) -> str:
    """A device name as stored: one line, trimmed, at most NAME_MAX characters."""
    return " ".join(str(value or "").split())[:NAME_MAX]


async def name_device(db: AsyncSession, device_id: str, name: str, user_id: uuid.UUID | None) -> bool:
    """Give the phone `device_id` the name `name` (kept as it was when either is empty)."""
    device_id, name = device_id.strip()[:ID_MAX], clean_name(name)
    if not device_id or not name:
        return False
    device = await db.get(Device, device_id)
    if device is None:
        db.add(Device(id=device_id, name=name, user_id=user_id, named_at=utcnow()))
    else:
        device.name, device.user_id, device.named_at = name, user_id, utcnow()
    await db.flush()
    return True


async def device_names(db: AsyncSession, ids: Iterable[str | None]) -> dict[str, str]:
    """The names of these device ids that have one."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return dict((await db.execute(select(Device.id, Device.name).where(Device.id.in_(wanted)))).all())
