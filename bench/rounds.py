"""Rounds benchmarks: `python -m bench.rounds [--assets 5000] [--site-assets 100000] [--runs 5]`.

Budgets (issue 16):
- the due list of a zone of 5,000 assets computed on the phone ≤ 100 ms, in real Chromium:
  web/static/js/rounds-logic.js is served from web/static on a local port and `dueList` is
  run on 5,000 assets (three schedule kinds, an emergency round over a third of them) with
  5,000 recent inspections and a walking route from a position; the figure is the time of
  each call inside the page (performance.now), the first call included;
- the weekly report of a 100,000-asset site ≤ 2 s on SQLite: a migrated SQLite file with
  100,000 assets in 20 zones, a weekly schedule per zone × category, 100,000 inspections in
  the week and 100,000 the week before, 2,000 work orders; the figure is `week_report`
  (inspectors, defects, adherence, distance walked, contractors) through the app's engine.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import http.server
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("FIELDCHECK_CHROMIUM", "/usr/bin/chromium")
# The baseline read on a quiet machine (load average < 1), docs/benchmarks.md.
QUIET_BASELINE_S = 0.53
CATEGORIES = ["green_space", "heritage_tree", "tree_guard", "planter", "road_asphalt"]


def zone_case(n: int, seed: int = 3) -> dict[str, object]:
    rng = random.Random(seed)
    zone = "11111111-1111-4111-8111-111111111111"
    assets = [{"id": f"a{i}", "zone_id": zone, "category": ("seating", "planter", "green_space")[i % 3],
               "code": f"Z-{i:05d}", "lat": 32.1 + rng.random() * 0.02, "lon": 118.7 + rng.random() * 0.02,
               "name": f"Asset {i}", "active": True} for i in range(n)]
    now = dt.datetime.now(dt.timezone.utc)
    inspections = [{"asset_id": f"a{rng.randrange(n)}",
                    "observed_at": (now - dt.timedelta(minutes=rng.randrange(20 * 24 * 60))).isoformat()}
                   for _ in range(n)]
    today = now.date().isoformat()
    return {
        "timezone": "Asia/Shanghai", "position": {"lat": 32.11, "lon": 118.71}, "assets": assets,
        "inspections": inspections,
        "schedules": [
            {"id": "s1", "zone_id": zone, "category": "seating", "kind": "every_days", "every_days": 3,
             "effective_from": "2026-01-01", "window": None},
            {"id": "s2", "zone_id": zone, "category": "planter", "kind": "weekdays", "weekdays": [1, 4],
             "effective_from": "2026-01-01", "window": {"from": "07:00", "to": "18:00"}},
            {"id": "s3", "zone_id": zone, "category": "green_space", "kind": "monthly", "day_of_month": 31,
             "effective_from": "2026-01-01", "window": None},
        ],
        "emergencies": [{"id": "e1", "zone_ids": [zone], "categories": ["green_space"], "started_at": f"{today}T00:00:00Z",
                         "due_at": f"{today}T23:00:00Z"}],
    }


def phone_due_list(n: int, runs: int) -> list[float]:
    """Milliseconds of each dueList call in Chromium."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT / "web" / "static"))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    case = zone_case(n)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
            page = browser.new_page()
            page.goto(f"{base}/manifest.webmanifest")
            times = page.evaluate("""async ([url, data, runs]) => {
              const { dueList } = await import(url);
              const out = [];
              for (let i = 0; i < runs; i++) {
                const t = performance.now();
                const r = dueList({ ...data, now: new Date().toISOString() });
                out.push(performance.now() - t);
                if (!r.items.length) throw new Error('empty list');
              }
              return out;
            }""", [f"{base}/js/rounds-logic.js", case, runs])
            browser.close()
    finally:
        server.shutdown()
    return [float(t) for t in times]


