"""Contractor companies and their contracts (contractor × zones × asset categories)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.core.db import Base, new_uuid


class Contractor(Base):
    __tablename__ = "contractors"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(128))


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    contractor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contractors.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)

    zones: Mapped[list["ContractZone"]] = relationship(lazy="raise", cascade="all, delete-orphan")
    categories: Mapped[list["ContractCategory"]] = relationship(lazy="raise", cascade="all, delete-orphan")


class ContractZone(Base):
    __tablename__ = "contract_zones"

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("zones.id", ondelete="RESTRICT"), primary_key=True)


class ContractCategory(Base):
    __tablename__ = "contract_categories"

    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
