"""What GET /api/scores answers (dataclasses, so the OpenAPI schema shows every field)."""

from __future__ import annotations

from dataclasses import dataclass

from server.scoring.figures import Figures, ScopeCounts
from server.scoring.service import MonthReport


@dataclass(frozen=True)
class ScoreOut(ScopeCounts):
    """One scope's month. Ratios are 0–1 (null when undefined); counts are what they are made of."""

    coverage: float | None
    compliance: float | None
    clause_pass_rate: float | None
    timeliness: float
    score: float | None
    payment_pct: float | None
    notes: list[str]
    band_payment_pct: float | None   # the band's payment when the safety veto lowered it, else null
    vetoed_by: list[list[str]]       # [defect id, clause id, severity, due time] of each vetoing defect


@dataclass
class BandOut:
    min_score: float
    payment_pct: float


@dataclass
class VetoOut:
    clauses: list[str]
    severities: list[str]
    max_payment_pct: float
    source: dict[str, str]


@dataclass
class RuleOut:
    version: str
    effective_from: str
    weights: dict[str, float]
    bands: list[BandOut]
    origin: str                      # "operator": the weights and bands are the operator's defaults
    veto: VetoOut | None


@dataclass
class MonthScores:
    """A month of one site: status is closed (frozen), final (over, not closed) or provisional."""

    site: str
    month: str
    timezone: str
    status: str
    closed_at: str | None
    standards_version: str | None
    scoring_version: str
    rule: RuleOut
    scores: list[ScoreOut]


def month_scores(report: MonthReport, figures: list[Figures]) -> MonthScores:
    doc = report.to_json()
    rule = doc["rule"]
    return MonthScores(
        site=doc["site"], month=doc["month"], timezone=doc["timezone"], status=doc["status"],
        closed_at=doc["closed_at"], standards_version=doc["standards_version"],
        scoring_version=doc["scoring_version"],
        rule=RuleOut(rule["version"], rule["effective_from"], rule["weights"],
                     [BandOut(**b) for b in rule["bands"]], rule["origin"],
                     VetoOut(**rule["veto"]) if rule["veto"] else None),
        scores=[ScoreOut(**f.to_json()) for f in figures],
    )
