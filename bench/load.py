"""Load harness: simulated inspectors syncing and supervisors browsing, against 127.0.0.1.

    python -m bench.load [--backend sqlite|postgresql] [--workers 1] [--inspectors 50]
                         [--supervisors 10] [--duration 30] [--batch 50] [--photos 2] [--think 0]

It makes a fresh database with the demo site, starts `fieldcheck serve` on a free port on
127.0.0.1 (never anywhere else), and runs until `--duration` seconds have passed or every
simulated user has done `--max-rounds` rounds — bounded in time and in count. Inspectors
download the offline bundle, then send batches of inspection records through the sync API
after uploading the batch's photos (only the missing ones, as the phone does). Supervisors
load their pages. `--think` adds a person's pause between actions (the page-latency budget
is measured that way); with 0 every simulated user goes flat out (the ingest budget). Prints throughput, p50/p95/p99 latency per kind of request and every
error; `--json` prints the same as JSON. Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("FIELDCHECK_TEST_PG", "postgres@127.0.0.1:5432")
INSPECTORS = [("inspector", "Inspect-2026-demo"), ("inspector2", "Inspect-2026-demo2")]
SUPERVISOR = ("supervisor", "Super-2026-demo")
SUPERVISOR_PAGES = ["/supervise", "/standards"]
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    records: int = 0
    photos: int = 0

    def timed(self, kind: str, seconds: float) -> None:
        self.latencies[kind].append(seconds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_photos(n: int, seed: int = 7) -> list[bytes]:
    """`n` distinct 1600×1200 JPEGs, like the phone sends after resizing."""
    rng = random.Random(seed)
    photos = []
    for _ in range(n):
        image = Image.new("RGB", (1600, 1200), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y = rng.randrange(1500), rng.randrange(1100)
            draw.rectangle([x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)], fill=(rng.randrange(256),) * 3)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
        photos.append(out.getvalue())
    return photos


def _env(database_url: str, media: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media), "PYTHONUNBUFFERED": "1"}


def prepare_database(backend: str, work: Path) -> str:
    """A fresh database with the demo site loaded; returns its URL."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{work / 'load.db'}"
    else:
        name = f"fc_load_{os.getpid()}"
        subprocess.run(["psql", f"postgresql://{PG}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}"'], check=True)
        subprocess.run(["psql", f"postgresql://{PG}/postgres", "-qc", f'CREATE DATABASE "{name}"'], check=True)
        url = f"postgresql+asyncpg://{PG}/{name}"
    for command in ("migrate", "demo"):
        subprocess.run([sys.executable, "-m", "server", command], env=_env(url, work / "media"), check=True,
                       cwd=ROOT, capture_output=True)
    return url


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[-1]
        subprocess.run(["psql", f"postgresql://{PG}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                       check=False, capture_output=True)


@contextlib.contextmanager
def running_server(url: str, media: Path, workers: int):
    """`fieldcheck serve` on a free 127.0.0.1 port, stopped afterwards."""
    port = free_port()
    log_path = media.parent / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below, after the server stops
    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=_env(url, media), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {log_path.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        else:
            raise RuntimeError("server did not become healthy in 60 s")
        yield base
    except BaseException:
        # Whatever went wrong, the server's own account of it is the first thing to read.
        print(f"--- server log (last lines) ---\n{log_path.read_text(errors='replace')[-4000:]}", file=sys.stderr)
        raise
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    """Sign in like a browser; returns the headers API calls need."""
    page = await client.get("/login")
    token = _CSRF.search(page.text)
    assert token, "no CSRF token on /login"
    response = await client.post("/login", data={"username": username, "password": password, "_csrf_token": token.group(1)})
    if response.status_code not in (200, 303):
        raise RuntimeError(f"sign-in of {username} failed: {response.status_code}")
    return {"X-CSRFToken": client.cookies.get("fc_csrf") or "", "X-Device-Id": f"load-{uuid.uuid4().hex[:8]}"}


async def call(stats: Stats, kind: str, request: Any) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await request
    except httpx.HTTPError as exc:
        stats.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
        return None
    stats.timed(kind, time.perf_counter() - started)
    if response.status_code >= 400:
        stats.errors.append(f"{kind}: HTTP {response.status_code}: {response.text[:200]}")
    return response


async def inspector(n: int, base: str, stats: Stats, photos: list[bytes], args: argparse.Namespace, deadline: float) -> None:
    username, password = INSPECTORS[n % len(INSPECTORS)]
    rng = random.Random(n)
    async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True) as client:
        headers = await sign_in(client, username, password)
        bundle = await call(stats, "offline bundle", client.get("/api/offline/bundle", headers=headers))
        if bundle is None or bundle.status_code != 200:
            return
        assets = [a for a in bundle.json()["assets"] if a["active"]]
        for _ in range(args.max_rounds):
            if time.monotonic() > deadline:
                return
            batch_photos = [photos[rng.randrange(len(photos))] for _ in range(args.photos)]
            hashes = [hashlib.sha256(p).hexdigest() for p in batch_photos]
            missing = await call(stats, "photos missing", client.post("/api/photos/missing", json={"sha256": hashes}, headers=headers))
            if missing is None or missing.status_code != 200:
                continue
            for data, digest in zip(batch_photos, hashes, strict=True):
                if digest in missing.json()["missing"]:
                    put = await call(stats, "photo upload", client.put(
                        f"/api/photos/{digest}", content=data, headers={**headers, "Content-Type": "image/jpeg"}))
                    if put is not None and put.status_code in (200, 201):
                        stats.photos += 1
            records = []
            for i in range(args.batch):
                asset = assets[rng.randrange(len(assets))]
                records.append({"kind": "inspection", "id": str(uuid.uuid4()), "body": {
                    "asset_id": asset["id"],
                    "observed_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                    "position": {"lat": asset["lat"], "lon": asset["lon"], "accuracy_m": 5.0},
                    "observations": {}, "damages": [], "not_applicable": [], "notes": "load test",
                    "photos": [{"sha256": hashes[0], "damage_index": None}] if i == 0 and hashes else [],
                    "standards_version": bundle.json()["standards_version"],
                }})
            synced = await call(stats, "sync batch", client.post("/api/sync", json={"records": records}, headers=headers))
            if synced is not None and synced.status_code == 200:
                for result in synced.json()["results"]:
                    if result["status"] in (200, 201):
                        stats.records += 1
                    else:
                        stats.errors.append(f"record {result['id']}: {result['status']} {result.get('code')}")
            await think(rng, args)


async def supervisor(n: int, base: str, stats: Stats, args: argparse.Namespace, deadline: float) -> None:
    rng = random.Random(1000 + n)
    async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True) as client:
        await sign_in(client, *SUPERVISOR)
        for round_ in range(args.max_rounds * 4):
            if time.monotonic() > deadline:
                return
            path = SUPERVISOR_PAGES[(n + round_) % len(SUPERVISOR_PAGES)]
            await call(stats, f"page {path}", client.get(path))
            await think(rng, args)


async def think(rng: random.Random, args: argparse.Namespace) -> None:
    """A person's pause between actions: uniform around --think seconds (0 = flat out)."""
    if args.think > 0:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarise(stats: Stats, elapsed: float, args: argparse.Namespace) -> dict[str, Any]:
    kinds = {
        kind: {
            "count": len(values),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1),
        }
        for kind, values in sorted(stats.latencies.items())
    }
    pages = [v for k, vals in stats.latencies.items() if k.startswith("page ") for v in vals]
    return {
        "backend": args.backend, "workers": args.workers, "inspectors": args.inspectors,
        "supervisors": args.supervisors, "batch": args.batch, "think_s": args.think, "elapsed_s": round(elapsed, 1),
        "records": stats.records, "records_per_s": round(stats.records / elapsed, 1) if elapsed else 0.0,
        "photos_uploaded": stats.photos,
        "requests": sum(len(v) for v in stats.latencies.values()),
        "page_p95_ms": round(percentile(pages, 0.95) * 1000, 1) if pages else None,
        "errors": len(stats.errors), "first_errors": stats.errors[:10], "by_kind": kinds,
    }


async def run_load(base: str, args: argparse.Namespace) -> dict[str, Any]:
    photos = make_photos(args.photo_pool)
    stats = Stats()
    started = time.monotonic()
    deadline = started + args.duration
    await asyncio.gather(
        *(inspector(n, base, stats, photos, args, deadline) for n in range(args.inspectors)),
        *(supervisor(n, base, stats, args, deadline) for n in range(args.supervisors)),
    )
    return summarise(stats, time.monotonic() - started, args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--supervisors", type=int, default=10)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds, at most")
    parser.add_argument("--max-rounds", type=int, default=1000, help="batches per inspector, at most")
    parser.add_argument("--batch", type=int, default=50, help="records per sync batch")
    parser.add_argument("--photos", type=int, default=2, help="photos per batch")
    parser.add_argument("--photo-pool", type=int, default=60, help="distinct photos to draw from")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause between a user's actions in seconds (0 = as fast as possible)")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = prepare_database(args.backend, work)
        try:
            with running_server(url, work / "media", args.workers) as base:
                result = asyncio.run(run_load(base, args))
        finally:
            drop_database(url)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"load: {args.backend}, {args.workers} worker(s), {args.inspectors} inspectors, "
              f"{args.supervisors} supervisors, {result['elapsed_s']} s")
        print(f"  records synced: {result['records']} ({result['records_per_s']}/s), photos uploaded: "
              f"{result['photos_uploaded']}, requests: {result['requests']}, errors: {result['errors']}")
        print(f"  page p95: {result['page_p95_ms']} ms")
        for kind, row in result["by_kind"].items():
            print(f"  {kind:<22} n={row['count']:<6} p50={row['p50_ms']:>7} ms  p95={row['p95_ms']:>7} ms  "
                  f"p99={row['p99_ms']:>7} ms")
        for error in result["first_errors"]:
            print(f"  error: {error}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
