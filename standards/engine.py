"""The judging engine: one pure function, `evaluate(standard, case)`.

`standard` is either a loaded `Standard` or its export document as a plain dict (for
instance `json.loads` of `python -m standards export`, or of GET /api/standards): the
engine only ever reads the export document, the same data the phone's JavaScript
evaluator judges, so the two cannot drift apart on anything but code.

The result is `{"category": KEY, "compliant": true|false|null, "clauses": {ID: RESULT}}`
with every clause of the category in file order, RESULT one of pass, fail, exempt,
n/a, unknown. Bad input raises `EvaluationError` (see caseinput.py). The logic is
three-valued (Kleene): True, False, or None for unknown.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from .caseinput import Case, parse_case
from .model import Standard

Truth = bool | None


def evaluate(standard: Standard | Mapping[str, Any], case: Any) -> dict[str, Any]:
    """Judge one case against one version of the standards."""
    document = standard.document if isinstance(standard, Standard) else standard
    checked = parse_case(document, case)
    category = document["categories"][checked.category]
    judge = _Judge(category, checked)
    clauses = {clause["id"]: judge.clause(clause) for clause in category["clauses"]}
    results = set(clauses.values())
    compliant: Truth = False if "fail" in results else None if "unknown" in results else True
    return {"category": checked.category, "compliant": compliant, "clauses": clauses}


def compare(value: Any, op: str, limit: Any) -> bool:
    """`value OP limit` for the five operators of the format."""
    if op == "<=":
        return value <= limit
    if op == "<":
        return value < limit
    if op == ">=":
        return value >= limit
    if op == ">":
        return value > limit
    return value == limit


def quantise(total: float) -> float:
    """Round a sum of areas to 1e-6 m² the way both engines do, so 0.1+0.2+0.7 is 1."""
    return math.floor(total * 1e6 + 0.5) / 1e6


def truth(cond: Mapping[str, Any], values: Mapping[str, Any], specs: Mapping[str, Any],
          damage_area: Any = None) -> Truth:
    """The Kleene truth of `cond` given `values` (a missing exemption flag reads false)."""
    if "all" in cond:
        parts = [truth(c, values, specs, damage_area) for c in cond["all"]]
        return False if False in parts else None if None in parts else True
    if "any" in cond:
        parts = [truth(c, values, specs, damage_area) for c in cond["any"]]
        return True if True in parts else None if None in parts else False
    if "damage_area" in cond:
        return damage_area(cond["damage_area"])
    name = cond["obs"] if "obs" in cond else cond["field"]
    value = values.get(name)
    if value is None:
        return False if specs[name].get("exemption") else None
    return compare(value, cond["op"], cond["value"])


class _Judge:
    """Judges the clauses of one category for one checked case."""

    def __init__(self, category: Mapping[str, Any], case: Case) -> None:
        self.category = category
        self.case = case
        self.specs = category["observations"]

    def clause(self, clause: Mapping[str, Any]) -> str:
        if clause["id"] in self.case.not_applicable:
            return "n/a"
        passes = truth(clause["pass_when"], self.case.observations, self.specs, self.damage_area)
        if passes is None:
            return "unknown"
        if passes:
            return "pass"
        exempt = clause.get("exempt_when")
        if exempt is not None and truth(exempt, self.case.observations, self.specs) is True:
            return "exempt"
        return "fail"

    def damage_area(self, test: Mapping[str, Any]) -> Truth:
        """Compare the summed area of counting damage instances with the limit."""
        types = self.category.get("damage_types", {})
        total, uncertain = 0.0, False
        for instance in self.case.defects:
            spec = types[instance["type"]]
            rule = spec["counts_when"]
            counts = True if rule == "always" else truth(rule, instance, spec["fields"])
            if counts is False:
                continue
            area = instance.get("area_m2")
            if counts is None or area is None:
                uncertain = True
                continue
            total += area
        result = compare(quantise(total), test["op"], test["value"])
        if uncertain and result:
            return None  # what is unknown could still push the sum over the limit
        return result
