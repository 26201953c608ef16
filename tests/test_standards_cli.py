"""`python -m standards` run as a real subprocess, the way other tools call it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "standards" / "data"


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "standards", *args], input=stdin, cwd=REPO,
        capture_output=True, timeout=60, check=False,
    )


def lines_of(result: subprocess.CompletedProcess[bytes]) -> list[dict]:
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


def test_evaluate_answers_each_line_in_order_and_goes_on_after_bad_ones() -> None:
    cases = [
        json.dumps({"category": "road_asphalt", "defects": [{"type": "pothole", "depth_mm": 25, "area_m2": 0.4}]}),
        "",  # blank lines get no answer
        json.dumps({"category": "sculpture", "observations": {"tilt_deg": 95}}),
        '{"category": "seating", "observations": {',  # malformed JSON
        json.dumps({"category": "tree_guard", "observations": {"damage_pct": 30, "usable": True}}),
        '{"category": "tree_guard", "observations": {"damage_pct": NaN}}',
        "   ",
        json.dumps({"category": "heritage_tree", "observations": {"guard_damage_pct": 30}}, ensure_ascii=False),
    ]
    result = run("evaluate", stdin=("\n".join(cases) + "\n").encode("utf-8"))
    assert result.returncode == 0, result.stderr
    out = lines_of(result)
    assert len(out) == 6
    assert out[0] == {"category": "road_asphalt", "compliant": True, "clauses": {"RA-1": "pass"}}
    assert list(out[1]) == ["error"] and "observations.tilt_deg" in out[1]["error"]
    assert list(out[2]) == ["error"] and "JSON" in out[2]["error"]
    assert out[3] == {"category": "tree_guard", "compliant": False, "clauses": {"TG-1": "fail"}}
    assert list(out[4]) == ["error"]
    assert out[5]["clauses"]["HT-4"] == "pass"


def test_evaluate_reports_every_kind_of_bad_line() -> None:
    bad = [
        b"[1, 2]",
        b'{"category": "lawn"}',
        b'{"observations": {}}',
        b'{"category": "sidewalk", "defects": [{"type": "pit", "depth_mm": -3, "area_m2": 1}]}',
        b'\xff\xfe not utf-8',
        b'"just a string"',
    ]
    result = run("evaluate", stdin=b"\n".join(bad))  # last line without a newline
    assert result.returncode == 0
    out = lines_of(result)
    assert len(out) == len(bad)
    assert all(list(line) == ["error"] and line["error"] for line in out)
    assert "category" in out[1]["error"] and "lawn" in out[1]["error"]
    assert "defects[0].depth_mm" in out[3]["error"]


def test_evaluate_picks_version_by_name_or_date() -> None:
    case = b'{"category": "planter", "observations": {"placement_hazard": true}}\n'
    for args in (("--version", "2026.1"), ("--date", "2026-06-30"), ()):
        result = run("evaluate", *args, stdin=case)
        assert result.returncode == 0, result.stderr
        assert lines_of(result)[0]["clauses"]["PL-2"] == "fail"


def test_no_version_in_force_is_an_error() -> None:
    result = run("evaluate", "--date", "2025-12-31", stdin=b"{}\n")
    assert result.returncode == 1
    assert b"2025-12-31" in result.stderr
    result = run("export", "--version", "1999.9")
    assert result.returncode == 1 and b"1999.9" in result.stderr


def test_export_prints_the_export_document() -> None:
    result = run("export", "--version", "2026.1")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout.decode("utf-8"))
    assert doc["version"] == "2026.1"
    assert doc["effective_from"] == "2026-01-01"
    assert list(doc["categories"])[:2] == ["green_space", "heritage_tree"]
    gs1 = doc["categories"]["green_space"]["clauses"][0]
    assert gs1["pass_when"]["value"] == 100 / 3
    assert "枯枝枯叶" in result.stdout.decode("utf-8")  # not \u-escaped


def test_check_summarises_each_category() -> None:
    result = run("check")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("utf-8")
    for key in ("green_space", "heritage_tree", "tree_guard", "planter", "road_asphalt",
                "road_concrete", "sidewalk", "sculpture", "seating"):
        # once per version: 2026.1 and 2027.1 (which keeps them all)
        assert sum(line.strip().startswith(f"{key}:") for line in text.splitlines()) == 2
    for key in ("street_light", "railing", "play_equipment", "public_toilet"):
        assert sum(line.strip().startswith(f"{key}:") for line in text.splitlines()) == 1


def test_check_fails_on_a_broken_data_set(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "data")
    target = tmp_path / "data" / "2026-01-01" / "sculpture.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace('op: "<=", value: 10}', 'op: "=<", value: 10}', 1),
                      encoding="utf-8")
    result = run("check", "--dir", str(tmp_path / "data"))
    assert result.returncode == 1
    message = result.stderr.decode("utf-8")
    assert "sculpture.yaml:" in message and "pass_when.op" in message and "'=<'" in message
    assert result.stdout == b""
