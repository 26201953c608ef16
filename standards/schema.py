"""Schema of the manifest and of one category file (docs/standards-format.md).

Every check raises a StandardsFileError naming the file, line and key. The functions
return the validated content in export form (file order kept, fractions as numbers).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .conditions import Scope, check_condition, is_number
from .yamldoc import PathKey, YamlDoc

SEVERITIES = ("urgent", "high", "normal", "low")
GROUPS = ("landscaping", "facilities")
TYPES = ("number", "boolean")
# Units and the physical bounds no range may leave (None: only non-negative).
UNITS: dict[str, tuple[float, float | None]] = {
    "%": (0, 100), "mm": (0, None), "m": (0, None), "m2": (0, None), "deg": (0, 90),
}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_CLAUSE_ID = re.compile(r"^[A-Z]+-[0-9]+$")


def check_keys(doc: YamlDoc, path: PathKey, value: Any, required: tuple[str, ...],
               optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """`value` must be a mapping with all `required` keys and no key outside both lists."""
    if not isinstance(value, dict):
        raise doc.error(path, f"expected a mapping, got {type(value).__name__}")
    allowed = required + optional
    for key in value:
        if key not in allowed:
            raise doc.error(path + (key,), f"unknown key '{key}' (expected one of {', '.join(allowed)})")
    for key in required:
        if key not in value:
            raise doc.error(path, f"missing key '{key}'")
    return value


def check_text(doc: YamlDoc, path: PathKey, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise doc.error(path, "must be a non-empty string")
    return value


def check_label(doc: YamlDoc, path: PathKey, value: Any) -> dict[str, str]:
    """A bilingual text: exactly `zh` and `en`, both non-empty."""
    check_keys(doc, path, value, ("zh", "en"))
    return {"zh": check_text(doc, path + ("zh",), value["zh"]),
            "en": check_text(doc, path + ("en",), value["en"])}


def check_choice(doc: YamlDoc, path: PathKey, value: Any, choices: tuple[str, ...]) -> str:
    """One of a fixed set of words."""
    if value not in choices:
        raise doc.error(path, f"{value!r} is not one of {', '.join(choices)}")
    choice: str = value
    return choice


def check_quantity(doc: YamlDoc, path: PathKey, spec: Any, *, exemptions: bool) -> dict[str, Any]:
    """An observation (or, with exemptions=False, a damage field) definition."""
    check_keys(doc, path, spec, ("type", "label"), ("unit", "min", "max", "step", "exemption"))
    kind = check_choice(doc, path + ("type",), spec["type"], TYPES)
    out: dict[str, Any] = {}
    for key, value in spec.items():
        if kind == "boolean" and key in ("unit", "min", "max", "step"):
            raise doc.error(path + (key,), f"'{key}' applies to numbers only")
        if key == "exemption" and (kind != "boolean" or not exemptions):
            raise doc.error(path + (key,), "only boolean observations can be exemption flags")
        if key == "label":
            out[key] = check_label(doc, path + (key,), value)
        elif key in ("min", "max", "step"):
            if not is_number(value):
                raise doc.error(path + (key,), f"must be a number, not {value!r}")
            out[key] = value
        elif key == "exemption":
            if not isinstance(value, bool):
                raise doc.error(path + (key,), "must be true or false")
            out[key] = value
        else:
            out[key] = value
    if kind == "number":
        for key in ("unit", "min", "max"):
            if key not in spec:
                raise doc.error(path, f"missing key '{key}' (required for numbers)")
        unit = check_choice(doc, path + ("unit",), spec["unit"], tuple(UNITS))
        low, high = UNITS[unit]
        if spec["min"] > spec["max"]:
            raise doc.error(path + ("min",), f"min {spec['min']} is greater than max {spec['max']}")
        if spec["min"] < low:
            raise doc.error(path + ("min",), f"min {spec['min']} is below the physical bound {low} {unit}")
        if high is not None and spec["max"] > high:
            raise doc.error(path + ("max",), f"max {spec['max']} is above the physical bound {high} {unit}")
        if "step" in spec and spec["step"] <= 0:
            raise doc.error(path + ("step",), "step must be greater than 0")
    return out


def check_quantities(doc: YamlDoc, path: PathKey, value: Any, *, exemptions: bool) -> dict[str, Any]:
    """A mapping of observation (or field) keys to their definitions."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise doc.error(path, "expected a mapping of keys to definitions")
    out = {}
    for key, spec in value.items():
        if not _KEY.match(key):
            raise doc.error(path + (key,), f"key '{key}' must be lower_snake_case")
        out[key] = check_quantity(doc, path + (key,), spec, exemptions=exemptions)
    return out


def check_damage_type(doc: YamlDoc, path: PathKey, spec: Any) -> dict[str, Any]:
    """A damage type: its definition decides whether an instance counts."""
    check_keys(doc, path, spec, ("label", "source", "severity", "fields", "counts_when"))
    fields = check_quantities(doc, path + ("fields",), spec["fields"], exemptions=False)
    area = fields.get("area_m2")
    if area is None:
        raise doc.error(path + ("fields",), "every damage type needs an 'area_m2' field")
    if area["type"] != "number" or area.get("unit") != "m2":
        raise doc.error(path + ("fields", "area_m2"), "area_m2 must be a number in m2")
    counts = spec["counts_when"]
    if counts != "always":
        counts = check_condition(doc, path + ("counts_when",), counts, Scope("field", fields, "field"))
    return {
        "label": check_label(doc, path + ("label",), spec["label"]),
        "source": check_text(doc, path + ("source",), spec["source"]),
        "severity": check_choice(doc, path + ("severity",), spec["severity"], SEVERITIES),
        "fields": fields,
        "counts_when": counts,
    }


