"""Work-order filters in the URL, as a query: the list, the map's orders, the CSV alike.

They take the defect filters' `zone`, `category`, `contractor`, `from`/`to` (here the day
issued) and `bbox` (some defect of the order inside it) — server/defects/filters.py — plus
`wo_status` (order states; none = all) and `overdue=1`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeVarTuple, Unpack

from sqlalchemy import ColumnElement, Select, and_, exists, select, true
from sqlalchemy.orm import aliased

from server.core.db import utcnow
from server.core.identity import CurrentUser
from server.defects.filters import (
    CommonFilter, QueryParams, between_days, common_fields, contractor_ids, defect_place, param_choices, param_values,
)
from server.defects.models import Defect
from server.sites.access import in_current_site
from server.workorders.models import WORK_ORDER_STATUSES, WorkOrder, WorkOrderDefect
from server.workorders.states import OWING_STATUSES

_Row = TypeVarTuple("_Row")  # the columns of a query a filter narrows, kept as they are


def order_scope(user: CurrentUser) -> ColumnElement[bool]:
    """The work orders `user` may see, in the site chosen in the top bar: staff all; a
    contractor's user its company's; others none."""
    in_site = exists(select(1).select_from(WorkOrderDefect).join(Defect, Defect.id == WorkOrderDefect.defect_id)
                     .where(WorkOrderDefect.work_order_id == WorkOrder.id, in_current_site(Defect.zone_id, user)))
    return and_(in_site, _order_role_scope(user))


def _order_role_scope(user: CurrentUser) -> ColumnElement[bool]:
    if user.role in ("supervisor", "admin"):
        return true()
    if user.role == "contractor" and user.contractor_id is not None:
        return WorkOrder.contractor_id == user.contractor_id
    return WorkOrder.id.is_(None)


@dataclass(frozen=True)
class WorkOrderFilter(CommonFilter):
    wo_status: tuple[str, ...] = ()
    overdue: bool = False

    @classmethod
    def parse(cls, params: QueryParams) -> WorkOrderFilter:
        overdue = param_values(params, "overdue")
        return cls(**common_fields(params), wo_status=param_choices(params, "wo_status", WORK_ORDER_STATUSES),
                   overdue=bool(overdue) and overdue[-1] not in ("0", "false", "no"))

    def conditions(self, user: CurrentUser | None = None, now: dt.datetime | None = None) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.wo_status:
            conds.append(WorkOrder.status.in_(self.wo_status))
        if self.contractor:
            conds.append(WorkOrder.contractor_id.in_(contractor_ids(self.contractor)))
        if self.overdue:
            conds += [WorkOrder.status.in_(OWING_STATUSES), WorkOrder.due_at < (now or utcnow())]
        conds += between_days(WorkOrder.issued_at, self)
        place = defect_place(self, aliased_defect := aliased(Defect))
        if place:
            conds.append(exists(
                select(1).select_from(WorkOrderDefect)
                .join(aliased_defect, aliased_defect.id == WorkOrderDefect.defect_id)
                .where(WorkOrderDefect.work_order_id == WorkOrder.id, and_(*place))
            ))
        if user is not None:
            conds.append(order_scope(user))
        return conds

    def apply(self, query: Select[Unpack[_Row]], user: CurrentUser | None = None,
              now: dt.datetime | None = None) -> Select[Unpack[_Row]]:
        return query.where(*self.conditions(user, now))
