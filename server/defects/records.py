"""What the sync API writes for defects beyond inserts: the inspections a defect last cites.

Inspection and hazard plans ask for it with `plan.update(DEFECT_INSPECTIONS.name, row)`
(server/defects/service.py); sync.service runs it once per batch (sync/registry.py).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, update

from server.defects.models import Defect
from sync.registry import RowUpdate

_DEFECTS = cast(Table, Defect.__table__)

DEFECT_INSPECTIONS = RowUpdate(
    "defect_inspections",
    update(_DEFECTS)
    .where(_DEFECTS.c.id == bindparam("b_id"))
    .values(last_inspection_id=bindparam("b_last"), passed_inspection_id=bindparam("b_passed")),
    order=lambda row: str(row["b_id"]),
)
