"""The phone's evaluator (web/static/standards.js) must agree with the Python engine.

Runs tests/js/run_vectors.mjs under node on the real export document and vectors, and on
the small hand-written fixture in tests/js/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "js" / "run_vectors.mjs"
FIXTURE_EXPORT = ROOT / "tests" / "js" / "fixture_export.json"
FIXTURE_VECTORS = ROOT / "tests" / "js" / "fixture_vectors"
NODE = shutil.which("node")

pytestmark = pytest.mark.usefixtures("node_required")

CLOSING = re.compile(r"^(\d+) passed, (\d+) failed$")


def run_vectors(export: Path, vectors: Path) -> tuple[subprocess.CompletedProcess[str], int, int]:
    """Run the node runner; return the process and the counts from its closing line."""
    assert NODE is not None
    proc = subprocess.run(
        [NODE, str(RUNNER), str(export), str(vectors)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = proc.stdout.strip().splitlines()
    match = CLOSING.match(lines[-1]) if lines else None
    assert match, f"no closing line:\n{proc.stdout}\n{proc.stderr}"
    return proc, int(match[1]), int(match[2])


def test_js_evaluator_agrees_with_the_python_vectors(tmp_path: Path) -> None:
    exported = subprocess.run(
        [sys.executable, "-m", "standards", "export", "--version", "2026.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    export = tmp_path / "export.json"
    export.write_text(exported.stdout, encoding="utf-8")

    proc, passed, failed = run_vectors(export, ROOT / "standards" / "vectors")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert passed > 0 and failed == 0, proc.stdout


def test_js_evaluator_agrees_on_the_second_version(tmp_path: Path) -> None:
    """2027.1 (the operator's version): its own vectors, and every vector of 2026.1 unchanged."""
    exported = subprocess.run(
        [sys.executable, "-m", "standards", "export", "--version", "2027.1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    export = tmp_path / "export-2027.json"
    export.write_text(exported.stdout, encoding="utf-8")
    for vectors in (ROOT / "standards" / "vectors" / "2027-01-01", ROOT / "standards" / "vectors"):
        proc, passed, failed = run_vectors(export, vectors)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert passed > 0 and failed == 0, proc.stdout


def test_js_evaluator_passes_its_own_fixture() -> None:
    proc, passed, failed = run_vectors(FIXTURE_EXPORT, FIXTURE_VECTORS)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert passed > 0 and failed == 0, proc.stdout


def test_runner_reports_a_wrong_vector_and_an_empty_directory(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    vector = {
        "name": "deliberately wrong: one third plus a bit cannot pass",
        "case": {"category": "green_space", "observations": {"dead_foliage_pct": 33.34}},
        "expect": {
            "category": "green_space",
            "compliant": None,
            "clauses": {"GS-1": "pass", "GS-6": "unknown", "GS-7": "unknown"},
        },
    }
    wrong_error = {"name": "deliberately wrong code", "case": {}, "expect_error": "bad_case"}
    (wrong / "green_space.jsonl").write_text(
        json.dumps(vector) + "\n" + json.dumps(wrong_error) + "\n", encoding="utf-8"
    )
    proc, passed, failed = run_vectors(FIXTURE_EXPORT, wrong)
    assert proc.returncode != 0
    assert (passed, failed) == (0, 2)
    assert "deliberately wrong: one third" in proc.stdout
    assert "missing_category" in proc.stdout

    empty = tmp_path / "empty"
    empty.mkdir()
    proc, passed, failed = run_vectors(FIXTURE_EXPORT, empty)
    assert proc.returncode != 0
    assert (passed, failed) == (0, 0)


def test_form_helpers(tmp_path: Path) -> None:
    """judgeClause and validateObservation, as the inspection form calls them."""
    script = tmp_path / "helpers.mjs"
    module = (ROOT / "web" / "static" / "standards.js").as_uri()
    script.write_text(
        f"""
import {{ readFileSync }} from "node:fs";
import {{ judgeClause, validateObservation, validateDefect, EvaluationError }} from "{module}";
const doc = JSON.parse(readFileSync({json.dumps(str(FIXTURE_EXPORT))}, "utf8"));
const gs = doc.categories.green_space;
const codeOf = (e) => (e === null ? null : e.code);
let clauseError = null;
try {{ judgeClause(doc, "green_space", "GS-9"); }} catch (e) {{ clauseError = e; }}
console.log(JSON.stringify({{
  pass: judgeClause(doc, "green_space", "GS-1", {{dead_foliage_pct: 20}}),
  exempt: judgeClause(doc, "seating", "SE-2", {{missing_pct: 11, usable: true,
                                               minor_damage_no_hazard: true}}),
  na: judgeClause(doc, "seating", "SE-2", {{}}, [], ["SE-2"]),
  area: judgeClause(doc, "road_asphalt", "RA-1", {{}}, [{{type: "pumping", area_m2: 1.2}}]),
  clauseError: [clauseError instanceof EvaluationError, codeOf(clauseError)],
  ok: validateObservation(gs, "dead_foliage_pct", 50),
  missing: validateObservation(gs, "dead_foliage_pct", null),
  range: codeOf(validateObservation(gs, "dead_foliage_pct", 101)),
  bool: codeOf(validateObservation(gs, "dead_foliage_pct", false)),
  nan: codeOf(validateObservation(gs, "dead_foliage_pct", NaN)),
  flag: codeOf(validateObservation(gs, "sign_usable", "yes")),
  proto: codeOf(validateObservation(gs, "__proto__", 1)),
  field: validateObservation(gs, "dead_foliage_pct", 101).field,
  zh: validateObservation(gs, "dead_foliage_pct", 101).messages.zh.length > 0,
  defect: codeOf(validateDefect(doc.categories.road_asphalt, {{type: "pothole", depth_mm: -1}}, 2)),
  defectField: validateDefect(doc.categories.road_asphalt, {{type: "pothole", depth_mm: -1}}, 2).field,
}}));
""",
        encoding="utf-8",
    )
    assert NODE is not None
    proc = subprocess.run([NODE, str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {
        "pass": "pass",
        "exempt": "exempt",
        "na": "n/a",
        "area": "fail",
        "clauseError": [True, "unknown_clause"],
        "ok": None,
        "missing": None,
        "range": "out_of_range",
        "bool": "bad_type",
        "nan": "bad_type",
        "flag": "bad_type",
        "proto": "unknown_observation",
        "field": "observations.dead_foliage_pct",
        "zh": True,
        "defect": "out_of_range",
        "defectField": "defects[2].depth_mm",
    }
