"""The one way to turn a filter in the URL into a query: map, list, GeoJSON and CSV alike.

Defect filters (every one may repeat, e.g. `?zone=Z1&zone=Z2`, and combine with AND):

| parameter    | matches                                                                 |
|--------------|-------------------------------------------------------------------------|
| `zone`       | zone code (Z1)                                                          |
| `category`   | asset category key (seating)                                            |
| `clause`     | clause id (SE-1)                                                        |
| `severity`   | urgent, high, normal, low                                               |
| `status`     | open, ordered, fixed, closed, dismissed; `all`; none given = the active three |
| `from`, `to` | the day the defect was opened, in the site's time zone (YYYY-MM-DD, inclusive) |
| `contractor` | contractor code: defects in a zone × category its contracts cover       |
| `bbox`       | `west,south,east,north` in degrees (RFC 7946 order)                     |

Work-order filters (server/workorders/filters.py) take the same `zone`, `category`,
`contractor`, `from`/`to` and `bbox`. A value that cannot be right (an unknown severity, a malformed date) is 422
with the parameter named; an unknown zone or contractor code simply matches nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol, TypeVarTuple, Unpack
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, select, true

from server.core.identity import CurrentUser
from server.core.config import get_settings
from server.contractors.coverage import covered_by_contractors
from server.contractors.models import Contractor
from server.defects.models import ACTIVE_STATUSES, DEFECT_STATUSES, SEVERITIES, Defect
from server.core.errors import AppError
from server.sites.access import in_current_site
from server.sites.models import Zone
from server.workorders.models import WorkOrder, WorkOrderDefect

MAX_VALUES = 50
_Row = TypeVarTuple("_Row")  # the columns of a query a filter narrows, kept as they are


class QueryParams(Protocol):
    def getall(self, key: str, default: list[Any]) -> list[Any]: ...


def param_values(params: QueryParams, name: str) -> tuple[str, ...]:
    raw = [v.strip() for v in params.getall(name, []) if isinstance(v, str)]
    # A form's empty choice ("any zone") sends the name with no value.
    values = tuple(dict.fromkeys(v for v in raw if v))
    if len(values) > MAX_VALUES:
        raise AppError("bad_filter", key="filter.too_many", field=name, max=MAX_VALUES)
    return values


def param_choices(params: QueryParams, name: str, allowed: Sequence[str]) -> tuple[str, ...]:
    values = param_values(params, name)
    for v in values:
        if v not in allowed:
            raise AppError("bad_filter", field=name, value=v[:40], allowed=", ".join(allowed))
    return values


def _day(params: QueryParams, name: str) -> dt.date | None:
    values = param_values(params, name)
    if not values:
        return None
    try:
        return dt.date.fromisoformat(values[-1])
    except ValueError as exc:
        raise AppError("bad_filter", key="filter.bad_date", field=name) from exc


def _bbox(params: QueryParams) -> tuple[float, float, float, float] | None:
    values = param_values(params, "bbox")
    if not values:
        return None
    try:
        west, south, east, north = (float(v) for v in values[-1].split(","))
    except ValueError as exc:
        raise AppError("bad_filter", key="filter.bad_bbox", field="bbox") from exc
    if not all(map(math.isfinite, (west, south, east, north))) or not (
        -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90
    ):
        raise AppError("bad_filter", key="filter.bad_bbox", field="bbox")
    return west, south, east, north


def _day_start(day: dt.date) -> dt.datetime:
    tz = ZoneInfo(get_settings().site.timezone)
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)


@dataclass(frozen=True)
class CommonFilter:
    zone: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    contractor: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    bbox: tuple[float, float, float, float] | None = None

    def query_items(self) -> list[tuple[str, str]]:
        """The filter as URL parameters (for links that keep it: exports, paging, htmx)."""
        items: list[tuple[str, str]] = []
        names = {"date_from": "from", "date_to": "to"}
        for f in fields(self):
            value = getattr(self, f.name)
            name = names.get(f.name, f.name)
            if value is None or value == ():
                continue
            if f.name == "bbox":
                items.append((name, ",".join(f"{v:g}" for v in value)))
            elif isinstance(value, tuple):
                items.extend((name, v) for v in value)
            elif isinstance(value, bool):
                if value:
                    items.append((name, "1"))
            else:
                items.append((name, value.isoformat() if isinstance(value, dt.date) else str(value)))
        return items

    def query_string(self) -> str:
        return urlencode(self.query_items())

    def has(self, name: str, value: str) -> bool:
        """Is `value` chosen for `name`? (for the filter form's checkboxes and options)"""
        return value in getattr(self, name, ())


def common_fields(params: QueryParams) -> dict[str, Any]:
    date_from, date_to = _day(params, "from"), _day(params, "to")
    if date_from and date_to and date_from > date_to:
        raise AppError("bad_filter", key="filter.bad_range", field="to")
    return {
        "zone": param_values(params, "zone"), "category": param_values(params, "category"),
        "contractor": param_values(params, "contractor"), "date_from": date_from, "date_to": date_to,
        "bbox": _bbox(params),
    }


def _zone_ids(codes: tuple[str, ...]) -> Select[Any]:
    return select(Zone.id).where(Zone.code.in_(codes))


def contractor_ids(codes: tuple[str, ...]) -> Select[Any]:
    return select(Contractor.id).where(Contractor.code.in_(codes))


def defect_place(f: CommonFilter, defect: Any) -> list[ColumnElement[bool]]:
    """Conditions on a defect's zone, category and position shared by both filters."""
    conds: list[ColumnElement[bool]] = []
    if f.zone:
        conds.append(defect.zone_id.in_(_zone_ids(f.zone)))
    if f.category:
        conds.append(defect.category.in_(f.category))
    if f.bbox:
        west, south, east, north = f.bbox
        conds.append(defect.lat.between(south, north))
        if west <= east:
            conds.append(defect.lon.between(west, east))
        else:  # a box across the antimeridian
            conds.append((defect.lon >= west) | (defect.lon <= east))
    return conds


def between_days(column: Any, f: CommonFilter) -> list[ColumnElement[bool]]:
    conds = []
    if f.date_from:
        conds.append(column >= _day_start(f.date_from))
    if f.date_to:
        conds.append(column < _day_start(f.date_to + dt.timedelta(days=1)))
    return conds


@dataclass(frozen=True)
class DefectFilter(CommonFilter):
    clause: tuple[str, ...] = ()
    severity: tuple[str, ...] = ()
    status: tuple[str, ...] = ()  # empty: the active statuses

    @classmethod
    def parse(cls, params: QueryParams) -> DefectFilter:
        status = param_choices(params, "status", (*DEFECT_STATUSES, "all"))
        if "all" in status:
            status = ("all",)
        return cls(**common_fields(params), clause=param_values(params, "clause"),
                   severity=param_choices(params, "severity", SEVERITIES), status=status)

    @property
    def statuses(self) -> tuple[str, ...]:
        """The statuses matched: those chosen, or the active ones."""
        if self.status == ("all",):
            return DEFECT_STATUSES
        return self.status or ACTIVE_STATUSES

    def conditions(self, user: CurrentUser | None = None) -> list[ColumnElement[bool]]:
        """WHERE conditions on `Defect`, within what `user` may see."""
        conds = defect_place(self, Defect)
        if self.clause:
            conds.append(Defect.clause_id.in_(self.clause))
        if self.severity:
            conds.append(Defect.severity.in_(self.severity))
        if self.statuses != DEFECT_STATUSES:
            conds.append(Defect.status.in_(self.statuses))
        conds += between_days(Defect.opened_at, self)
        if self.contractor:
            conds.append(covered_by_contractors(contractor_ids(self.contractor), Defect.zone_id, Defect.category))
        if user is not None:
            conds.append(defect_scope(user))
        return conds

    def apply(self, query: Select[Unpack[_Row]], user: CurrentUser | None = None) -> Select[Unpack[_Row]]:
        return query.where(*self.conditions(user))


def defect_scope(user: CurrentUser) -> ColumnElement[bool]:
    """The defects `user` may see, in the site chosen in the top bar: staff all; a
    contractor's user those on its orders; others none."""
    return and_(in_current_site(Defect.zone_id, user), _defect_role_scope(user))


def _defect_role_scope(user: CurrentUser) -> ColumnElement[bool]:
    if user.role in ("supervisor", "admin"):
        return true()
    if user.role == "contractor" and user.contractor_id is not None:
        return exists(
            select(1).select_from(WorkOrderDefect)
            .join(WorkOrder, WorkOrder.id == WorkOrderDefect.work_order_id)
            .where(WorkOrderDefect.defect_id == Defect.id, WorkOrder.contractor_id == user.contractor_id)
        )
    return Defect.id.is_(None)  # matches nothing


def parse_uuid_list(values: Sequence[str], field: str) -> list[uuid.UUID]:
    """Ids from a form or query (`defect=<uuid>&defect=<uuid>`); 422 naming the field otherwise."""
    ids = []
    for v in values:
        try:
            ids.append(uuid.UUID(str(v)))
        except ValueError as exc:
            raise AppError("bad_id", field=field) from exc
    return ids
