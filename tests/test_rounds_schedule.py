"""Schedules and due lists (server/rounds/due.py) and the phone's copy (web/static/js/rounds-logic.js).

The vectors in tests/rounds_vectors/ carry hand-worked answers for every schedule kind
across month ends, leap February and the Shanghai/UTC day boundary; the clock is frozen in
each (its `now`). Python and JavaScript must both give them, and must agree with each other
on a large random zone too (the walking route included).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.rounds.due import due_list, round_on, rounds_between, walking_order

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "rounds_vectors"
RUNNER = ROOT / "tests" / "js" / "run_rounds_vectors.mjs"
NODE = shutil.which("node")
needs_node = pytest.mark.usefixtures("node_required")  # no node fails these, never skips them


def _vectors() -> list[dict[str, Any]]:
    out = []
    for path in sorted(VECTORS.glob("*.jsonl")):
        out += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def summarise(got: dict[str, Any]) -> dict[str, Any]:
    return {"today": got["today"], "counts": got["counts"],
            "items": [[i["code"], i["state"], i["due_on"], i["round_ends"], i["emergency_id"]] for i in got["items"]]}


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"][:60])
def test_python_gives_every_vector(vector: dict[str, Any]) -> None:
    assert summarise(due_list(vector["input"])) == vector["expect"]


def test_the_vectors_cover_every_kind_and_the_day_boundary() -> None:
    vectors = _vectors()
    kinds = {s["kind"] for v in vectors for s in v["input"]["schedules"]}
    assert kinds == {"every_days", "weekdays", "monthly", "off"}
    # Some `now` falls after 16:00 UTC: the next day in Shanghai.
    assert any(v["input"]["now"][11:13] >= "16" for v in vectors)
    assert any(v["input"]["emergencies"] for v in vectors)


def _node(*args: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run([NODE, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


@needs_node
def test_javascript_gives_every_vector() -> None:
    proc = _node(str(RUNNER), str(VECTORS))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == f"{len(_vectors())} passed, 0 failed"


@needs_node
def test_javascript_runner_reports_a_wrong_vector(tmp_path: Path) -> None:
    vector = _vectors()[0]
    vector["expect"]["counts"]["left"] += 1
    (tmp_path / "wrong.jsonl").write_text(json.dumps(vector) + "\n", encoding="utf-8")
    proc = _node(str(RUNNER), str(tmp_path))
    assert proc.returncode != 0
    assert "0 passed, 1 failed" in proc.stdout


def _random_zone(seed: int, n: int) -> dict[str, Any]:
    rng = random.Random(seed)
    zone = "11111111-1111-4111-8111-111111111111"
    cats = ["seating", "planter", "green_space"]
    assets = [{"id": f"a{i}", "zone_id": zone, "category": rng.choice(cats), "code": f"Z-{i:05d}",
               "lat": 32.1 + rng.random() * 0.01, "lon": 118.7 + rng.random() * 0.012} for i in range(n)]
    # Some on exactly the same spot: ties broken by code on both sides.
    for i in range(0, n, 50):
        assets[i]["lat"], assets[i]["lon"] = assets[i + 1]["lat"], assets[i + 1]["lon"]
    start = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    inspections = [{"asset_id": f"a{rng.randrange(n)}",
                    "observed_at": (start + dt.timedelta(minutes=rng.randrange(16 * 24 * 60))).isoformat()}
                   for _ in range(n)]
    return {
        "now": "2026-12-01T16:30:00Z", "timezone": "Asia/Shanghai", "position": {"lat": 32.105, "lon": 118.706},
        "schedules": [
            {"id": "s1", "zone_id": zone, "category": "seating", "kind": "every_days", "every_days": 3,
             "effective_from": "2026-11-02", "window": None},
            {"id": "s2", "zone_id": zone, "category": "planter", "kind": "weekdays", "weekdays": [2, 5],
             "effective_from": "2026-11-02", "window": {"from": "07:00", "to": "18:00"}},
            {"id": "s3", "zone_id": zone, "category": "green_space", "kind": "monthly", "day_of_month": 31,
             "effective_from": "2026-01-01", "window": None},
        ],
        "emergencies": [{"id": "e1", "zone_ids": [zone], "categories": ["green_space"],
                         "started_at": "2026-12-01T10:00:00Z", "due_at": "2026-12-02T10:00:00Z"}],
        "assets": assets, "inspections": inspections,
    }


@needs_node
@pytest.mark.parametrize("seed", [1, 2])
def test_python_and_javascript_agree_on_a_big_random_zone(seed: int, tmp_path: Path) -> None:
    data = _random_zone(seed, 1500)
    case = tmp_path / "case.json"
    case.write_text(json.dumps(data), encoding="utf-8")
    module = (ROOT / "web" / "static" / "js" / "rounds-logic.js").as_uri()
    script = tmp_path / "run.mjs"
    script.write_text(f"""
