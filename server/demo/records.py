"""The simulation's working records: an asset's condition, a defect, a work order."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from server.demo.accounts import DemoContract
from server.demo.geography import AssetSpec
from server.demo.observations import Fault


@dataclass
class AssetState:
    spec: AssetSpec
    not_applicable: set[str]
    faults: dict[str, Fault] = field(default_factory=dict)


@dataclass
class DefectRec:
    id: uuid.UUID
    asset: AssetSpec
    clause_id: str
    severity: str
    opened_at: dt.datetime
    opened_by: uuid.UUID
    contract: DemoContract | None
    decision: str                       # order | wait | dismiss (the supervisor's intent)
    ready_at: dt.datetime               # when the supervisor acts on it
    status: str = "open"
    last_inspection: uuid.UUID | None = None
    passed_inspection: uuid.UUID | None = None
    closed_at: dt.datetime | None = None
    dismissed_reason: str | None = None
    evidence: list[uuid.UUID] = field(default_factory=list)


@dataclass
class OrderRec:
    id: uuid.UUID
    code: str
    contract: DemoContract
    issued_at: dt.datetime
    due_at: dt.datetime
    defects: list[DefectRec]
    status: str = "issued"
    completed_at: dt.datetime | None = None
    verified_at: dt.datetime | None = None
    return_reason: str | None = None
    cancel_reason: str | None = None
