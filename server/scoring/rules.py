"""The scoring rule as data: weights and payment bands, versioned by effective date.

One YAML file per version under `standards/scoring/`, named by its `effective_from`
(docs/scoring.md). Everything is checked at load; a fault is a `StandardsFileError`
naming the file, the line and the key, and stops the app's start-up.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from standards.errors import StandardsFileError
from standards.loader import REPO_ROOT, display_path
from standards.schema import check_keys, check_label
from standards.yamldoc import YamlDoc, read_yaml

SCORING_DIR = REPO_ROOT / "standards" / "scoring"
FIGURES = ("compliance", "timeliness", "coverage")  # the scored figures, in the formula's order
ORIGINS = ("operator", "contract")  # who wrote a rule's numbers: the operator's defaults, or the contract's
SEVERITIES = ("urgent", "high", "normal", "low")  # as server/defects/models.py (standards/ needs no server)


@dataclass(frozen=True)
class Veto:
    """The safety veto (实行安全一票否决权, SCOPE.md): what it caps and which defects trigger it.

    A defect triggers it in a month when its clause is one of `clauses` or its severity one of
    `severities`, and it was still not closed at some moment of the month after its due time
    (`respond_by`). Dismissed defects never do. The scope's payment is then at most
    `max_payment_pct`; the score itself is unchanged.
    """

    clauses: frozenset[str]
    severities: frozenset[str]
    max_payment_pct: Fraction
    source: dict[str, str]

    def covers(self, clause_id: str, severity: str) -> bool:
        return clause_id in self.clauses or severity in self.severities

    def describe(self) -> dict[str, Any]:
        return {"clauses": sorted(self.clauses), "severities": [s for s in SEVERITIES if s in self.severities],
                "max_payment_pct": float(self.max_payment_pct), "source": self.source}


@dataclass(frozen=True)
class Band:
    """Scores from `min_score` up (to the next band's minimum) are paid `payment_pct` % of the fee."""

    min_score: Fraction
    payment_pct: Fraction


@dataclass(frozen=True)
class ScoringRule:
    """One version of the rule. Weights are exact fractions (0.60 is 3/5), so sums are exact."""

    version: str
    effective_from: dt.date
    title: dict[str, str]
    source: dict[str, str]
    weights: dict[str, Fraction]
    bands: tuple[Band, ...]
    origin: str = "operator"          # the weights and bands are the operator's defaults, not the contract's
    veto: Veto | None = None

    def band_for(self, score: Fraction) -> Band:
        """The first band (highest first) whose minimum `score` reaches."""
        for band in self.bands:
            if score >= band.min_score:
                return band
        return self.bands[-1]  # unreachable: the last band starts at 0 and scores are >= 0

    def describe(self) -> dict[str, Any]:
        """The rule as plain data (for the API, the CLI and the frozen figures)."""
        return {
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "weights": {k: float(v) for k, v in self.weights.items()},
            "bands": [{"min_score": float(b.min_score), "payment_pct": float(b.payment_pct)} for b in self.bands],
            "origin": self.origin,
            "veto": self.veto.describe() if self.veto else None,
        }


class NoRuleInForce(LookupError):
    """No scoring rule had taken effect by the month asked about."""


class ScoringRules:
    """Every version found, oldest first."""

    def __init__(self, rules: list[ScoringRule]) -> None:
        self.rules: tuple[ScoringRule, ...] = tuple(sorted(rules, key=lambda r: r.effective_from))

    def for_date(self, day: dt.date) -> ScoringRule:
        """The rule in force on `day` (a month is scored by the rule in force on its first day)."""
        in_force = [r for r in self.rules if r.effective_from <= day]
        if not in_force:
            raise NoRuleInForce(f"no scoring rule is in force on {day.isoformat()}")
        return in_force[-1]

    def get(self, version: str) -> ScoringRule:
        for rule in self.rules:
            if rule.version == version:
                return rule
        raise KeyError(version)


def _number(doc: YamlDoc, path: tuple[str | int, ...], value: Any, lo: int, hi: int) -> Fraction:
    # bool is an int in Python; YAML `true` is not a number here.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise doc.error(path, f"must be a number, not {value!r}")
    exact = Fraction(str(value))  # 0.6 read as the decimal the file says, not the nearest double
    if not lo <= exact <= hi:
        raise doc.error(path, f"{value} is outside {lo}–{hi}")
    return exact


def check_rule(doc: YamlDoc, file_name: str | None = None) -> ScoringRule:
    """Validate one rule document; `file_name` (without .yaml) must equal effective_from."""
    data = check_keys(doc, (), doc.data, ("version", "effective_from", "weights", "bands"),
                      ("title", "source", "origin", "veto"))
    version = data["version"]
    if not isinstance(version, str) or not version.strip():
        raise doc.error(("version",), "must be a non-empty string (quote it: \"2026.1\")")
    effective = data["effective_from"]
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        raise doc.error(("effective_from",), f"must be a date YYYY-MM-DD, not {effective!r}")
    if file_name is not None and file_name != effective.isoformat():
        raise doc.error(("effective_from",), f"{effective.isoformat()} does not match the file name '{file_name}.yaml'")
    title = check_label(doc, ("title",), data["title"]) if "title" in data else {"zh": "月度合规考核规则", "en": "Monthly compliance scoring rule"}
    source = check_label(doc, ("source",), data["source"]) if "source" in data else {"zh": "", "en": ""}

    raw_weights = check_keys(doc, ("weights",), data["weights"], FIGURES)
    weights = {key: _number(doc, ("weights", key), raw_weights[key], 0, 1) for key in FIGURES}
    if sum(weights.values()) != 1:
        total = " + ".join(str(raw_weights[k]) for k in FIGURES)
        raise doc.error(("weights",), f"the weights must add up to 1, not {total} = {float(sum(weights.values()))}")

    raw_bands = data["bands"]
    if not isinstance(raw_bands, list) or not raw_bands:
        raise doc.error(("bands",), "must be a non-empty list of {min_score, payment_pct}")
    bands: list[Band] = []
    for i, raw in enumerate(raw_bands):
        check_keys(doc, ("bands", i), raw, ("min_score", "payment_pct"))
        band = Band(
            _number(doc, ("bands", i, "min_score"), raw["min_score"], 0, 100),
            _number(doc, ("bands", i, "payment_pct"), raw["payment_pct"], 0, 100),
        )
        if bands and band.min_score >= bands[-1].min_score:
            raise doc.error(("bands", i, "min_score"),
                            f"bands go from the highest min_score down: {raw['min_score']} is not below the one before")
        if bands and band.payment_pct > bands[-1].payment_pct:
            raise doc.error(("bands", i, "payment_pct"),
                            f"a lower band cannot pay more: {raw['payment_pct']} is above the one before")
        bands.append(band)
    if bands[-1].min_score != 0:
        raise doc.error(("bands", len(bands) - 1, "min_score"), "the last band must start at 0, so every score has a band")
    origin = data.get("origin", "operator")
    if origin not in ORIGINS:
        raise doc.error(("origin",), f"{origin!r} is not one of {', '.join(ORIGINS)}")
    veto = _veto(doc, data["veto"], bands[0].payment_pct) if data.get("veto") is not None else None
    return ScoringRule(version.strip(), effective, title, source, weights, tuple(bands), origin, veto)


def _veto(doc: YamlDoc, raw: Any, top: Fraction) -> Veto:
    data = check_keys(doc, ("veto",), raw, ("max_payment_pct", "source"), ("clauses", "severities"))
    clauses = data.get("clauses") or []
    severities = data.get("severities") or []
    if not isinstance(clauses, list) or not all(isinstance(c, str) and c.strip() for c in clauses):
        raise doc.error(("veto", "clauses"), "must be a list of clause ids, e.g. [PL-2, HT-3]")
    if not isinstance(severities, list):
        raise doc.error(("veto", "severities"), f"must be a list of {', '.join(SEVERITIES)}")
    for i, severity in enumerate(severities):
        if severity not in SEVERITIES:
            raise doc.error(("veto", "severities", i), f"{severity!r} is not one of {', '.join(SEVERITIES)}")
    if not clauses and not severities:
        raise doc.error(("veto",), "names no clauses and no severities: it could never apply")
    cap = _number(doc, ("veto", "max_payment_pct"), data["max_payment_pct"], 0, 100)
    if cap >= top:
        raise doc.error(("veto", "max_payment_pct"), f"{data['max_payment_pct']} caps nothing: the top band pays {top}")
    source = check_label(doc, ("veto", "source"), data["source"])
    return Veto(frozenset(c.strip() for c in clauses), frozenset(severities), cap, source)


def load_rules(directory: str | os.PathLike[str] | None = None) -> ScoringRules:
    """Load and check every rule file under `directory` (default: standards/scoring/)."""
    root = Path(directory) if directory is not None else SCORING_DIR
    if not root.is_dir():
        raise StandardsFileError(display_path(root), None, "", "scoring rule directory not found")
    files = sorted(p for p in root.glob("*.yaml") if p.name[0] not in "._")
    if not files:
        raise StandardsFileError(display_path(root), None, "", "no scoring rule files (*.yaml) found")
    rules: list[ScoringRule] = []
    for path in files:
        doc = read_yaml(path, display_path(path))
        rule = check_rule(doc, path.stem)
        for other in rules:
            if other.version == rule.version:
                raise doc.error(("version",), f"version {rule.version} is also given by another file")
        rules.append(rule)
    return ScoringRules(rules)
