"""Observation values and damage instances made from the standards' own conditions.

Nothing here knows what a clause means: values are chosen to make a condition true or
false as asked, read from the category's export document, and the real engine judges
the result afterwards. So the demo follows the standards data wherever it goes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Mapping

from standards.engine import compare, truth

Cond = Mapping[str, Any]
Specs = Mapping[str, Any]


@dataclass
class Fault:
    """Something wrong with an asset that makes one clause fail, until it is fixed.

    `exempt` faults carry the clause's own exemption (chipped but still working):
    they stay for good and judge `exempt`, never becoming defects.
    """

    clause_id: str
    observations: dict[str, Any] = field(default_factory=dict)
    damages: list[dict[str, Any]] = field(default_factory=list)
    exempt: bool = False


def _decimals(step: float) -> int:
    d = 0
    while d < 6 and abs(round(step * 10**d) - step * 10**d) > 1e-9:
        d += 1
    return d


def _snap(value: float, spec: Specs) -> int | float:
    step = spec.get("step") or 0.01
    d = _decimals(step)
    value = min(max(round(round(value / step) * step, d), spec["min"]), spec["max"])
    return int(round(value)) if d == 0 else value


def number_for(spec: Specs, op: str, limit: float, want: bool, rng: random.Random,
               comfortable: bool = True) -> int | float:
    """A value of `spec` for which `value OP limit` is `want`, on the spec's step."""
    low = spec["min"]
    step = spec.get("step") or 0.01
    if op == "==":
        return _snap(limit if want else limit + step, spec)
    below = (op in ("<=", "<")) == want  # the value must sit at or under the limit
    if below:
        reach = 0.6 if comfortable else 0.97
        value = low + (limit - low) * (rng.random() ** 1.5) * reach
    else:
        span = max(limit - low, 10 * step)
        value = limit + span * (0.05 + 0.95 * rng.random() ** 1.3) * 1.2
    value = _snap(value, spec)
    nudge = -step if below else step
    for _ in range(100):
        if compare(value, op, limit) == want:
            return value
        value = _snap(value + nudge, spec)
    return value


def leaves(cond: Cond) -> list[Cond]:
    """The comparisons of a condition, depth first."""
    if "all" in cond or "any" in cond:
        return [leaf for part in cond.get("all", cond.get("any", [])) for leaf in leaves(part)]
    return [cond]


def satisfy(cond: Cond, want: bool, specs: Specs, rng: random.Random, out: dict[str, Any],
            over_area: list[Cond] | None = None, comfortable: bool = True) -> None:
    """Set the fewest values in `out` that make `cond` judge `want`.

    A `damage_area` test that must fail is appended to `over_area` for the caller to
    meet with damage instances; one that must pass needs nothing (no damage passes).
    """
    if "all" in cond or "any" in cond:
        parts = cond["all"] if "all" in cond else cond["any"]
        every = ("all" in cond) == want  # all-true or any-false: every part must go `want`
        for part in parts if every else [rng.choice(parts)]:
            satisfy(part, want, specs, rng, out, over_area, comfortable)
        return
    if "damage_area" in cond:
        if not want and over_area is not None:
            over_area.append(cond["damage_area"])
        return
    key = cond["obs"] if "obs" in cond else cond["field"]
    spec = specs[key]
    if spec["type"] == "boolean":
        out[key] = cond["value"] if want else not cond["value"]
    else:
        out[key] = number_for(spec, cond["op"], cond["value"], want, rng, comfortable)


