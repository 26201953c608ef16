"""The date sweep: the date-sensitive tests with the clock set to awkward moments.

    .venv/bin/python -m tests.date_sweep                 # every moment, SQLite
    .venv/bin/python -m tests.date_sweep --backend postgresql --moment "2028-02-29 12:00 +0800"
    .venv/bin/python -m tests.date_sweep -- -k scoring   # extra pytest arguments after --

Each run is pytest under Debian's `faketime` with a relative offset (`faketime -f +Ns`), so
every process of the run — the pytest workers, the live server, Chromium — sees the same
moment and time still passes as usual. A test that only passes on some days fails here.
PostgreSQL's own clock is not moved: the app never asks the database for the time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Shanghai is UTC+8: 00:30 there on the 1st is still the last day of the month in UTC.
MOMENTS = (
    "2027-12-31 23:30 +0800",  # the last day of a month (and of a year), late evening in Shanghai
    "2028-01-01 00:30 +0800",  # 1 January in Shanghai, still 31 December in UTC
    "2028-02-29 12:00 +0800",  # a leap day
    "2028-03-01 00:30 +0800",  # the day after a leap day in Shanghai, 29 February in UTC
    "2029-06-30 23:30 +0800",  # more than a year after the standards' effective date
)

# Every test file that touches the demo, months, due dates, overdue marking, scoring,
# notifications or the offline bundle (tests that only parse or hash are left out).
TESTS = (
    "tests/test_demo.py",
    "tests/test_demo_accounts.py",
    "tests/test_cli.py",
    "tests/test_defect_map.py",
    "tests/test_inspector_pages.py",
    "tests/test_offline_bundle.py",
    "tests/test_scoring_example.py",
    "tests/test_scoring_report.py",
    "tests/test_scoring_rules.py",
    "tests/test_scoring_service.py",
    "tests/test_scoring_web.py",
    "tests/test_standards_api.py",
    "tests/test_standards_loader.py",
    "tests/test_sync_records.py",
    "tests/test_sync_validation.py",
    "tests/test_webhooks.py",
    "tests/test_workorders_completion.py",
    "tests/test_workorders_lifecycle.py",
    "tests/test_workorders_notifications.py",
    "tests/test_workorders_pages.py",
    "tests/test_workorders_sync.py",
    "tests/test_hazards.py",  # hazards: due times, the month score
    "tests/test_rounds_schedule.py",
    "tests/test_standards_install.py",  # operator versions: install dates against a set clock
    "tests/test_rounds_api.py",
    "tests/test_api_schema.py",
    "tests/browser/test_duplicates.py",
    "tests/browser/test_inspection_form.py",
    "tests/browser/test_offline_core.py",
    "tests/browser/test_hazard_offline.py",
    "tests/browser/test_operator_version.py",  # its server and phone clocks are its own
    "tests/browser/test_veto_band.py",
    "tests/browser/test_online_photo.py",
    "tests/browser/test_supervisor_flow.py",
    "tests/browser/test_rounds.py",
)


def offset_seconds(moment: str, now: float | None = None) -> int:
    """Seconds from now to `moment` ("YYYY-MM-DD HH:MM +HHMM")."""
    target = dt.datetime.strptime(moment, "%Y-%m-%d %H:%M %z")
    return round(target.timestamp() - (time.time() if now is None else now))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.date_sweep", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--moment", action="append", help='"YYYY-MM-DD HH:MM +HHMM" (default: all of MOMENTS)')
    parser.add_argument("--workers", default="2", help="pytest-xdist workers (default 2)")
    parser.add_argument("--no-browser", action="store_true", help="leave out the Chromium tests")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments (default: the sweep's files)")
    args = parser.parse_args(argv)
    if shutil.which("faketime") is None:
        print("date sweep: faketime is missing (apt-get install faketime; `make test-deps` does it)", file=sys.stderr)
        return 2
    env = {**os.environ, "FIELDCHECK_TEST_DB": args.backend}
    timings: list[tuple[str, float, int]] = []
    for moment in args.moment or MOMENTS:
        command = ["faketime", "-f", f"+{offset_seconds(moment)}s", sys.executable, "-m", "pytest", "-q",
                   "-p", "no:cacheprovider", "-n", args.workers,
                   *(["-m", "not browser"] if args.no_browser else []), *(args.pytest_args or TESTS)]
        print(f"== {moment} ({args.backend})", flush=True)
        started = time.monotonic()
        code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
        timings.append((moment, time.monotonic() - started, code))
    print("\ndate sweep:")
    for moment, took, code in timings:
        print(f"  {moment}  {args.backend:<10}  {took:6.0f} s  {'passed' if code == 0 else f'FAILED ({code})'}")
    return 0 if all(code == 0 for *_, code in timings) else 1


if __name__ == "__main__":
    sys.exit(main())
