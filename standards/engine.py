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
import operator
from collections.abc import Callable
from typing import Any, Mapping

from .caseinput import Case, parse_case
from .model import Standard

Truth = bool | None


def evaluate(standard: Standard | Mapping[str, Any], case: Any) -> dict[str, Any]:
    """Judge one case against one version of the standards."""
    document: Mapping[str, Any]
    if isinstance(standard, Standard):
        document, judges = standard.document, standard.judges  # compiled once per loaded version
    else:
        document, judges = standard, {}
    checked = parse_case(document, case)
    judge = judges.get(checked.category)
    if judge is None:
        judge = judges[checked.category] = CategoryJudge(document["categories"][checked.category])
    clauses = judge.clauses(checked)
    results = set(clauses.values())
    compliant: Truth = False if "fail" in results else None if "unknown" in results else True
    return {"category": checked.category, "compliant": compliant, "clauses": clauses}


def compare(value: Any, op: str, limit: Any) -> bool:
    """`value OP limit` for the five operators of the format."""
    if op == "<=":
        return bool(value <= limit)
    if op == "<":
        return bool(value < limit)
    if op == ">=":
        return bool(value >= limit)
    if op == ">":
        return bool(value > limit)
    return bool(value == limit)


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
        area_truth: Truth = damage_area(cond["damage_area"])
        return area_truth
    name = cond["obs"] if "obs" in cond else cond["field"]
    value = values.get(name)
    if value is None:
        return False if specs[name].get("exemption") else None
    return compare(value, cond["op"], cond["value"])


# -- the same rules, compiled --------------------------------------------------------------
#
# The server judges every inspection it receives, a few hundred a second in a sync batch;
# walking the condition dicts for each one cost more than the rest of the judging. Each
# category is compiled once into closures that follow `truth` and `compare` rule for
# rule (the shared vectors hold both to the same answers).

# A compiled condition: a function of the case's values and its damage-area test.
Condition = Callable[[Mapping[str, Any], Any], Truth]
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq,
}


def compile_condition(cond: Mapping[str, Any], specs: Mapping[str, Any]) -> Condition:
    """`cond` as a function of (values, damage_area) with the Kleene truth of `truth`."""
    if "all" in cond or "any" in cond:
        # Kleene: one decisive part (False for all, True for any) settles it; else unknown wins.
        decisive = "any" in cond
        parts = [compile_condition(c, specs) for c in cond["any" if decisive else "all"]]

        def combined(values: Mapping[str, Any], area: Any) -> Truth:
            unknown = False
            for part in parts:
                result = part(values, area)
                if result is decisive:
                    return decisive
                unknown = unknown or result is None
            return None if unknown else not decisive

        return combined
    if "damage_area" in cond:
        op, limit = cond["damage_area"]["op"], cond["damage_area"]["value"]
        return lambda values, area: area(op, limit)
    name = cond["obs"] if "obs" in cond else cond["field"]
    test, limit = OPERATORS[cond["op"]], cond["value"]
    when_missing: Truth = False if specs[name].get("exemption") else None

    def comparison(values: Mapping[str, Any], area: Any) -> Truth:
        value = values.get(name)
        return when_missing if value is None else test(value, limit)

    return comparison


class CategoryJudge:
    """The clauses of one category, compiled; judges checked cases of that category."""

    def __init__(self, category: Mapping[str, Any]) -> None:
        specs = category["observations"]
        self.rules = [
            (clause["id"], compile_condition(clause["pass_when"], specs),
             compile_condition(clause["exempt_when"], specs) if clause.get("exempt_when") is not None else None)
            for clause in category["clauses"]
        ]
        self.counts_when: dict[str, Condition | None] = {
            kind: None if spec["counts_when"] == "always" else compile_condition(spec["counts_when"], spec["fields"])
            for kind, spec in category.get("damage_types", {}).items()
        }

    def clauses(self, case: Case) -> dict[str, str]:
        """Every clause's result for `case`, in file order."""
        values, not_applicable = case.observations, case.not_applicable
        area = _DamageArea(self.counts_when, case.defects)
        results = {}
        for clause_id, pass_when, exempt_when in self.rules:
            if clause_id in not_applicable:
                results[clause_id] = "n/a"
                continue
            passes = pass_when(values, area)
            if passes is None:
                results[clause_id] = "unknown"
            elif passes:
                results[clause_id] = "pass"
            elif exempt_when is not None and exempt_when(values, area) is True:
                results[clause_id] = "exempt"
            else:
                results[clause_id] = "fail"
        return results


class _DamageArea:
    """The damage-area test of one case: the counting instances are summed once."""

    def __init__(self, counts_when: Mapping[str, Condition | None], defects: list[dict[str, Any]]) -> None:
        self.counts_when = counts_when
        self.defects = defects
        self.summed: tuple[float, bool] | None = None

    def __call__(self, op: str, limit: float) -> Truth:
        """Compare the summed area of counting damage instances with the limit."""
        if self.summed is None:
            self.summed = self._sum()
        total, uncertain = self.summed
        result = compare(quantise(total), op, limit)
        if uncertain and result:
            return None  # what is unknown could still push the sum over the limit
        return result

    def _sum(self) -> tuple[float, bool]:
        total, uncertain = 0.0, False
        for instance in self.defects:
            rule = self.counts_when[instance["type"]]
            counts = True if rule is None else rule(instance, None)
            if counts is False:
                continue
            area = instance.get("area_m2")
            if counts is None or area is None:
                uncertain = True
                continue
            total += area
        return total, uncertain