class CaseMaker:
    """Makes the observations and damage instances of one category's inspections."""

    def __init__(self, category: Mapping[str, Any]) -> None:
        self.category = category
        self.specs: Specs = category["observations"]
        self.damage_types: Mapping[str, Any] = category.get("damage_types", {})
        self.clauses = {c["id"]: c for c in category["clauses"]}

    def keys_of(self, clause_ids: set[str]) -> set[str]:
        """The observation keys the given clauses read."""
        keys: set[str] = set()
        for cid in clause_ids:
            clause = self.clauses[cid]
            for cond in (clause["pass_when"], clause.get("exempt_when")):
                if cond is not None:
                    keys.update(leaf["obs"] for leaf in leaves(cond) if "obs" in leaf)
        return keys

    def baseline(self, rng: random.Random, not_applicable: set[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Values that pass every applicable clause with some margin, and harmless damage."""
        applicable = set(self.clauses) - not_applicable
        observations: dict[str, Any] = {}
        for cid in self.clauses:
            if cid in applicable:
                satisfy(self.clauses[cid]["pass_when"], True, self.specs, rng, observations)
        used = self.keys_of(applicable)
        for key, spec in self.specs.items():
            if spec.get("exemption") and key in used and rng.random() < 0.7:
                observations[key] = False  # the form sends unticked boxes as false
        damages: list[dict[str, Any]] = []
        if self.damage_types and rng.random() < 0.45:
            for _ in range(rng.randint(1, 2)):
                instance = self.instance(rng, counts=rng.random() < 0.3, area=round(rng.uniform(0.05, 0.3), 2))
                if instance is not None:
                    damages.append(instance)
        return {k: v for k, v in observations.items() if k in used}, damages

    def instance(self, rng: random.Random, *, counts: bool, area: float | None) -> dict[str, Any] | None:
        """One damage instance that does (or does not) meet its type's definition."""
        names = [n for n, t in self.damage_types.items() if counts or t["counts_when"] != "always"]
        for _ in range(30):
            name = rng.choice(names)
            spec = self.damage_types[name]
            fields, rule = spec["fields"], spec["counts_when"]
            instance: dict[str, Any] = {}
            if rule != "always":
                for leaf in leaves(rule):  # every measurement filled in, as on the phone
                    satisfy(leaf, rng.random() < 0.5, fields, rng, instance, comfortable=False)
                satisfy(rule, counts, fields, rng, instance)
            if area is not None:
                instance["area_m2"] = area
            elif "area_m2" not in instance:
                instance["area_m2"] = round(rng.uniform(0.05, 0.6), 2)
            if (True if rule == "always" else truth(rule, instance, fields)) == counts:
                return {"type": name, **instance}
        return None

    def fault(self, clause_id: str, rng: random.Random, *, exempt: bool = False) -> Fault:
        """A fault that fails `clause_id` (or, with `exempt`, fails it but is exempt)."""
        clause = self.clauses[clause_id]
        result = Fault(clause_id, exempt=exempt)
        over: list[Cond] = []
        satisfy(clause["pass_when"], False, self.specs, rng, result.observations, over)
        for test in over:
            limit = test["value"]
            total = limit * rng.uniform(1.15, 3.5) + 0.05
            parts = rng.randint(1, 3)
            for k in range(parts):
                share = round(total / parts + (0.05 if k == 0 else 0), 2)
                instance = self.instance(rng, counts=True, area=share)
                if instance is not None:
                    result.damages.append(instance)
        if exempt and clause.get("exempt_when") is not None:
            satisfy(clause["exempt_when"], True, self.specs, rng, result.observations)
        return result

    def make_unknown(self, rng: random.Random, observations: dict[str, Any], damages: list[dict[str, Any]]) -> None:
        """Leave out one measurement, as a hurried inspector does: the clause reads unknown."""
        keys = [k for k in observations if not self.specs[k].get("exemption")]
        if keys:
            del observations[rng.choice(keys)]
            return
        for _ in range(10):
            instance = self.instance(rng, counts=True, area=round(rng.uniform(0.1, 0.4), 2))
            if instance is None:
                return
            rule = self.damage_types[instance["type"]]["counts_when"]
            if rule != "always":
                del instance[rng.choice([leaf["field"] for leaf in leaves(rule) if leaf["field"] != "area_m2"]
                                        or ["area_m2"])]
                damages.append(instance)
                return
