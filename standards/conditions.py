"""Schema checks for the condition language (pass_when, exempt_when, counts_when).

Each check returns the condition in its export form: the same shape with fraction
strings such as "100/3" turned into numbers, so both engines compare plain numbers.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from .yamldoc import PathKey, YamlDoc

OPS = ("<=", "<", ">=", ">", "==")
AREA_OPS = ("<=", "<")
_FRACTION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Scope:
    """What a condition may refer to where it stands."""

    ref_key: str                    # "obs" in clauses, "field" in counts_when
    quantities: dict[str, Any]      # the observations or the damage type's fields
    what: str                       # "observation" or "field", for messages
    damage_area: bool = False       # may use {damage_area: ...}
    exemptions_only: bool = False   # exempt_when: only exemption flags


def is_number(value: Any) -> bool:
    """A real, finite number; booleans are not numbers even though Python says so."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def parse_limit(doc: YamlDoc, path: PathKey, value: Any) -> float | int | bool:
    """A comparison value: a boolean, a finite number or a fraction string "a/b"."""
    if isinstance(value, bool) or is_number(value):
        limit: float | int | bool = value
        return limit
    if isinstance(value, str):
        match = _FRACTION.match(value)
        if match is None:
            raise doc.error(path, f"'{value}' is not a number or a fraction like \"100/3\"")
        numerator, denominator = float(match.group(1)), float(match.group(2))
        if denominator == 0:
            raise doc.error(path, f"fraction '{value}' divides by zero")
        return numerator / denominator
    raise doc.error(path, f"{value!r} is not a number, a boolean or a fraction string")


def check_condition(doc: YamlDoc, path: PathKey, cond: Any, scope: Scope) -> dict[str, Any]:
    """Validate one condition and return its export form."""
    if not isinstance(cond, dict):
        raise doc.error(path, "a condition must be a mapping")
    forms = [k for k in ("all", "any", scope.ref_key, "damage_area") if k in cond]
    if len(forms) != 1:
        allowed = ["all", "any", scope.ref_key] + (["damage_area"] if scope.damage_area else [])
        raise doc.error(path, f"a condition needs exactly one of {', '.join(allowed)}")
    form = forms[0]
    if form in ("all", "any"):
        _only_keys(doc, path, cond, {form})
        parts = cond[form]
        if not isinstance(parts, list) or not parts:
            raise doc.error(path + (form,), "must be a non-empty list of conditions")
        return {form: [check_condition(doc, path + (form, i), c, scope) for i, c in enumerate(parts)]}
    if form == "damage_area":
        return _check_damage_area(doc, path, cond, scope)
    return _check_comparison(doc, path, cond, scope)


def _only_keys(doc: YamlDoc, path: PathKey, cond: dict[str, Any], allowed: set[str]) -> None:
    for key in cond:
        if key not in allowed:
            raise doc.error(path + (key,), f"unknown key '{key}' in a condition")


def _check_op(doc: YamlDoc, path: PathKey, op: Any, allowed: tuple[str, ...]) -> str:
    if op not in allowed:
        problem = f"unknown operator {op!r}" if op not in OPS else f"operator '{op}' not allowed here"
        raise doc.error(path, f"{problem} (expected one of {', '.join(allowed)})")
    checked: str = op
    return checked


def _check_damage_area(doc: YamlDoc, path: PathKey, cond: dict[str, Any], scope: Scope) -> dict[str, Any]:
    if not scope.damage_area:
        raise doc.error(path + ("damage_area",), "damage_area is only allowed in clauses of categories with damage_types")
    _only_keys(doc, path, cond, {"damage_area"})
    inner = cond["damage_area"]
    here = path + ("damage_area",)
    if not isinstance(inner, dict):
        raise doc.error(here, "must be a mapping with op and value")
    _only_keys(doc, here, inner, {"op", "value"})
    for key in ("op", "value"):
        if key not in inner:
            raise doc.error(here, f"missing key '{key}'")
    op = _check_op(doc, here + ("op",), inner["op"], AREA_OPS)
    value = parse_limit(doc, here + ("value",), inner["value"])
    if isinstance(value, bool) or value < 0:
        raise doc.error(here + ("value",), f"damage area limit must be a number >= 0, not {inner['value']!r}")
    return {"damage_area": {"op": op, "value": value}}


def _check_comparison(doc: YamlDoc, path: PathKey, cond: dict[str, Any], scope: Scope) -> dict[str, Any]:
    ref_key = scope.ref_key
    _only_keys(doc, path, cond, {ref_key, "op", "value"})
    for key in ("op", "value"):
        if key not in cond:
            raise doc.error(path, f"missing key '{key}'")
    name = cond[ref_key]
    spec = scope.quantities.get(name) if isinstance(name, str) else None
    if spec is None:
        raise doc.error(path + (ref_key,), f"undefined {scope.what} {name!r}")
    if scope.exemptions_only and not spec.get("exemption"):
        raise doc.error(path + (ref_key,), f"exempt_when may only use exemption flags, and '{name}' is not one")
    op = _check_op(doc, path + ("op",), cond["op"], OPS)
    value = parse_limit(doc, path + ("value",), cond["value"])
    if spec["type"] == "boolean":
        if not isinstance(value, bool):
            raise doc.error(path + ("value",), f"'{name}' is a boolean: compare it with true or false, not {cond['value']!r}")
        if op != "==":
            raise doc.error(path + ("op",), f"a boolean compares only with '==', not '{op}'")
    else:
        if isinstance(value, bool):
            raise doc.error(path + ("value",), f"'{name}' is a number: a boolean limit makes no sense")
        if not spec["min"] <= value <= spec["max"]:
            raise doc.error(
                path + ("value",),
                f"limit {cond['value']} is outside the physical range of '{name}' "
                f"({spec['min']} to {spec['max']} {spec['unit']})",
            )
    return {ref_key: name, "op": op, "value": value}
