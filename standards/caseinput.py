"""Check a case (one inspection to judge) and refuse bad input with a stable code.

The checks run in the order of the table in docs/standards-format.md and the first
fault wins: the case itself, category, observations, defects, not_applicable; within
a list or object, in the order the input gives. A key that is absent or null reads as
empty (observations, defects, not_applicable) or as missing (an observation or field).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import EvaluationError

CASE_KEYS = ("category", "observations", "defects", "not_applicable")


@dataclass(frozen=True)
class Case:
    """A checked case: known category, known keys, values of the right type and range.

    Null observations and fields are dropped here, so "absent" is the only way a
    value can be missing from then on.
    """

    category: str
    observations: dict[str, Any]
    defects: list[dict[str, Any]]
    not_applicable: frozenset[str]


def refuse(code: str, field: str, en: str, zh: str) -> EvaluationError:
    """An EvaluationError whose messages start with the field at fault."""
    if field:
        en, zh = f"{field}: {en}", f"{field}:{zh}"
    return EvaluationError(code, field, {"en": en, "zh": zh})


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if _jsonable(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def check_value(spec: Mapping[str, Any], value: Any, field: str) -> None:
    """Refuse a value that is not of its definition's type or is outside its range."""
    if spec["type"] == "boolean":
        if not isinstance(value, bool):
            raise refuse("bad_type", field, f"expected true or false, got {_show(value)}",
                         f"应为 true 或 false,实际为 {_show(value)}")
        return
    finite = isinstance(value, (int, float)) and not isinstance(value, bool)
    if finite:
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int too big for a float is as good as infinite
            finite = False
    if not finite:
        raise refuse("bad_type", field, f"expected a finite number, got {_show(value)}",
                     f"应为有限数值,实际为 {_show(value)}")
    low, high, unit = spec["min"], spec["max"], spec["unit"]
    if not low <= value <= high:
        raise refuse("out_of_range", field,
                     f"{_show(value)} is outside the physical range {low} to {high} {unit}",
                     f"{_show(value)} 超出物理范围 {low} 至 {high} {unit}")


def parse_case(document: Mapping[str, Any], case: Any) -> Case:
    """Check `case` against the export `document`; raise EvaluationError if it is bad."""
    if not isinstance(case, dict):
        raise refuse("bad_case", "", "the case must be a JSON object", "检查记录必须是 JSON 对象")
    for key in case:
        if key not in CASE_KEYS:
            raise refuse("bad_case", str(key),
                         f"unknown key in the case (expected one of {', '.join(CASE_KEYS)})",
                         f"未知的键(应为 {'、'.join(CASE_KEYS)} 之一)")
    key = case.get("category")
    if key is None:
        raise refuse("missing_category", "category", "is missing (every case needs a category)", "缺少资产类别")
    categories = document["categories"]
    if not isinstance(key, str) or key not in categories:
        raise refuse("unknown_category", "category",
                     f"unknown category {_show(key)} (expected one of {', '.join(categories)})",
                     f"未知的资产类别 {_show(key)}")
    category = categories[key]
    return Case(
        category=key,
        observations=_observations(category, case.get("observations")),
        defects=_defects(category, case.get("defects")),
        not_applicable=_not_applicable(category, case.get("not_applicable")),
    )


def _observations(category: Mapping[str, Any], raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise refuse("bad_observations", "observations", "must be a JSON object of observation values",
                     "观测值必须是 JSON 对象")
    specs = category["observations"]
    out = {}
    for name, value in raw.items():
        field = f"observations.{name}"
        if name not in specs:
            raise refuse("unknown_observation", field,
                         f"category '{category['category']}' has no such observation",
                         f"资产类别 {category['category']} 没有此观测项")
        if value is not None:
            check_value(specs[name], value, field)
            out[name] = value
    return out


def _defects(category: Mapping[str, Any], raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise refuse("bad_defects", "defects", "must be a list of damage instances", "损坏记录必须是列表")
    types: Mapping[str, Any] = category.get("damage_types") or {}
    if not types and raw:
        raise refuse("bad_defects", "defects",
                     f"category '{category['category']}' has no damage types: leave defects empty",
                     f"资产类别 {category['category']} 没有损坏类型,损坏记录应为空")
    out = []
    for i, instance in enumerate(raw):
        where = f"defects[{i}]"
        if not isinstance(instance, dict):
            raise refuse("bad_defects", where, "a damage instance must be a JSON object", "损坏记录必须是 JSON 对象")
        kind = instance.get("type")
        if kind is None:
            raise refuse("missing_damage_type", f"{where}.type", "is missing (every damage instance needs a type)",
                         "缺少损坏类型")
        if not isinstance(kind, str) or kind not in types:
            raise refuse("unknown_damage_type", f"{where}.type",
                         f"unknown damage type {_show(kind)} (expected one of {', '.join(types)})",
                         f"未知的损坏类型 {_show(kind)}")
        fields = types[kind]["fields"]
        checked: dict[str, Any] = {"type": kind}
        for name, value in instance.items():
            if name == "type":
                continue
            if name not in fields:
                raise refuse("unknown_damage_field", f"{where}.{name}",
                             f"damage type '{kind}' has no such field (expected one of {', '.join(fields)})",
                             f"损坏类型 {kind} 没有此字段")
            if value is not None:
                check_value(fields[name], value, f"{where}.{name}")
                checked[name] = value
        out.append(checked)
    return out


def _not_applicable(category: Mapping[str, Any], raw: Any) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise refuse("bad_not_applicable", "not_applicable", "must be a list of clause ids",
                     "不适用条款必须是条款编号列表")
    ids = [clause["id"] for clause in category["clauses"]]
    for i, clause_id in enumerate(raw):
        where = f"not_applicable[{i}]"
        if not isinstance(clause_id, str):
            raise refuse("bad_not_applicable", where, f"expected a clause id string, got {_show(clause_id)}",
                         f"应为条款编号字符串,实际为 {_show(clause_id)}")
        if clause_id not in ids:
            raise refuse("unknown_clause", where,
                         f"category '{category['category']}' has no clause {_show(clause_id)} "
                         f"(expected one of {', '.join(ids)})",
                         f"资产类别 {category['category']} 没有条款 {_show(clause_id)}")
    return frozenset(raw)