import {{ readFileSync }} from "node:fs";
import {{ dueList }} from "{module}";
console.log(JSON.stringify(dueList(JSON.parse(readFileSync({json.dumps(str(case))}, "utf8")))));
""", encoding="utf-8")
    proc = _node(str(script))
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    expected = due_list(data)
    assert expected["counts"]["left"] > 100
    assert got == expected


def _brute_force(pairs: list[Any], start: dict[str, float]) -> list[str]:
    """Nearest neighbour the slow way, on the same projected centimetres."""
    from server.rounds.due import _project
    import math

    pairs = sorted(pairs, key=lambda p: p[0]["code"])
    cos0 = math.cos(start["lat"] * math.pi / 180)
    pts = [_project(a["lat"], a["lon"], start["lat"], start["lon"], cos0) for _, a in pairs]
    here, left, out = (0.0, 0.0), set(range(len(pairs))), []
    while left:
        best = min(left, key=lambda i: ((pts[i][0] - here[0]) ** 2 + (pts[i][1] - here[1]) ** 2, i))
        left.discard(best)
        out.append(pairs[best][0]["code"])
        here = pts[best]
    return out


def test_the_grid_route_is_exactly_nearest_neighbour() -> None:
    data = _random_zone(7, 800)
    pairs = [({"code": a["code"]}, a) for a in data["assets"]]
    route, _ = walking_order(pairs, data["position"])
    assert [i["code"] for i in route] == _brute_force(pairs, data["position"])
    far = {"lat": 32.3, "lon": 118.9}  # standing far outside the zone
    assert [i["code"] for i in walking_order(pairs, far)[0]] == _brute_force(pairs, far)


def test_rounds_between_lists_each_ended_round_once_cut_at_versions() -> None:
    versions = [
        {"id": "v1", "kind": "every_days", "every_days": 7, "effective_from": "2026-11-01"},
        {"id": "v2", "kind": "monthly", "day_of_month": 31, "effective_from": "2026-11-20"},
    ]
    got = [(v["id"], a.isoformat(), b.isoformat())
           for v, a, b in rounds_between(versions, dt.date(2026, 11, 1), dt.date(2027, 3, 5))]
    assert got == [
        ("v1", "2026-11-01", "2026-11-07"), ("v1", "2026-11-08", "2026-11-14"),
        ("v1", "2026-11-15", "2026-11-19"),  # cut: v2 takes effect on the 20th
        ("v2", "2026-11-30", "2026-12-30"), ("v2", "2026-12-31", "2027-01-30"),
        ("v2", "2027-01-31", "2027-02-27"),  # the round of 28 February ends on 30 March: not yet
    ]


def test_round_on_month_end_rules() -> None:
    monthly = {"kind": "monthly", "day_of_month": 31, "effective_from": "2024-01-01"}
    assert round_on(monthly, dt.date(2024, 2, 29)) == (dt.date(2024, 2, 29), dt.date(2024, 3, 31))
    assert round_on(monthly, dt.date(2024, 2, 28)) == (dt.date(2024, 1, 31), dt.date(2024, 2, 29))
    assert round_on(monthly, dt.date(2024, 12, 31)) == (dt.date(2024, 12, 31), dt.date(2025, 1, 31))
    weekly = {"kind": "weekdays", "weekdays": [6], "effective_from": "2024-01-01"}
    assert round_on(weekly, dt.date(2024, 3, 1)) == (dt.date(2024, 2, 24), dt.date(2024, 3, 2))
