"""The scoring rule file: validated at load, bad data stops start-up naming file and key."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest

from server.scoring.figures import AssetRow, OrderRow, Ref, figures_for, round_score, score_of
from server.scoring.rules import SCORING_DIR, NoRuleInForce, load_rules
from standards import StandardsFileError

GOOD = (SCORING_DIR / "2026-01-01.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "2026-01-01.yaml") -> Path:
    folder = tmp_path / "scoring"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_rule_is_the_default_of_the_issue() -> None:
    rule = load_rules().for_date(dt.date(2026, 10, 1))
    assert rule.version == "2026.1" and rule.effective_from == dt.date(2026, 1, 1)
    assert rule.weights == {"compliance": Fraction(3, 5), "timeliness": Fraction(1, 4), "coverage": Fraction(3, 20)}
    assert [(b.min_score, b.payment_pct) for b in rule.bands] == [(95, 100), (85, 95), (75, 90), (60, 80), (0, 70)]
    with pytest.raises(NoRuleInForce):
        load_rules().for_date(dt.date(2025, 12, 31))


@pytest.mark.parametrize(("old", "new", "line", "key", "detail"), [
    ("  coverage: 0.15", "  coverage: 0.20", 10, "weights", "must add up to 1"),
    ("  coverage: 0.15", "  coverage: 0.15\n  speed: 0", 14, "weights.speed", "unknown key 'speed'"),
    ("weights:", "colour: green\nweights:", 10, "colour", "unknown key 'colour'"),
    ("  - {min_score: 75, payment_pct: 90}", "  - {min_score: 88, payment_pct: 90}", 19, "bands[2].min_score",
     "highest min_score down"),
    ("  - {min_score: 60, payment_pct: 80}", "  - {min_score: 60, payment_pct: 99}", 20, "bands[3].payment_pct",
     "cannot pay more"),
    ("  - {min_score: 0, payment_pct: 70}", "  - {min_score: 10, payment_pct: 70}", 21, "bands[4].min_score",
     "must start at 0"),
    ("  compliance: 0.60", "  compliance: yes", 11, "weights.compliance", "must be a number"),
    ("  compliance: 0.60", "  compliance: 1.60", 11, "weights.compliance", "outside 0–1"),
    ("effective_from: 2026-01-01", "effective_from: 2026-02-01", 4, "effective_from", "does not match the file name"),
    ("  timeliness: 0.25", "  timeliness: 0.25\n  timeliness: 0.25", 13, "weights.timeliness", "duplicate key"),
    ("  - {min_score: 60, payment_pct: 80}", "  - {min_score: 60}", 20, "bands[3]", "missing key 'payment_pct'"),
])
def test_bad_rule_files_are_refused_naming_file_line_and_key(tmp_path: Path, old: str, new: str, line: int,
                                                             key: str, detail: str) -> None:
    assert old in GOOD
    folder = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(StandardsFileError) as refused:
        load_rules(folder)
    error = refused.value
    assert error.path.endswith("scoring/2026-01-01.yaml"), error.path
    assert (error.line, error.key) == (line, key), str(error)
    assert detail in error.detail, str(error)


def test_two_versions_are_chosen_by_the_first_day_of_the_month(tmp_path: Path) -> None:
    folder = write(tmp_path, GOOD)
    newer = GOOD.replace('version: "2026.1"', 'version: "2026.2"').replace("2026-01-01", "2026-07-15")
    write(tmp_path, newer.replace("compliance: 0.60", "compliance: 0.50").replace("coverage: 0.15", "coverage: 0.25"),
          "2026-07-15.yaml")
    rules = load_rules(folder)
    assert rules.for_date(dt.date(2026, 7, 1)).version == "2026.1"   # July began under 2026.1
    assert rules.for_date(dt.date(2026, 8, 1)).version == "2026.2"
    write(tmp_path, newer.replace('"2026.2"', '"2026.1"'), "2026-07-15.yaml")
    with pytest.raises(StandardsFileError, match="version 2026.1 is also given"):
        load_rules(folder)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StandardsFileError, match="no scoring rule files"):
        load_rules(tmp_path)


def test_bad_scoring_data_stops_the_app_at_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server import app as app_module
    from server.scoring import rules as rules_module

    folder = write(tmp_path, GOOD.replace("  coverage: 0.15", "  coverage: 0.30"))
    monkeypatch.setattr(rules_module, "SCORING_DIR", folder)
    with pytest.raises(StandardsFileError) as refused:
        app_module.create_app()
    assert "2026-01-01.yaml:10: weights: the weights must add up to 1" in str(refused.value)


def test_score_rounds_half_up_exactly() -> None:
    rule = load_rules().for_date(dt.date(2026, 3, 1))
    assert round_score(Fraction(6625, 100)) == Fraction(663, 10)
    assert round_score(Fraction(6624, 100)) == Fraction(662, 10)
    assert score_of(rule, Fraction(2, 3), Fraction(3, 5), Fraction(3, 4)) == Fraction(663, 10)
    assert score_of(rule, Fraction(1), Fraction(1), Fraction(1)) == 100
    assert rule.band_for(Fraction(95)).payment_pct == 100 and rule.band_for(Fraction(949, 10)).payment_pct == 95
    assert rule.band_for(Fraction(0)).payment_pct == 70 and rule.band_for(Fraction(60)).payment_pct == 80


def test_figures_of_plain_rows_without_a_database() -> None:
    rule = load_rules().for_date(dt.date(2026, 3, 1))
    now = dt.datetime(2026, 4, 2, tzinfo=dt.timezone.utc)
    due = dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc)
    assets = [AssetRow("a", "z", "seating", 2, "i1", "compliant", 5, 0, 0),
              AssetRow("b", "z", "seating", 1, "i2", "undetermined", 3, 0, 0),
              AssetRow("c", "z", "seating")]
    orders = [OrderRow("o1", "c", "verified", due, due - dt.timedelta(hours=1)),
              OrderRow("o2", "c", "returned", due, None),
              OrderRow("o3", "c", "cancelled", due, None)]
    f = figures_for(Ref("zone", "Z", "区", "Zone", "z"), assets, orders, rule, now)
    assert (f.coverage, f.compliance, f.timeliness) == (Fraction(2, 3), Fraction(1, 2), Fraction(1, 2))
    # 100 × (0.6 × 1/2 + 0.25 × 1/2 + 0.15 × 2/3) = 30 + 12.5 + 10
    assert f.score == Fraction(525, 10) and f.payment_pct == 70 and f.orders_cancelled == 1
