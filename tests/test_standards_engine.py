"""The Python engine beyond the shared vectors: things JSON lines cannot express
(NaN, infinity, Python's bool-is-int), the error object, purity and output shape."""

from __future__ import annotations

import copy
import json

import pytest

from standards import EvaluationError, evaluate, load_standards
from standards.engine import quantise

STANDARD = load_standards().current()


def _error(case: object) -> EvaluationError:
    with pytest.raises(EvaluationError) as caught:
        evaluate(STANDARD, case)
    return caught.value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 10**400, True, False, "5", [5]])
def test_non_numbers_are_refused_for_numbers(value: object) -> None:
    error = _error({"category": "tree_guard", "observations": {"damage_pct": value}})
    assert error.code == "bad_type"
    assert error.field == "observations.damage_pct"


@pytest.mark.parametrize("value", [0, 1, 1.0, "true", [True]])
def test_non_booleans_are_refused_for_flags(value: object) -> None:
    error = _error({"category": "tree_guard", "observations": {"usable": value}})
    assert error.code == "bad_type"


def test_nan_in_a_damage_field_is_refused() -> None:
    error = _error({"category": "road_asphalt", "defects": [{"type": "pumping", "area_m2": float("nan")}]})
    assert (error.code, error.field) == ("bad_type", "defects[0].area_m2")


def test_error_carries_code_field_and_both_languages() -> None:
    error = _error({"category": "sculpture", "observations": {"tilt_deg": 95}})
    assert error.code == "out_of_range"
    assert error.field == "observations.tilt_deg"
    assert set(error.messages) == {"en", "zh"}
    assert str(error) == error.messages["en"]
    assert "observations.tilt_deg" in str(error) and "95" in str(error) and "90" in str(error)
    assert "observations.tilt_deg" in error.messages["zh"]
    assert isinstance(error, ValueError)
    assert error.as_dict()["code"] == "out_of_range"


@pytest.mark.parametrize(
    ("case", "code", "field"),
    [
        ("not a case", "bad_case", ""),
        ({"category": "seating", "note": 1}, "bad_case", "note"),
        ({}, "missing_category", "category"),
        ({"category": "bench"}, "unknown_category", "category"),
        ({"category": "seating", "observations": 3}, "bad_observations", "observations"),
        ({"category": "seating", "observations": {"x": 1}}, "unknown_observation", "observations.x"),
        ({"category": "sidewalk", "defects": [{"type": "pit", "area_m2": 1}, 4]}, "bad_defects", "defects[1]"),
        ({"category": "sidewalk", "defects": [{"area_m2": 1}]}, "missing_damage_type", "defects[0].type"),
        ({"category": "sidewalk", "defects": [{"type": "hole"}]}, "unknown_damage_type", "defects[0].type"),
        ({"category": "sidewalk", "defects": [{"type": "pit", "rise_mm": 3}]}, "unknown_damage_field", "defects[0].rise_mm"),
        ({"category": "sidewalk", "not_applicable": ["SW-1", 2]}, "bad_not_applicable", "not_applicable[1]"),
        ({"category": "sidewalk", "not_applicable": ["SW-3"]}, "unknown_clause", "not_applicable[0]"),
    ],
)
def test_error_fields(case: object, code: str, field: str) -> None:
    error = _error(case)
    assert (error.code, error.field) == (code, field)
    if field:
        assert field in str(error)


def test_first_fault_wins_in_table_order() -> None:
    case = {"category": "seating", "observations": {"rust_pct": 200}, "not_applicable": ["XX-1"]}
    assert _error(case).code == "out_of_range"
    case = {"category": "seating", "observations": {"rust_pct": "a", "nope": 1}}
    assert _error(case).code == "bad_type"


def test_output_shape_and_clause_order() -> None:
    result = evaluate(STANDARD, {"category": "green_space", "observations": {}})
    assert list(result) == ["category", "compliant", "clauses"]
    assert list(result["clauses"]) == [f"GS-{i}" for i in range(1, 9)]
    assert result["compliant"] is None


def test_evaluate_does_not_change_its_inputs() -> None:
    case = {"category": "road_asphalt", "defects": [{"type": "pothole", "depth_mm": None, "area_m2": 0.5}],
            "not_applicable": []}
    before_case = copy.deepcopy(case)
    before_doc = json.dumps(STANDARD.document)
    evaluate(STANDARD, case)
    assert case == before_case
    assert json.dumps(STANDARD.document) == before_doc


def test_same_case_same_answer() -> None:
    case = {"category": "sculpture", "observations": {"damage_pct": 12, "minor_damage_no_hazard": True}}
    assert evaluate(STANDARD, case) == evaluate(STANDARD, case)


def test_integer_and_float_values_judge_alike() -> None:
    as_int = evaluate(STANDARD, {"category": "planter", "observations": {"damage_pct": 10}})
    as_float = evaluate(STANDARD, {"category": "planter", "observations": {"damage_pct": 10.0}})
    assert as_int == as_float
    # usable is unknown, but 10 < 10 is already false: Kleene "all" is false.
    assert as_int["clauses"]["PL-1"] == "fail"


def test_quantise() -> None:
    assert 0.56 + 0.34 + 0.1 > 1  # why the sum is quantised at all
    assert quantise(0.56 + 0.34 + 0.1) == 1
    assert quantise(0.1 + 0.2 + 0.7) == 1
    assert quantise(1.0000004) == 1
    assert quantise(1.000001) > 1
