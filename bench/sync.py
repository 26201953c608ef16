"""Sync ingest benchmark: `python -m bench.sync [--backend sqlite] [--records 20000] [--batch 200]`.

Budgets: at least 2,000 inspection records per second in batches on SQLite (issue 3);
at least 1,000 on PostgreSQL with two workers (issue 6: `--backend postgresql --workers 2`).
A real server (`fieldcheck serve`, one worker) on 127.0.0.1 with the demo site; `--clients`
phones send batches of new inspection records back to back through `POST /api/sync`, as the
outbox does. Prints records/second over the whole run and per-batch latency; every record
must come back 201.

What is timed is the server's work only, as far as one machine allows: each phone signs
in, downloads its offline bundle and encodes all its batches (a phone has its outbox
ready) before the clock starts; the CPU time the benchmark itself then spends sending
and reading is printed next to the server's, both in seconds and as a share of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.load import (
    INSPECTORS, Server, database_cpu, drop_database, own_cpu, percentile, prepare_database, process_tree_cpu, serving,
    sign_in,
)


@dataclass
class Phone:
    """A signed-in phone with its outbox encoded, ready to send."""

    client: httpx.AsyncClient
    headers: dict[str, str]
    batches: list[bytes]


async def ready_phone(n: int, base: str, batches: int, size: int,
                      seating: dict[str, list[dict[str, Any]]] | None = None) -> Phone:
    """Sign in, download the bundle, and encode `batches` batches of `size` new inspections.

    The benches inspected are the bundle's, or `seating[username]` when given (the city:
    each inspector's own zones, so the phones do not all queue on the demo's 84 benches)."""
    username, password = INSPECTORS[n % len(INSPECTORS)]
    rng = random.Random(n)
    client = httpx.AsyncClient(base_url=base, timeout=120)
    headers = await sign_in(client, username, password)
    if seating is not None:
        versions = (await client.get("/api/standards/set", headers=headers)).json()["versions"]
        today = dt.date.today().isoformat()
        version = max((v for v in versions if v["effective_from"] <= today), key=lambda v: v["effective_from"])["version"]
        assets = seating[username]
    else:
        bundle = (await client.get("/api/offline/bundle", headers=headers)).json()
        version = bundle["standards_version"]
        assets = [a for a in bundle["assets"] if a["active"] and a["category"] == "seating"]
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    encoded = []
    for _ in range(batches):
        records = [
            {"kind": "inspection", "id": str(uuid.uuid4()), "body": {
                "asset_id": (asset := assets[rng.randrange(len(assets))])["id"],
                "observed_at": now,
                "position": {"lat": asset["lat"], "lon": asset["lon"], "accuracy_m": 4.0},
                "observations": {"damage_pct": rng.choice([0, 5, 12]), "usable": True, "missing_pct": 0,
                                 "tilt_affects_use": False, "rust_pct": rng.choice([0, 3])},
                "damages": [], "not_applicable": [], "notes": "", "photos": [],
                "standards_version": version,
            }}
            for _ in range(size)
        ]
        encoded.append(json.dumps({"records": records}).encode())
    return Phone(client, {**headers, "Content-Type": "application/json"}, encoded)


async def send_all(phone: Phone, size: int, latencies: list[float]) -> int:
    """Send the phone's batches one after the other; every record must be stored (201)."""
    stored = 0
    for body in phone.batches:
        started = time.perf_counter()
        response = await phone.client.post("/api/sync", content=body, headers=phone.headers)
        latencies.append(time.perf_counter() - started)
        response.raise_for_status()
        statuses = {r["status"] for r in response.json()["results"]}
        if statuses != {201}:
            raise RuntimeError(f"unexpected statuses {statuses}")
        stored += size
    return stored


async def run(server: Server, args: argparse.Namespace) -> dict[str, float]:
    latencies: list[float] = []
    per_client = max(1, args.records // (args.batch * args.clients))
    # One warm-up batch so imports and caches do not count.
    seating = getattr(args, "seating", None)
    warm_up = await ready_phone(99, server.base, 1, args.batch, seating)
    await send_all(warm_up, args.batch, [])
    await warm_up.client.aclose()
    phones = await asyncio.gather(*(ready_phone(n, server.base, per_client, args.batch, seating)
                                    for n in range(args.clients)))
    before = {"server": process_tree_cpu(server.pid), "database": database_cpu(), "bench": own_cpu()}
    started = time.perf_counter()
    counts = await asyncio.gather(*(send_all(phone, args.batch, latencies) for phone in phones))
    elapsed = time.perf_counter() - started
    cpu = {"server": process_tree_cpu(server.pid), "database": database_cpu(), "bench": own_cpu()}
    for phone in phones:
        await phone.client.aclose()
    return {"stored": sum(counts), "elapsed": elapsed, "p50": percentile(latencies, 0.5),
            "p95": percentile(latencies, 0.95)} | {f"{key}_cpu": cpu[key] - before[key] for key in cpu}


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
            with serving(url, work / "media", args.workers) as server:
                figures = asyncio.run(run(server, args))
        finally:
            drop_database(url)
    stored, elapsed = figures["stored"], figures["elapsed"]
    rate = stored / elapsed
    # Issue 3: 2,000/s on SQLite; issue 6: 1,000/s on PostgreSQL with two workers.
    budget = 2000 if args.backend == "sqlite" else 1000
    print(f"sync ingest ({args.backend}, {args.workers} worker(s), {args.clients} phones, batches of {args.batch}): "
          f"{stored} records in {elapsed:.2f} s = {rate:,.0f} records/s "
          f"(budget {budget:,}/s: {'met' if rate >= budget else 'NOT met'})")
    print(f"  batch latency p50 {figures['p50'] * 1000:.0f} ms, p95 {figures['p95'] * 1000:.0f} ms")
    share = {key: f"{figures[key + '_cpu']:.1f} s ({figures[key + '_cpu'] / elapsed:.0%} of one core)"
             for key in ("server", "database", "bench")}
    print(f"  CPU: server {share['server']}, {figures['server_cpu'] / stored * 1e6:.0f} µs a record"
          + (f"; PostgreSQL {share['database']}" if args.backend == "postgresql" else "")
          + f"; this benchmark {share['bench']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
