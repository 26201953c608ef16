"""Every vector in standards/vectors/ through the Python engine, plus checks that the
vectors themselves cover what they must (both engines are judged by them)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from standards import EvaluationError, evaluate, load_standards

VECTOR_DIR = Path(__file__).resolve().parent.parent / "standards" / "vectors"
STANDARDS = load_standards()
STANDARD = STANDARDS.get("2026.1")   # by name, not today's: the tests hold on any date
SECOND = STANDARDS.get("2027.1")     # the operator's version: 2026.1 unchanged plus four categories
SECOND_DIR = VECTOR_DIR / "2027-01-01"  # vectors of the categories 2027.1 adds
ERROR_CODES = {
    "bad_case", "missing_category", "unknown_category", "bad_observations", "unknown_observation",
    "bad_type", "out_of_range", "bad_defects", "missing_damage_type", "unknown_damage_type",
    "unknown_damage_field", "bad_not_applicable", "unknown_clause",
}


def _load_vectors(directory: Path = VECTOR_DIR) -> list[tuple[str, dict[str, Any]]]:
    vectors = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                vector = json.loads(line)
                vectors.append((f"{path.stem}: {vector.get('name', f'line {number}')}", vector))
    return vectors


VECTORS = _load_vectors()
SECOND_VECTORS = _load_vectors(SECOND_DIR)


@pytest.mark.parametrize("vector", [v for _, v in VECTORS], ids=[name for name, _ in VECTORS])
def test_vector(vector: dict[str, Any]) -> None:
    if "expect_error" in vector:
        with pytest.raises(EvaluationError) as caught:
            evaluate(STANDARD, vector["case"])
        assert caught.value.code == vector["expect_error"], str(caught.value)
    else:
        assert evaluate(STANDARD, vector["case"]) == vector["expect"]


@pytest.mark.parametrize("vector", [v for _, v in VECTORS], ids=[name for name, _ in VECTORS])
def test_vector_through_export_json(vector: dict[str, Any]) -> None:
    """The engine judges the export document read back from JSON exactly as the Standard."""
    exported = json.loads(json.dumps(STANDARD.export()))
    if "expect_error" in vector:
        with pytest.raises(EvaluationError):
            evaluate(exported, vector["case"])
    else:
        assert evaluate(exported, vector["case"]) == vector["expect"]


def test_vector_files_are_well_formed() -> None:
    assert {p.stem for p in VECTOR_DIR.glob("*.jsonl")} == set(STANDARD.categories)
    for path in VECTOR_DIR.glob("*.jsonl"):
        names = []
        for line in path.read_text(encoding="utf-8").splitlines():
            vector = json.loads(line)
            names.append(vector["name"])
            assert set(vector) in ({"name", "case", "expect"}, {"name", "case", "expect_error"}), vector
            if "expect" in vector:
                assert vector["case"]["category"] == path.stem == vector["expect"]["category"]
                assert list(vector["expect"]["clauses"]) == [
                    c.id for c in STANDARD.category(path.stem).clauses
                ], vector["name"]
            else:
                assert vector["expect_error"] in ERROR_CODES
        assert len(names) == len(set(names)), f"duplicate vector names in {path.name}"


def test_vectors_cover_every_outcome_of_every_clause() -> None:
    seen: dict[str, set[str]] = {clause_id: set() for clause_id in STANDARD.clause_ids}
    for _, vector in VECTORS:
        for clause_id, result in vector.get("expect", {}).get("clauses", {}).items():
            seen[clause_id].add(result)
    for clause_id, results in seen.items():
        assert {"pass", "fail", "unknown", "n/a"} <= results, (clause_id, results)
    exemptable = {
        clause["id"]
        for category in STANDARD.document["categories"].values()
        for clause in category["clauses"]
        if "exempt_when" in clause
    }
    assert exemptable == {"HT-4", "TG-1", "PL-1", "SC-1", "SC-2", "SE-1", "SE-2"}
    for clause_id in exemptable:
        assert "exempt" in seen[clause_id], clause_id


def test_error_codes_are_the_documented_ones() -> None:
    doc = (VECTOR_DIR.parent.parent / "docs" / "standards-format.md").read_text(encoding="utf-8")
    section = doc.split("## Bad input", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", section, re.M)) == ERROR_CODES


def test_vectors_use_every_damage_type_and_error_code() -> None:
    used_types = {
        (name.split(":")[0], instance.get("type"))
        for name, vector in VECTORS
        for instance in (vector["case"].get("defects") or [] if isinstance(vector["case"], dict) else [])
        if isinstance(instance, dict) and "expect" in vector
    }
    for key, category in STANDARD.categories.items():
        for damage_type in category.damage_types:
            assert (key, damage_type) in used_types, (key, damage_type)
    assert {v["expect_error"] for _, v in VECTORS if "expect_error" in v} == ERROR_CODES


def _judge(standard: Any, vector: dict[str, Any]) -> None:
    if "expect_error" in vector:
        with pytest.raises(EvaluationError) as caught:
            evaluate(standard, vector["case"])
        assert caught.value.code == vector["expect_error"], str(caught.value)
    else:
        assert evaluate(standard, vector["case"]) == vector["expect"]


@pytest.mark.parametrize("vector", [v for _, v in VECTORS], ids=[name for name, _ in VECTORS])
def test_first_version_vectors_judge_the_same_under_the_second(vector: dict[str, Any]) -> None:
    """The categories and clauses of 2026.1 keep their ids and meaning in 2027.1."""
    _judge(SECOND, vector)


@pytest.mark.parametrize("vector", [v for _, v in SECOND_VECTORS], ids=[name for name, _ in SECOND_VECTORS])
def test_second_version_vector(vector: dict[str, Any]) -> None:
    _judge(SECOND, vector)
    _judge(json.loads(json.dumps(SECOND.export())), vector)


def test_second_version_adds_the_operators_categories_and_keeps_the_first() -> None:
    added = set(SECOND.categories) - set(STANDARD.categories)
    assert added == {"street_light", "railing", "play_equipment", "public_toilet"}
    assert SECOND.effective_from.isoformat() == "2027-01-01"
    for key, category in STANDARD.document["categories"].items():
        assert SECOND.document["categories"][key] == category, key
        assert "written_by" not in category
    for key in added:
        assert SECOND.document["categories"][key]["written_by"] == "operator"
    assert {p.stem for p in SECOND_DIR.glob("*.jsonl")} == added
    seen: dict[str, set[str]] = {c.id: set() for key in added for c in SECOND.category(key).clauses}
    for _, vector in SECOND_VECTORS:
        assert vector["case"]["category"] in added
        if "expect" in vector:
            assert list(vector["expect"]["clauses"]) == [c.id for c in SECOND.category(vector["case"]["category"]).clauses]
            for clause_id, result in vector["expect"]["clauses"].items():
                seen[clause_id].add(result)
    for clause_id, results in seen.items():
        assert {"pass", "fail", "unknown", "n/a"} <= results or {"pass", "fail", "unknown"} <= results, clause_id
    assert all("fail" in r and "pass" in r and "unknown" in r for r in seen.values())
