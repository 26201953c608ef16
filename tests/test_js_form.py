"""Pure helpers of the inspector pages (body building, live judging, distances, scans, likely
duplicates) under node.

Runs tests/js/form_logic.test.mjs, tests/js/duplicates.test.mjs, tests/js/sync_batches.test.mjs and tests/js/standards_pick.test.mjs
(how the outbox is cut into batches) with node's test runner
against the real standards export document, in two time zones so the observed_at offset is
checked both ways.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import standards

ROOT = Path(__file__).resolve().parent.parent
TESTS = [ROOT / "tests" / "js" / name for name in ("form_logic.test.mjs", "duplicates.test.mjs", "sync_batches.test.mjs", "standards_pick.test.mjs")]
NODE = shutil.which("node")

pytestmark = pytest.mark.usefixtures("node_required")


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/St_Johns"])
def test_form_helpers_under_node(tmp_path: Path, zone: str) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps(standards.load_standards().current().document, ensure_ascii=False), encoding="utf-8")
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "--test", "--test-reporter=tap", *map(str, TESTS)],
        cwd=ROOT,
        env={**os.environ, "STANDARDS_EXPORT": str(export), "TZ": zone},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout
    assert "# pass 0" not in proc.stdout  # a run that ran nothing is not a pass
