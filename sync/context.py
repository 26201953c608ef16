"""What a batch is processed against, and what processing one record produces.

`BatchState` holds what the server knows that a batch's records refer to — receipts,
assets, active defects, photos — loaded in a few queries for the whole batch and kept up
to date as records are planned, so that an asset created early in a batch can be
inspected later in it and a second failing inspection finds the defect the first opened.

A domain service turns one record into a `Plan`: the rows to insert, the row updates,
the audit events and the result, without writing anything. `sync.service` writes plans.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from litestar import Request
from shapely.geometry.base import BaseGeometry

from server.core.identity import CurrentUser
from standards import NoStandardInForce, Standard, StandardsSet


@dataclass(frozen=True)
class Caller:
    """Who sends the batch, from which device, and what they may reach."""

    user: CurrentUser
    device_id: str | None
    now: dt.datetime
    zone_ids: frozenset[uuid.UUID] | None  # None: every zone (supervisors and admins)
    request: Request[Any, Any, Any] | None = None  # for the audit trail (client address)

    def reaches(self, zone_id: uuid.UUID) -> bool:
        return self.zone_ids is None or zone_id in self.zone_ids


@dataclass(frozen=True)
class AssetInfo:
    id: uuid.UUID
    zone_id: uuid.UUID
    category: str
    lat: float
    lon: float
    active: bool


@dataclass(frozen=True)
class ActiveDefect:
    """An active defect of one asset and clause, with the times of the inspections it cites."""

    id: uuid.UUID
    asset_id: uuid.UUID
    clause_id: str
    last_inspection_id: uuid.UUID
    last_observed_at: dt.datetime
    passed_inspection_id: uuid.UUID | None
    passed_observed_at: dt.datetime | None


@dataclass(frozen=True)
class Receipt:
    kind: str
    user_id: uuid.UUID
    content_hash: str
    status: int
    result: dict[str, Any]


@dataclass(frozen=True)
class ZoneShape:
    id: uuid.UUID
    code: str
    polygon: BaseGeometry  # lon/lat, prepared for fast point tests


@dataclass(frozen=True)
class AuditEntry:
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any]


@dataclass
class Plan:
    """Everything one accepted record changes, ready to write."""

    result: dict[str, Any]
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    updates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by RowUpdate name (sync/registry.py)
    audit: list[AuditEntry] = field(default_factory=list)
    assets: list[AssetInfo] = field(default_factory=list)
    defects: list[ActiveDefect] = field(default_factory=list)

    def insert(self, table: str, row: dict[str, Any]) -> None:
        self.inserts.setdefault(table, []).append(row)

    def update(self, name: str, row: dict[str, Any]) -> None:
        """Ask for the registered row update `name` (sync/registry.py) with `row`'s parameters."""
        self.updates.setdefault(name, []).append(row)


@dataclass
class BatchState:
    caller: Caller
    standards: StandardsSet
    receipts: dict[uuid.UUID, Receipt] = field(default_factory=dict)
    taken_ids: set[uuid.UUID] = field(default_factory=set)  # stored without a receipt (e.g. demo data)
    assets: dict[uuid.UUID, AssetInfo] = field(default_factory=dict)
    defects: dict[tuple[uuid.UUID, str], ActiveDefect] = field(default_factory=dict)
    photos: set[str] = field(default_factory=set)
    zones: list[ZoneShape] | None = None  # loaded on the first asset record
    next_numbers: dict[str, int] = field(default_factory=dict)  # asset code prefix -> next number
    _standards_by_date: dict[dt.date | None, Standard] = field(default_factory=dict)

    def standard_for(self, moment: dt.datetime | None) -> Standard:
        """The standards in force on the local date of `moment` (the current ones if none was)."""
        day = moment.date() if moment is not None else None
        standard = self._standards_by_date.get(day)
        if standard is None:
            try:
                standard = self.standards.for_date(day) if day is not None else self.standards.current()
            except NoStandardInForce:
                standard = self.standards.current()
            self._standards_by_date[day] = standard
        return standard

    def apply(self, plan: Plan) -> None:
        """Let later records of the batch see what `plan` creates."""
        for asset in plan.assets:
            self.assets[asset.id] = asset
        for defect in plan.defects:
            self.defects[(defect.asset_id, defect.clause_id)] = defect