def build_site(path: Path, assets: int, zones: int = 20, seed: int = 9) -> dt.date:
    """Write the 100,000-asset site into the migrated SQLite file; returns the week's Monday."""
    from server.accounts.models import User, UserZone
    from server.assets.models import Asset
    from server.contractors.models import Contractor
    from server.inspections.models import Inspection
    from server.rounds.models import RoundSchedule
    from server.sites.models import Site, Zone
    from server.workorders.models import WorkOrder

    rng = random.Random(seed)
    uid = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)  # noqa: E731
    monday = dt.date(2026, 11, 16)
    tz = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime.combine(monday, dt.time(), tz)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        site = uid()
        conn.execute(insert(Site), [{"id": site, "code": "BIG", "name_zh": "大", "name_en": "Big", "timezone": "Asia/Shanghai",
                                     "center_lat": 32.1, "center_lon": 118.7}])
        ring = [[118.7, 32.1], [118.8, 32.1], [118.8, 32.2], [118.7, 32.2], [118.7, 32.1]]
        zone_ids = [uid() for _ in range(zones)]
        conn.execute(insert(Zone), [{"id": z, "site_id": site, "code": f"Z{i}", "name_zh": f"区{i}", "name_en": f"Zone {i}",
                                     "outline": {"type": "Polygon", "coordinates": [ring]}, "min_lat": 32.1,
                                     "min_lon": 118.7, "max_lat": 32.2, "max_lon": 118.8} for i, z in enumerate(zone_ids)])
        people = [uid() for _ in range(40)]
        conn.execute(insert(User), [{"id": u, "username": f"i{i}", "display_name": f"Inspector {i}", "password_hash": "x",
                                     "role": "inspector", "active": True, "created_at": start} for i, u in enumerate(people)])
        conn.execute(insert(UserZone), [{"user_id": u, "zone_id": zone_ids[i % zones]} for i, u in enumerate(people)])
        conn.execute(insert(RoundSchedule), [{"id": uid(), "site_id": site, "zone_id": z, "category": c, "kind": "weekdays",
                                              "weekdays": [1], "effective_from": dt.date(2026, 1, 5), "created_at": start}
                                             for z in zone_ids for c in CATEGORIES])
        rows = [{"id": uid(), "zone_id": zone_ids[i % zones], "category": CATEGORIES[i % len(CATEGORIES)], "code": f"A{i:06d}",
                 "name": f"Asset {i}", "lat": 32.1 + rng.random() * 0.1, "lon": 118.7 + rng.random() * 0.1,
                 "qr_token": f"q{i:06d}", "active": True, "created_at": start, "updated_at": start} for i in range(assets)]
        for i in range(0, len(rows), 20000):
            conn.execute(insert(Asset), rows[i:i + 20000])
        inspections = []
        for n in range(2 * assets):
            asset = rows[n % assets]
            at = start + dt.timedelta(seconds=rng.random() * 7 * 86400) - (dt.timedelta(days=7) if n >= assets else dt.timedelta())
            inspections.append({"id": uid(), "asset_id": asset["id"], "inspector_id": people[n % len(people)],
                                "observed_at": at, "received_at": at, "lat": asset["lat"], "lon": asset["lon"],
                                "observations": {}, "damages": [], "not_applicable": [], "notes": "",
                                "standards_version": "2026.1", "verdict": "compliant", "content_hash": f"{n:064d}"})
        for i in range(0, len(inspections), 20000):
            conn.execute(insert(Inspection), inspections[i:i + 20000])
        company = uid()
        conn.execute(insert(Contractor), [{"id": company, "code": "C", "name": "Company"}])
        from server.contractors.models import Contract

        contract = uid()
        conn.execute(insert(Contract), [{"id": contract, "code": "K", "contractor_id": company, "name": "K",
                                         "starts_on": dt.date(2026, 1, 1)}])
        conn.execute(insert(WorkOrder), [{"id": uid(), "code": f"WO-{n}", "contract_id": contract, "contractor_id": company,
                                          "status": "completed", "issued_at": start - dt.timedelta(days=3), "issued_by": people[0],
                                          "due_at": start + dt.timedelta(hours=rng.random() * 168), "notes": "",
                                          "completed_at": start + dt.timedelta(hours=rng.random() * 168)} for n in range(2000)])
    engine.dispose()
    return monday


def baseline_read(path: Path, monday: dt.date) -> float:
    """Seconds to read the same inspections as plain rows with sqlite3 alone (no app): the
    in-run baseline, so that a busy machine shows as a slower baseline, not a worse ratio."""
    import sqlite3

    started = time.perf_counter()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT inspector_id, asset_id, observed_at, lat, lon FROM inspections "
                            "WHERE observed_at >= ? AND observed_at < ? ORDER BY inspector_id, observed_at",
                            (str(monday - dt.timedelta(days=4)), str(monday + dt.timedelta(days=10)))).fetchall()
    assert rows
    return time.perf_counter() - started


async def time_report(url: str, monday: dt.date, runs: int) -> list[float]:
    from server.core.config import DatabaseSettings
    from server.core.db import Database
    from server.rounds.report import week_report

    database = Database.connect(DatabaseSettings(url=url))
    times = []
    try:
        for _ in range(runs):
            async with database.session(write=False) as db:
                started = time.perf_counter()
                report = await week_report(db, monday)
                times.append(time.perf_counter() - started)
        assert sum(p.rounds_due for p in report.inspectors) > 0
    finally:
        await database.dispose()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rounds", description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=5000, help="assets in the phone's zone")
    parser.add_argument("--site-assets", type=int, default=100_000, help="assets of the site in the weekly report")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    phone = phone_due_list(args.assets, args.runs)
    print(f"due list of {args.assets:,} assets in Chromium: median {statistics.median(phone):.1f} ms, "
          f"first {phone[0]:.1f} ms, worst {max(phone):.1f} ms (budget 100 ms)", flush=True)
    from server.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rounds.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        started = time.perf_counter()
        monday = build_site(path, args.site_assets)
        print(f"built {args.site_assets:,} assets and {2 * args.site_assets:,} inspections in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        times, baseline = [], []
        for _ in range(max(3, args.runs // 2)):  # interleaved, so both see the same load
            baseline.append(baseline_read(path, monday))
            times += asyncio.run(time_report(f"sqlite+aiosqlite:///{path}", monday, 1))
    report, base = statistics.median(times), statistics.median(baseline)
    print(f"weekly report of {args.site_assets:,} assets on SQLite: median {report:.2f} s, "
          f"worst {max(times):.2f} s (budget 2 s); baseline (the same rows read by sqlite3 alone) median "
          f"{base:.2f} s; ratio {report / base:.1f}× (budget ≤ {2 / QUIET_BASELINE_S:.1f}×: 2 s over the "
          f"baseline's {QUIET_BASELINE_S} s on a quiet machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
