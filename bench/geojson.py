"""GeoJSON for 10,000 defects: budget 300 ms on SQLite.

    python -m bench.geojson [--defects 10000] [--runs 15] [--keep DIR]

Makes a SQLite database with the demo site plus `--defects` extra active defects (each on
an asset of its own, spread over the five zones), then asks the real app — through its
HTTP stack, signed in as the demo supervisor — for `GET /api/defects.geojson` (the map's
default: every active defect) `--runs` times after one warm-up, and prints the median,
p95 and best, the number of features and the size of the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

BUDGET_MS = 300.0


async def add_defects(url: str, n: int, seed: int = 7) -> int:
    """`n` more active defects on the demo site (assets and inspections to match); how many
    active defects there are now in all."""
    from sqlalchemy import func, insert, select

    from server.accounts.models import User
    from server.assets.models import Asset
    from server.core.config import DatabaseSettings
    from server.core.db import Database
    from server.defects.models import ACTIVE_STATUSES, Defect, DefectEvidence
    from server.inspections.models import Inspection
    from server.sites.models import Zone

    rng = random.Random(seed)
    database = Database.connect(DatabaseSettings(url=url))
    clauses = {"seating": "SE-1", "green_space": "GS-1", "sidewalk": "SW-1", "planter": "PL-1", "road_asphalt": "RA-1"}
    try:
        async with database.session() as s:
            zones = (await s.execute(select(Zone))).scalars().all()
            inspector = (await s.execute(select(User.id).where(User.username == "inspector"))).scalar_one()
            now = dt.datetime.now(dt.timezone.utc)
            assets, inspections, defects, evidence = [], [], [], []
            for i in range(n):
                z = zones[i % len(zones)]
                lat = rng.uniform(z.min_lat, z.max_lat)
                lon = rng.uniform(z.min_lon, z.max_lon)
                category = rng.choice(list(clauses))
                asset_id, insp_id = uuid.uuid4(), uuid.uuid4()
                opened = now - dt.timedelta(hours=rng.uniform(1, 24 * 80))
                severity = rng.choice(("urgent", "high", "normal", "normal", "low"))
                assets.append({"id": asset_id, "zone_id": z.id, "category": category, "code": f"B-{i:05d}",
                               "name": f"bench asset {i}", "lat": lat, "lon": lon, "outline": None,
                               "qr_token": f"bench{i:07d}", "active": True, "created_at": now, "created_by": None,
                               "updated_at": now})
                inspections.append({"id": insp_id, "asset_id": asset_id, "inspector_id": inspector, "device_id": None,
                                    "observed_at": opened, "received_at": opened, "lat": lat, "lon": lon,
                                    "accuracy_m": 5.0, "observations": {}, "damages": [], "not_applicable": [],
                                    "notes": "", "standards_version": "2026.1", "client_standards_version": None,
                                    "verdict": "non_compliant", "content_hash": "0" * 64})
                defect_id = uuid.uuid4()
                defects.append({"id": defect_id, "asset_id": asset_id, "zone_id": z.id, "category": category,
                                "clause_id": clauses[category], "severity": severity,
                                "status": rng.choice(("open", "open", "open", "ordered", "fixed")), "lat": lat,
                                "lon": lon, "opened_at": opened, "respond_by": opened + dt.timedelta(days=7),
                                "opened_by_inspection_id": insp_id, "last_inspection_id": insp_id,
                                "passed_inspection_id": None, "closed_at": None, "dismissed_reason": None})
                evidence.append({"defect_id": defect_id, "inspection_id": insp_id})
            for model, rows in ((Asset, assets), (Inspection, inspections), (Defect, defects), (DefectEvidence, evidence)):
                for start in range(0, len(rows), 2000):
                    await s.execute(insert(model.__table__), rows[start:start + 2000])
            return int(await s.scalar(select(func.count()).select_from(Defect).where(Defect.status.in_(ACTIVE_STATUSES))))
    finally:
        await database.dispose()


def build_database(directory: Path, n: int) -> tuple[str, int]:
    """A migrated SQLite file with the demo site and `n` extra defects; (url, active defects)."""
    from server.core.config import DatabaseSettings
    from server.core.db import Database
    from server.demo import load_demo
    from server.migrate import upgrade

    url = f"sqlite+aiosqlite:///{directory / 'bench-geojson.db'}"
    upgrade(url)

    async def demo() -> None:
        db = Database.connect(DatabaseSettings(url=url))
        try:
            await load_demo(db)
        finally:
            await db.dispose()

    asyncio.run(demo())
    active = asyncio.run(add_defects(url, n))
    return url, active


async def measure(url: str, runs: int) -> dict[str, Any]:
    from litestar.testing import AsyncTestClient

    from server.app import create_app

    async with AsyncTestClient(app=create_app(database_url=url), base_url="http://127.0.0.1:8000") as client:
        page = await client.get("/login")
        token = page.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        await client.post("/login", data={"username": "supervisor", "password": "Super-2026-demo", "_csrf_token": token})
        await client.get("/api/defects.geojson")  # warm-up: connections, caches
        times, size, features = [], 0, 0
        for _ in range(runs):
            started = time.perf_counter()
            answer = await client.get("/api/defects.geojson")
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text[:200]
            size = len(answer.content)
        features = len(answer.json()["features"])
    times.sort()
    return {"features": features, "bytes": size, "median_ms": statistics.median(times), "best_ms": times[0],
            "p95_ms": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.geojson", description=__doc__.splitlines()[0])
    parser.add_argument("--defects", type=int, default=10_000, help="active defects to add to the demo's")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", help="build the database in this folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        url, active = build_database(folder, args.defects)
        print(f"database: demo site + {args.defects} defects = {active} active defects "
              f"(built in {time.perf_counter() - started:.1f} s)")
        result = asyncio.run(measure(url, args.runs))
    ok = result["median_ms"] <= BUDGET_MS
    print(f"GET /api/defects.geojson: {result['features']} features, {result['bytes'] / 1e6:.2f} MB; "
          f"median {result['median_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, best {result['best_ms']:.0f} ms "
          f"(budget {BUDGET_MS:.0f} ms: {'met' if ok else 'NOT MET'})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
