"""City scale on PostgreSQL (issue 17 item 3): `python -m bench.city [--scale 1.0]`.

Builds a city on a private PostgreSQL database (127.0.0.1, dropped at the end unless
`--keep`): the demo site and accounts, plus 100,000 assets in 20 zones, 2,000,000
inspections over the last year (three clause results each), 20,000 active defects and
4,000 closed ones, and 10,000 work orders. `--scale 0.05` makes a city a twentieth of
that for a quick run. The rows are written by PostgreSQL itself (`INSERT … SELECT` over
`generate_series`, one month of inspections a statement) into the tables the app's
migrations made, so the build takes minutes.

Then it measures, through the real app against that database, each figure beside its
budget and beside a baseline measured in the same run (the machine is shared; the ratio
to the baseline says more than the figure alone):

- the defect GeoJSON the map loads (`/api/defects.geojson?view=map`) and the full one,
  ≤ 300 ms; baseline: the zone outlines (`/api/map/zones.geojson`, a trivial query);
- the supervisor's map in Debian's Chromium, navigation start to every defect painted
  (`data-drawn-ms`, see bench/map_page.py), ≤ 1 s; baseline: the sign-in page's load;
- a month's scores: the page `/scores/YYYY-MM` and the JSON `/api/scores`, ≤ 2 s; the
  monthly PDF `/scores/YYYY-MM/report.pdf`, ≤ 5 s (the last month that is over, live);
- sync ingest: `fieldcheck serve --workers 4` against the city database, phones posting
  batches of new inspections back to back (bench/sync.py), ≥ 2,500 records/s.

The offline bundle of a 5,000-asset zone and nearest-first on the phone are measured by
`python -m bench.offline_zone` (run it on its own; `--offline` runs it from here too).
`uptime`'s load average is printed with each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bench.load import INSPECTORS, drop_database, prepare_database, serving

BUDGETS = {"geojson": 300.0, "map": 1000.0, "scores": 2000.0, "pdf": 5000.0, "ingest": 2500.0}
ZONES = 20
APP_PATHS = [("/api/defects.geojson?view=map", "geojson"), ("/api/defects.geojson", "geojson"),
             ("/scores/{month}", "scores"), ("/api/scores/?month={month}", "scores"),
             ("/scores/{month}/report.pdf", "pdf")]
CITY = {"assets": 100_000, "inspections": 2_000_000, "defects": 20_000, "closed": 4_000}
# The clauses each category's inspections record (the first three of the standard's).
CLAUSES = {"green_space": ["GS-1", "GS-2", "GS-3"], "heritage_tree": ["HT-1", "HT-2", "HT-3"],
           "tree_guard": ["TG-1"], "planter": ["PL-1", "PL-2", "PL-3"], "road_asphalt": ["RA-1"],
           "road_concrete": ["RC-1"], "sidewalk": ["SW-1", "SW-2"], "sculpture": ["SC-1", "SC-2", "SC-3"],
           "seating": ["SE-1", "SE-2", "SE-3"]}


def load() -> str:
    """The 1-, 5- and 15-minute load averages, as `uptime` shows them."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def build_city(url: str, scale: float, now: dt.datetime) -> dict[str, int]:
    """Add the city to the demo database at `url`; how many of each row were written."""
    n_assets = max(ZONES * 10, int(CITY["assets"] * scale))
    n_insp = max(n_assets, int(CITY["inspections"] * scale))
    n_def = max(20, int(CITY["defects"] * scale))
    n_closed = max(4, int(CITY["closed"] * scale))
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("SET synchronous_commit = off")
        site_id, lat0, lon0, tz = await conn.fetchrow(
            "SELECT id, center_lat, center_lon, timezone FROM sites WHERE code = 'RIVERSIDE'")
        supervisor = await conn.fetchval("SELECT id FROM users WHERE username = 'supervisor'")
        inspectors = [r[0] for r in await conn.fetch("SELECT id FROM users WHERE role = 'inspector' ORDER BY username")]
        version = await conn.fetchval("SELECT standards_version FROM inspections LIMIT 1") or "2026.1"
        contracts = await conn.fetch("SELECT id, contractor_id FROM contracts ORDER BY code")
        # 20 zones of about 1.1 km × 1.1 km in a 5 × 4 grid north-east of the demo site.
        step = 0.01
        zones = []
        for i in range(ZONES):
            s, w = lat0 + 0.02 + (i // 5) * step, lon0 + 0.02 + (i % 5) * step
            n, e = s + step * 0.95, w + step * 0.95
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            zones.append((i, f"C{i + 1:02d}", s, w, n, e, ring))
        await conn.execute("CREATE TEMP TABLE city_zones (n int PRIMARY KEY, id uuid, s float8, w float8, "
                           "h float8, cats text[])")
        categories = list(CLAUSES)
        for i, code, s, w, n, e, ring in zones:
            zid = await conn.fetchval(
                "INSERT INTO zones (id, site_id, code, name_zh, name_en, outline, min_lat, min_lon, max_lat, max_lon) "
                "VALUES (md5('city-zone-' || $1::text)::uuid, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10) RETURNING id",
                str(i), site_id, code, f"城区{i + 1}", f"City {i + 1}",
                '{"type": "Polygon", "coordinates": [%s]}' % str(ring), s, w, n, e)
            await conn.execute("INSERT INTO city_zones VALUES ($1, $2, $3, $4, $5, $6)", i, zid, s, w, n - s,
                               categories)
        for contract_id, _ in contracts:  # the demo's contracts cover the city's zones too
            await conn.execute("INSERT INTO contract_zones (contract_id, zone_id) SELECT $1, id FROM city_zones",
                               contract_id)
        await conn.execute("CREATE TEMP TABLE city_clauses (category text, clause_id text)")
        await conn.executemany("INSERT INTO city_clauses VALUES ($1, $2)",
                               [(k, c) for k, cs in CLAUSES.items() for c in cs])
        year_start = now - dt.timedelta(days=365)
        created = year_start - dt.timedelta(days=30)
        await conn.execute(
            """INSERT INTO assets (id, zone_id, category, code, name, lat, lon, outline, qr_token, active,
                                   created_at, created_by, updated_at)
               SELECT md5('city-asset-' || g)::uuid, z.id, z.cats[1 + (g / 20) % 9], 'CITY-' || lpad(g::text, 6, '0'),
                      'City asset ' || g, z.s + random() * z.h, z.w + random() * z.h, NULL,
                      'city' || lpad(g::text, 8, '0'), true, $2, NULL, $2
               FROM generate_series(0, $1 - 1) g JOIN city_zones z ON z.n = g % 20""", n_assets, created)
        # Inspections, a month at a time: asset (g * 7919) mod A, spread evenly over the year.
        months = 12
        per = math.ceil(n_insp / months)
        for m in range(months):
            lo, hi = m * per, min(n_insp, (m + 1) * per)
            # The month's inspections and their clause results are made in temporary tables
            # first, so each inspection row carries its clause counts as sync stores them.
            await conn.execute("DROP TABLE IF EXISTS m_ins; DROP TABLE IF EXISTS m_cr")
            await conn.execute(
                """CREATE TEMP TABLE m_ins AS
                   SELECT g, md5('city-insp-' || g)::uuid AS id, a.id AS asset_id, a.category, a.lat, a.lon, s.t
                   FROM (SELECT g, $4::timestamptz + (g::float8 / $3) * interval '365 days' AS t,
                                md5('city-asset-' || ((g::bigint * 7919) % $5))::uuid AS asset
                         FROM generate_series($1::int, $2::int - 1) g) s
                   JOIN assets a ON a.id = s.asset""", lo, hi, n_insp, year_start, n_assets)
            await conn.execute(
                """CREATE TEMP TABLE m_cr AS
                   SELECT m.id AS inspection_id, c.clause_id,
                          CASE WHEN m.g % 10 = 0 AND c.clause_id LIKE '%-1' THEN 'fail'
                               WHEN random() < 0.05 THEN 'exempt' ELSE 'pass' END AS result
                   FROM m_ins m JOIN city_clauses c ON c.category = m.category""")
            await conn.execute(
                """INSERT INTO inspections (id, asset_id, inspector_id, device_id, observed_at, received_at, lat, lon,
                       accuracy_m, observations, damages, not_applicable, notes, standards_version,
                       client_standards_version, verdict, content_hash, kind, clause_passes, clause_exempts,
                       clause_fails)
                   SELECT m.id, m.asset_id, ($1::uuid[])[1 + m.g % cardinality($1::uuid[])], 'city',
                          m.t, m.t + interval '3 minutes', m.lat, m.lon, 5.0, '{}'::jsonb, '[]'::jsonb, '[]'::jsonb,
                          '', $2, $2, CASE WHEN m.g % 10 = 0 THEN 'non_compliant' ELSE 'compliant' END,
                          md5('a' || m.g) || md5('b' || m.g), 'inspection', k.p, k.e, k.f
                   FROM m_ins m JOIN (SELECT inspection_id, count(*) FILTER (WHERE result = 'pass') AS p,
                                             count(*) FILTER (WHERE result = 'exempt') AS e,
                                             count(*) FILTER (WHERE result = 'fail') AS f
                                      FROM m_cr GROUP BY inspection_id) k ON k.inspection_id = m.id
                   ORDER BY m.g""", inspectors, version)
            await conn.execute("INSERT INTO clause_results (inspection_id, clause_id, result) "
                               "SELECT inspection_id, clause_id, result FROM m_cr")
            print(f"  inspections {hi:,} of {n_insp:,} ({load()})", flush=True)
        # Defects: asset (g * 37) mod A (distinct for g < A), on its latest inspection. g < n_def are
        # active (a quarter ordered, a twentieth fixed), the next n_closed closed.
        await conn.execute(
            """INSERT INTO defects (id, asset_id, zone_id, category, clause_id, severity, status, lat, lon, opened_at,
                   respond_by, opened_by_inspection_id, last_inspection_id, passed_inspection_id, closed_at,
                   dismissed_reason)
               SELECT md5('city-defect-' || g)::uuid, a.id, a.zone_id, a.category,
                      (SELECT min(clause_id) FROM city_clauses c WHERE c.category = a.category),
                      (ARRAY['urgent', 'high', 'normal', 'normal', 'low'])[1 + g % 5],
                      CASE WHEN g >= $1::int THEN 'closed' WHEN g % 4 = 1 THEN 'ordered' WHEN g % 20 = 3 THEN 'fixed'
                           ELSE 'open' END,
                      a.lat, a.lon, i.observed_at, i.observed_at + interval '7 days', i.id, i.id, NULL,
                      CASE WHEN g >= $1::int THEN i.observed_at + interval '5 days' END, NULL
               FROM generate_series(0, $1::int + $2::int - 1) g
               JOIN assets a ON a.id = md5('city-asset-' || ((g::bigint * 37) % $3::int))::uuid
               CROSS JOIN LATERAL (SELECT id, observed_at FROM inspections WHERE asset_id = a.id
                                   ORDER BY observed_at DESC LIMIT 1) i""",
            n_def, n_closed, n_assets)
        await conn.execute(
            """INSERT INTO defect_evidence (defect_id, inspection_id)
               SELECT id, opened_by_inspection_id FROM defects WHERE id IN
                   (SELECT md5('city-defect-' || g)::uuid FROM generate_series(0, $1 - 1) g)""", n_def + n_closed)
        # Orders: one per ordered, fixed and closed defect (open, completed, verified).
        await conn.execute(
            """INSERT INTO work_orders (id, code, contract_id, contractor_id, status, issued_at, issued_by, due_at,
                   due_change_reason, notes, completed_at, verified_at, return_reason, cancel_reason)
               SELECT md5('city-order-' || d.id)::uuid, 'WO-C' || lpad(row_number() OVER (ORDER BY d.id)::text, 6, '0'),
                      k.id, k.contractor_id,
                      CASE d.status WHEN 'ordered' THEN (ARRAY['issued', 'accepted', 'in_progress'])[1 + abs(hashtext(d.id::text)) % 3]
                                    WHEN 'fixed' THEN 'completed' ELSE 'verified' END,
                      d.opened_at + interval '1 day', $1, d.opened_at + interval '8 days', NULL, '',
                      CASE WHEN d.status IN ('fixed', 'closed') THEN d.opened_at + interval '4 days' END,
                      CASE WHEN d.status = 'closed' THEN d.opened_at + interval '5 days' END, NULL, NULL
               FROM defects d
               JOIN LATERAL (SELECT c.id, c.contractor_id FROM contracts c
                             JOIN contract_categories cc ON cc.contract_id = c.id AND cc.category = d.category
                             ORDER BY c.code LIMIT 1) k ON true
               WHERE d.status IN ('ordered', 'fixed', 'closed') AND d.zone_id IN (SELECT id FROM city_zones)""",
            supervisor)
        await conn.execute(
            """INSERT INTO work_order_defects (work_order_id, defect_id)
               SELECT md5('city-order-' || d.id)::uuid, d.id FROM defects d
               WHERE d.zone_id IN (SELECT id FROM city_zones)
                 AND EXISTS (SELECT 1 FROM work_orders w WHERE w.id = md5('city-order-' || d.id)::uuid)""")
        await conn.execute("ANALYZE")
        counts = {}
        for table in ("assets", "inspections", "clause_results", "defects", "work_orders"):
            counts[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
        counts["active defects"] = await conn.fetchval(
            "SELECT count(*) FROM defects WHERE status IN ('open', 'ordered', 'fixed')")
        return counts
    finally:
        await conn.close()


def _stats(times: list[float]) -> str:
    return f"median {statistics.median(times):.0f} ms, best {min(times):.0f}, worst {max(times):.0f}"


async def _timed(client: Any, path: str, runs: int, warm_up: bool = True) -> tuple[list[float], Any]:
    if warm_up:
        await client.get(path)
    times, answer = [], None
    for _ in range(runs):
        started = time.perf_counter()
        answer = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
    return times, answer


async def close_months_before(url: str, month: str, n: int = 11) -> float:
    """Close the `n` months before `month` as the demo admin, as a city does each month for
    payment (their trend points are then read frozen); seconds taken."""
    from server.core.config import DatabaseSettings
    from server.core.db import Database
    from server.scoring.months import Month
    from server.scoring.rules import NoRuleInForce, load_rules
    from server.scoring.service import close_month, closing_in_force, require_site
    from server.accounts.models import User
    from sqlalchemy import select
    from standards import load_standards

    started = time.perf_counter()
    db = Database.connect(DatabaseSettings(url=url))
    standards, rules = load_standards(), load_rules()
    try:
        for back in range(n, 0, -1):
            past = Month.parse(month).shift(-back)
            async with db.session() as session:
                site = await require_site(session)
                admin = (await session.execute(select(User.id).where(User.username == "admin"))).scalar_one()
                try:
                    rules.for_date(past.first_day)
                except NoRuleInForce:  # before the first scoring rule: nothing to close
                    continue
                if await closing_in_force(session, site, past) is None:
                    await close_month(session, site, past, standards, rules, admin)
    finally:
        await db.dispose()
    return time.perf_counter() - started


async def measure_app(url: str, runs: int, month: str, paths: list[tuple[str, str]] | None = None,
                      label: str = "") -> list[tuple[str, str, float | None]]:
    """GeoJSON, scores and PDF through the app (in-process HTTP, the supervisor signed in)."""
    from litestar.testing import AsyncTestClient

    from server.app import create_app

    out: list[tuple[str, str, float | None]] = []
    app = create_app(database_url=url)
    for name in ("fontTools", "httpx"):  # their INFO lines would bury the figures
        logging.getLogger(name).setLevel(logging.WARNING)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1:8000") as client:
        page = await client.get("/login")
        token = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        await client.post("/login", data={"username": "supervisor", "password": "Super-2026-demo", "_csrf_token": token})
        base, _ = await _timed(client, "/api/map/zones.geojson", runs)
        base_ms = statistics.median(base)
        out.append(("baseline: /api/map/zones.geojson", _stats(base), None))
        for path, key in paths or APP_PATHS:
            path = path.format(month=month)
            # A live PDF reads twelve months (its trend): timed once, the scores page having warmed up.
            slow = key == "pdf" and not label
            times, answer = await _timed(client, path, 1 if slow else runs if key == "geojson" else max(2, runs // 3),
                                         warm_up=not slow)
            median = statistics.median(times)
            extra = ""
            if "geojson" in path:
                extra = f"; {len(answer.json()['features']):,} features, {len(answer.content) / 1e6:.2f} MB"
            elif path.endswith(".pdf"):
                extra = f"; {len(answer.content) / 1e6:.2f} MB"
            verdict = "met" if median <= BUDGETS[key] else "NOT MET"
            out.append((path + label, f"{_stats(times)}{extra} (budget {BUDGETS[key]:.0f} ms: {verdict}; "
                              f"{median / base_ms:.0f}× baseline; {load()})", median))
            print(f"  {out[-1][0]}: {out[-1][1]}", flush=True)
    return out


def measure_map(url: str, work: Path, runs: int) -> str:
    from bench.map_page import measure, serve

    process, base = serve(url, work)
    try:
        from playwright.sync_api import sync_playwright

        from bench.map_page import ARGS, CHROMIUM

        with sync_playwright() as p:  # baseline: a trivial page's load, same browser, same server
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(base_url=base)
            page.goto("/login")
            baseline = []
            for _ in range(runs):
                page.goto("/login")
                baseline.append(float(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")))
            browser.close()
        times, count = measure(base, runs)
    finally:
        process.terminate()
        process.wait(10)
    median = statistics.median(times)
    verdict = "met" if median <= BUDGETS["map"] else "NOT MET"
    return (f"/supervise/map, {count:,} defects drawn: {_stats(times)} (budget {BUDGETS['map']:.0f} ms: {verdict}); "
            f"baseline /login loaded: {_stats(baseline)}, ratio {median / statistics.median(baseline):.1f}×; {load()}")


async def _city_rounds(url: str) -> dict[str, list[dict[str, Any]]]:
    """Each demo inspector walks half of the city's zones (assigned here, as an admin would):
    the benches of their zones, by inspector, for the phones to inspect."""
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        users = dict(await conn.fetch("SELECT username, id FROM users WHERE username = ANY($1)",
                                      [name for name, _ in INSPECTORS]))
        zones = [row["id"] for row in await conn.fetch("SELECT id FROM zones WHERE code LIKE 'C%' ORDER BY code")]
        seating: dict[str, list[dict[str, Any]]] = {}
        for i, (name, _) in enumerate(INSPECTORS):
            mine = zones[i::len(INSPECTORS)]
            await conn.executemany("INSERT INTO user_zones (user_id, zone_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                   [(users[name], z) for z in mine])
            rows = await conn.fetch("SELECT id, lat, lon FROM assets WHERE zone_id = ANY($1) AND category = 'seating' "
                                    "AND active", mine)
            seating[name] = [{"id": str(r["id"]), "lat": r["lat"], "lon": r["lon"]} for r in rows]
        return seating
    finally:
        await conn.close()


def measure_ingest(url: str, work: Path, workers: int, clients: int, records: int) -> str:
    from bench.sync import run

    args = argparse.Namespace(records=records, batch=200, clients=clients, seating=asyncio.run(_city_rounds(url)))
    with serving(url, work / "media", workers) as server:
        figures = asyncio.run(run(server, args))
    rate = figures["stored"] / figures["elapsed"]
    verdict = "met" if rate >= BUDGETS["ingest"] else "NOT MET"
    return (f"sync ingest, {workers} workers, {clients} phones, batches of 200: {figures['stored']:,} records in "
            f"{figures['elapsed']:.1f} s = {rate:,.0f} records/s (budget {BUDGETS['ingest']:,.0f}/s: {verdict}); "
            f"batch p50 {figures['p50'] * 1000:.0f} ms, p95 {figures['p95'] * 1000:.0f} ms; CPU server "
            f"{figures['server_cpu'] / figures['elapsed']:.0%}, PostgreSQL {figures['database_cpu'] / figures['elapsed']:.0%}"
            f" of a core; {load()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.city", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the city (0.05: a quick run)")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--database-url", help="measure this city (built before with --keep) instead of building one")
    parser.add_argument("--keep", action="store_true", help="keep the database and print its URL")
    parser.add_argument("--only", default="app,map,ingest", help="which figures: app, map, ingest, offline")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--records", type=int, default=40_000, help="ingest: records sent in all")
    parser.add_argument("--offline", action="store_true", help="also run bench.offline_zone")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) | ({"offline"} if args.offline else set())
    now = dt.datetime.now(dt.timezone.utc)
    month = (dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    results: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.database_url
        built = url is None
        try:
            if url is None:
                started = time.perf_counter()
                url = prepare_database("postgresql", work)
                print(f"demo database at {url.rsplit('@', 1)[-1]}; building the city ({load()})", flush=True)
                counts = asyncio.run(build_city(url, args.scale, now))
                print(f"city built in {time.perf_counter() - started:.0f} s: "
                      + ", ".join(f"{v:,} {k}" for k, v in counts.items()), flush=True)
            if "app" in only:
                results += [f"{p}: {text}" for p, text, _ in asyncio.run(measure_app(url, args.runs, month))]
                # The PDF's trend reads the eleven months before; a city closes each month for
                # payment, and a closed month's figures are read frozen.
                took = asyncio.run(close_months_before(url, month))
                print(f"  closed the 11 months before {month} in {took:.0f} s", flush=True)
                results += [f"{p}: {text}" for p, text, _ in asyncio.run(measure_app(
                    url, args.runs, month, APP_PATHS[2:], " (the 11 months before closed)"))]
            if "map" in only:
                results.append(measure_map(url, work, args.runs))
                print(f"  {results[-1]}", flush=True)
            if "ingest" in only:
                results.append(measure_ingest(url, work, args.workers, args.clients, args.records))
                print(f"  {results[-1]}", flush=True)
        finally:
            if built and url and not args.keep:
                drop_database(url)
            elif url and args.keep:
                print(f"kept: {url}")
    if "offline" in only:
        subprocess.run([sys.executable, "-m", "bench.offline_zone", "--assets", "5000"], check=False)
    print(f"== city ({args.scale:g} scale), month {month}:")
    for line in results:
        print(f"  {line}")
    return 0 if not any("NOT MET" in line for line in results) else 1


if __name__ == "__main__":
    sys.exit(main())