def check_clause(doc: YamlDoc, path: PathKey, spec: Any, observations: dict[str, Any],
                 has_damage: bool) -> dict[str, Any]:
    """One clause; its conditions may only use the category's own observations."""
    check_keys(doc, path, spec, ("id", "label", "source", "severity", "pass_when"), ("exempt_when", "photo_on_fail"))
    clause_id = spec["id"]
    if not isinstance(clause_id, str) or not _CLAUSE_ID.match(clause_id):
        raise doc.error(path + ("id",), f"{clause_id!r} is not a clause id like GS-1")
    out: dict[str, Any] = {
        "id": clause_id,
        "label": check_label(doc, path + ("label",), spec["label"]),
        "source": check_text(doc, path + ("source",), spec["source"]),
        "severity": check_choice(doc, path + ("severity",), spec["severity"], SEVERITIES),
        "pass_when": check_condition(doc, path + ("pass_when",), spec["pass_when"],
                                     Scope("obs", observations, "observation", damage_area=has_damage)),
    }
    if "exempt_when" in spec:
        out["exempt_when"] = check_condition(doc, path + ("exempt_when",), spec["exempt_when"],
                                             Scope("obs", observations, "observation", exemptions_only=True))
    if "photo_on_fail" in spec:  # a failing inspection of this clause must carry a photo
        if not isinstance(spec["photo_on_fail"], bool):
            raise doc.error(path + ("photo_on_fail",), f"{spec['photo_on_fail']!r} is not true or false")
        out["photo_on_fail"] = spec["photo_on_fail"]
    return out


WRITERS = ("source", "operator")  # the contract's source text, or the operator (no numeric standard in the source)


def check_category(doc: YamlDoc, key: str) -> dict[str, Any]:
    """A whole category file, whose `category` must equal its file name `key`."""
    data = check_keys(doc, (), doc.data, ("category", "group", "label", "description", "observations", "clauses"),
                      ("damage_types", "written_by"))
    if data["category"] != key:
        raise doc.error(("category",), f"{data['category']!r} does not match the file name '{key}'")
    observations = check_quantities(doc, ("observations",), data["observations"], exemptions=True)
    damage_types = None
    if "damage_types" in data:
        raw = data["damage_types"]
        if not isinstance(raw, dict) or not raw:
            raise doc.error(("damage_types",), "expected a non-empty mapping of damage types")
        damage_types = {}
        for name, spec in raw.items():
            if not _KEY.match(name):
                raise doc.error(("damage_types", name), f"damage type '{name}' must be lower_snake_case")
            damage_types[name] = check_damage_type(doc, ("damage_types", name), spec)
    clauses = data["clauses"]
    if not isinstance(clauses, list) or not clauses:
        raise doc.error(("clauses",), "expected a non-empty list of clauses")
    out: dict[str, Any] = {
        "category": key,
        "group": check_choice(doc, ("group",), data["group"], GROUPS),
        "label": check_label(doc, ("label",), data["label"]),
        "description": check_label(doc, ("description",), data["description"]),
        "observations": observations,
    }
    if "written_by" in data:  # absent: the clauses are the source text's (so 2026.1's export is unchanged)
        out["written_by"] = check_choice(doc, ("written_by",), data["written_by"], WRITERS)
    if damage_types is not None:
        out["damage_types"] = damage_types
    out["clauses"] = [check_clause(doc, ("clauses", i), c, observations, damage_types is not None)
                      for i, c in enumerate(clauses)]
    return out


def check_manifest(doc: YamlDoc) -> dict[str, Any]:
    """The manifest: version, effective date, titles and the catalogue's clause list."""
    data = check_keys(doc, (), doc.data, ("version", "effective_from", "title", "source", "categories"))
    if not isinstance(data["version"], str) or not data["version"].strip():
        raise doc.error(("version",), "must be a non-empty string (quote it: \"2026.1\")")
    effective = data["effective_from"]
    if isinstance(effective, str):
        try:
            effective = dt.date.fromisoformat(effective)
        except ValueError:
            pass
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        raise doc.error(("effective_from",), f"{data['effective_from']!r} is not a date (YYYY-MM-DD)")
    categories = data["categories"]
    if not isinstance(categories, dict) or not categories:
        raise doc.error(("categories",), "expected a mapping of category keys to clause lists")
    for key, ids in categories.items():
        if not _KEY.match(key):
            raise doc.error(("categories", key), f"category key '{key}' must be lower_snake_case")
        if not isinstance(ids, list) or not ids:
            raise doc.error(("categories", key), "expected a non-empty list of clause ids")
        for i, clause_id in enumerate(ids):
            if not isinstance(clause_id, str) or not _CLAUSE_ID.match(clause_id):
                raise doc.error(("categories", key, i), f"{clause_id!r} is not a clause id like GS-1")
    return {
        "version": data["version"],
        "effective_from": effective,
        "title": check_label(doc, ("title",), data["title"]),
        "source": check_label(doc, ("source",), data["source"]),
        "categories": categories,
    }
