"""Sync ingest benchmark: `python -m bench.sync [--backend sqlite] [--records 20000] [--batch 200]`.

Budgets: at least 2,000 inspection records per second in batches on SQLite (issue 3);
at least 1,000 on PostgreSQL with two workers (issue 6: `--backend postgresql --workers 2`).
A real server (`fieldcheck serve`, one worker) on 127.0.0.1 with the demo site; `--clients`
phones send batches of new inspection records back to back through `POST /api/sync`, as the
outbox does. Prints records/second over the whole run and per-batch latency; every record
must come back 201.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.load import INSPECTORS, drop_database, percentile, prepare_database, running_server, sign_in


async def phone(n: int, base: str, batches: int, size: int, latencies: list[float]) -> int:
    username, password = INSPECTORS[n % len(INSPECTORS)]
    rng = random.Random(n)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        headers = await sign_in(client, username, password)
        bundle = (await client.get("/api/offline/bundle", headers=headers)).json()
        assets = [a for a in bundle["assets"] if a["active"] and a["category"] == "seating"]
        stored = 0
        for _ in range(batches):
            now = dt.datetime.now(dt.timezone.utc).isoformat()
            records = [
                {"kind": "inspection", "id": str(uuid.uuid4()), "body": {
                    "asset_id": (asset := assets[rng.randrange(len(assets))])["id"],
                    "observed_at": now,
                    "position": {"lat": asset["lat"], "lon": asset["lon"], "accuracy_m": 4.0},
                    "observations": {"damage_pct": rng.choice([0, 5, 12]), "usable": True, "missing_pct": 0,
                                     "tilt_affects_use": False, "rust_pct": rng.choice([0, 3])},
                    "damages": [], "not_applicable": [], "notes": "", "photos": [],
                    "standards_version": bundle["standards_version"],
                }}
                for _ in range(size)
            ]
            started = time.perf_counter()
            response = await client.post("/api/sync", json={"records": records}, headers=headers)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            statuses = {r["status"] for r in response.json()["results"]}
            if statuses != {201}:
                raise RuntimeError(f"unexpected statuses {statuses}")
            stored += size
        return stored


async def run(base: str, args: argparse.Namespace) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    per_client = max(1, args.records // (args.batch * args.clients))
    # One warm-up batch so imports and caches do not count.
    await phone(99, base, 1, args.batch, [])
    started = time.perf_counter()
    counts = await asyncio.gather(*(phone(n, base, per_client, args.batch, latencies) for n in range(args.clients)))
    return sum(counts), time.perf_counter() - started, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = prepare_database(args.backend, work)
        try:
            with running_server(url, work / "media", args.workers) as base:
                stored, elapsed, latencies = asyncio.run(run(base, args))
        finally:
            drop_database(url)
    rate = stored / elapsed
    # Issue 3: 2,000/s on SQLite; issue 6: 1,000/s on PostgreSQL with two workers.
    budget = 2000 if args.backend == "sqlite" else 1000
    print(f"sync ingest ({args.backend}, {args.workers} worker(s), {args.clients} phones, batches of {args.batch}): "
          f"{stored} records in {elapsed:.2f} s = {rate:,.0f} records/s "
          f"(budget {budget:,}/s: {'met' if rate >= budget else 'NOT met'})")
    print(f"  batch latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
