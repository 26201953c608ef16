"""Load harness: simulated inspectors syncing and supervisors browsing, against 127.0.0.1.

    python -m bench.load [--backend sqlite|postgresql] [--workers 1] [--inspectors 50]
                         [--supervisors 10] [--duration 30] [--batch 50] [--photos 2] [--think 0]
                         [--database-url URL --media DIR]

It makes a fresh database with the demo site (or uses `--database-url`, one prepared the
same way, and leaves it for inspection: tests/test_load_smoke.py), starts `fieldcheck
serve` on a free port on 127.0.0.1 (never anywhere else), and runs until `--duration`
seconds have passed or every simulated user has done `--max-rounds` rounds — bounded in
time and in count.

The start of the day comes first, untimed for the budgets but reported: every simulated
user signs in (a few at a time, as phones do over a morning; sign-in is deliberately slow
argon2 work) and every inspector downloads the offline bundle of its zones. Then the
clock starts. Inspectors send batches of inspection records through the sync API after
uploading the batch's photos (only the missing ones, as the phone does); supervisors go
round the defect map (the page and its GeoJSON), the order list and the standards.
`--think` is a person's pause between actions (the page-latency budget is measured that
way), and each user's first action also comes after one such pause, so sixty people do
not move in lockstep; with 0 every simulated user goes flat out (the ingest budget).

The phones are not on the server's cores in reality, so the generator keeps its own work
small: photos are made and hashed before the clock starts. Its CPU share during the run is
printed next to the server's and the database's (read from /proc, Linux only). Prints
throughput, p50/p95/p99 latency per kind of request and every error; `--json` prints the
same as JSON. Exit status 1 when any request failed.
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("FIELDCHECK_TEST_PG", "postgres@127.0.0.1:5432")
INSPECTORS = [("inspector", "Inspect-2026-demo"), ("inspector2", "Inspect-2026-demo2")]
SUPERVISOR = ("supervisor", "Super-2026-demo")
# A supervisor's round: the defect map page and its data, the list of orders, the lists of
# defects at the urgent end, the standards.
SUPERVISOR_PAGES = [
    "/supervise", "/supervise/map", "/api/defects.geojson?view=map", "/api/map/assets.geojson",
    "/supervise/orders", "/supervise/map?severity=urgent&status=open", "/standards",
]
PAGE_P95_BUDGET_MS = 250  # issue 6
SIGN_INS_AT_ONCE = 4
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    records: int = 0
    photos: int = 0

    def timed(self, kind: str, seconds: float) -> None:
        self.latencies[kind].append(seconds)


@dataclass
class Server:
    """A running `fieldcheck serve`: its address, and its process (the workers are its children)."""

    base: str
    pid: int


@dataclass
class Photo:
    data: bytes
    sha256: str


@dataclass
class User:
    """A simulated person, signed in: a supervisor, or an inspector with its zones' assets."""

    n: int
    client: httpx.AsyncClient
    headers: dict[str, str]
    assets: list[dict[str, Any]] = field(default_factory=list)
    standards_version: str = ""


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
def serving(url: str, media: Path, workers: int) -> Iterator[Server]:
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
        yield Server(base, proc.pid)
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


@contextlib.contextmanager
def running_server(url: str, media: Path, workers: int) -> Iterator[str]:
    """`serving`, for callers that need only the base URL."""
    with serving(url, media, workers) as server:
        yield server.base


def _cpu_seconds(stat_line: str) -> float:
    fields = stat_line.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _processes() -> Iterator[tuple[int, int, str, float]]:
    """(pid, parent pid, command name, CPU seconds) of every process /proc shows."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                line = Path(entry.path, "stat").read_text()
                fields = line.rsplit(")", 1)[1].split()
                yield int(entry.name), int(fields[1]), line[line.index("(") + 1:line.rindex(")")], _cpu_seconds(line)


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by `pid` and its descendants (0 where /proc is missing)."""
    if not os.path.isdir("/proc"):
        return 0.0
    rows = list(_processes())
    children: dict[int, list[int]] = defaultdict(list)
    for child, parent, _, _ in rows:
        children[parent].append(child)
    tree, stack = set(), [pid]
    while stack:
        tree.add(current := stack.pop())
        stack.extend(children[current])
    return sum(cpu for p, _, _, cpu in rows if p in tree)


def database_cpu() -> float:
    """CPU seconds used so far by the local PostgreSQL server's processes (0 if none is visible).

    All of the server's databases count: on a shared machine, other users' queries too.
    """
    if not os.path.isdir("/proc"):
        return 0.0
    return sum(cpu for _, _, name, cpu in _processes() if name.startswith("postgres"))


def own_cpu() -> float:
    """CPU seconds this process (the load generator) has used so far."""
    times = os.times()
    return times.user + times.system


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


async def start_day(n: int, base: str, credentials: tuple[str, str], inspector: bool, setup: Stats,
                    gate: asyncio.Semaphore) -> User | None:
    """Sign one person in (a few at a time) and, for an inspector, download the offline bundle."""
    client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True)
    async with gate:
        started = time.perf_counter()
        try:
            headers = await sign_in(client, *credentials)
        except (httpx.HTTPError, RuntimeError) as exc:
            setup.errors.append(f"sign in: {exc}")
            await client.aclose()
            return None
        setup.timed("sign in", time.perf_counter() - started)
    user = User(n, client, headers)
    if inspector:
        bundle = await call(setup, "offline bundle", client.get("/api/offline/bundle", headers=headers))
        if bundle is None or bundle.status_code != 200:
            await client.aclose()
            return None
        document = bundle.json()
        user.assets = [a for a in document["assets"] if a["active"]]
        user.standards_version = document["standards_version"]
    return user


async def inspector(user: User, stats: Stats, photos: list[Photo], args: argparse.Namespace, deadline: float) -> None:
    rng = random.Random(user.n)
    client, headers = user.client, user.headers
    await think(rng, args)
    for _ in range(args.max_rounds):
        if time.monotonic() > deadline:
            return
        batch_photos = [photos[rng.randrange(len(photos))] for _ in range(args.photos)]
        hashes = [p.sha256 for p in batch_photos]
        missing = await call(stats, "photos missing", client.post("/api/photos/missing", json={"sha256": hashes}, headers=headers))
        if missing is None or missing.status_code != 200:
            continue
        for photo in batch_photos:
            if photo.sha256 in missing.json()["missing"]:
                put = await call(stats, "photo upload", client.put(
                    f"/api/photos/{photo.sha256}", content=photo.data, headers={**headers, "Content-Type": "image/jpeg"}))
                if put is not None and put.status_code in (200, 201):
                    stats.photos += 1
        records = []
        for i in range(args.batch):
            asset = user.assets[rng.randrange(len(user.assets))]
            records.append({"kind": "inspection", "id": str(uuid.uuid4()), "body": {
                "asset_id": asset["id"],
                "observed_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                "position": {"lat": asset["lat"], "lon": asset["lon"], "accuracy_m": 5.0},
                "observations": {}, "damages": [], "not_applicable": [], "notes": "load test",
                "photos": [{"sha256": hashes[0], "damage_index": None}] if i == 0 and hashes else [],
                "standards_version": user.standards_version,
            }})
        synced = await call(stats, "sync batch", client.post("/api/sync", json={"records": records}, headers=headers))
        if synced is not None and synced.status_code == 200:
            for result in synced.json()["results"]:
                if result["status"] in (200, 201):
                    stats.records += 1
                else:
                    stats.errors.append(f"record {result['id']}: {result['status']} {result.get('code')}")
        await think(rng, args)


async def supervisor(user: User, stats: Stats, args: argparse.Namespace, deadline: float) -> None:
    rng = random.Random(1000 + user.n)
    await think(rng, args)
    for round_ in range(args.max_rounds * 4):
        if time.monotonic() > deadline:
            return
        path = SUPERVISOR_PAGES[(user.n + round_) % len(SUPERVISOR_PAGES)]
        await call(stats, f"page {path}", user.client.get(path))
        await think(rng, args)


async def think(rng: random.Random, args: argparse.Namespace) -> None:
    """A person's pause between actions: uniform around --think seconds (0 = flat out)."""
    if args.think > 0:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _by_kind(stats: Stats) -> dict[str, dict[str, float | int]]:
    return {
        kind: {
            "count": len(values),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(values) * 1000, 1),
        }
        for kind, values in sorted(stats.latencies.items())
    }


def summarise(stats: Stats, setup: Stats, elapsed: float, cpu: dict[str, float], args: argparse.Namespace) -> dict[str, Any]:
    pages = [v for k, vals in stats.latencies.items() if k.startswith("page ") for v in vals]
    page_p95 = round(percentile(pages, 0.95) * 1000, 1) if pages else None
    errors = setup.errors + stats.errors
    return {
        "backend": args.backend, "workers": args.workers, "inspectors": args.inspectors,
        "supervisors": args.supervisors, "batch": args.batch, "think_s": args.think, "elapsed_s": round(elapsed, 1),
        "records": stats.records, "records_per_s": round(stats.records / elapsed, 1) if elapsed else 0.0,
        "photos_uploaded": stats.photos,
        "requests": sum(len(v) for v in stats.latencies.values()),
        "page_p95_ms": page_p95, "page_p95_budget_ms": PAGE_P95_BUDGET_MS,
        "page_p95_met": page_p95 is not None and page_p95 <= PAGE_P95_BUDGET_MS,
        "cpu": {key: round(value, 1) for key, value in cpu.items()}
        | {f"{key}_share": round(value / elapsed, 2) for key, value in cpu.items() if elapsed},
        "errors": len(errors), "first_errors": errors[:10], "by_kind": _by_kind(stats),
        "setup": _by_kind(setup),
    }


async def run_load(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    """Start the day (sign-ins, bundles), then run the timed window; the summary as a dict."""
    photos = [Photo(data, hashlib.sha256(data).hexdigest()) for data in make_photos(args.photo_pool)]
    stats, setup = Stats(), Stats()
    gate = asyncio.Semaphore(SIGN_INS_AT_ONCE)
    people = await asyncio.gather(
        *(start_day(n, server.base, INSPECTORS[n % len(INSPECTORS)], True, setup, gate) for n in range(args.inspectors)),
        *(start_day(n, server.base, SUPERVISOR, False, setup, gate) for n in range(args.supervisors)),
    )
    inspectors = [u for u in people[:args.inspectors] if u is not None]
    supervisors = [u for u in people[args.inspectors:] if u is not None]
    before = {"generator": own_cpu(), "server": process_tree_cpu(server.pid), "database": database_cpu()}
    started = time.monotonic()
    deadline = started + args.duration
    try:
        await asyncio.gather(
            *(inspector(u, stats, photos, args, deadline) for u in inspectors),
            *(supervisor(u, stats, args, deadline) for u in supervisors),
        )
    finally:
        elapsed = time.monotonic() - started
        cpu = {"generator": own_cpu() - before["generator"], "server": process_tree_cpu(server.pid) - before["server"]}
        if args.backend == "postgresql":
            cpu["database"] = database_cpu() - before["database"]
        for user in inspectors + supervisors:
            await user.client.aclose()
    return summarise(stats, setup, elapsed, cpu, args)


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
    parser.add_argument("--database-url", help="use this database (migrated, demo site loaded) and leave it as it "
                        "ends up; default: a fresh one of --backend, dropped afterwards")
    parser.add_argument("--media", type=Path, help="the server's photo folder with --database-url (default: temporary)")
    args = parser.parse_args(argv)
    if args.database_url:
        args.backend = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
    return args


def report(result: dict[str, Any], args: argparse.Namespace) -> None:
    """The summary as text."""
    print(f"load: {args.backend}, {args.workers} worker(s), {args.inspectors} inspectors, "
          f"{args.supervisors} supervisors, think {args.think} s, {result['elapsed_s']} s")
    print(f"  records synced: {result['records']} ({result['records_per_s']}/s), photos uploaded: "
          f"{result['photos_uploaded']}, requests: {result['requests']}, errors: {result['errors']}")
    verdict = "met" if result["page_p95_met"] else "NOT met"
    print(f"  page p95: {result['page_p95_ms']} ms (budget {PAGE_P95_BUDGET_MS} ms: {verdict})")
    print("  CPU during the run: " + ", ".join(
        f"{key} {value} s ({result['cpu'][key + '_share']:.0%} of one core)"
        for key, value in result["cpu"].items() if not key.endswith("_share")))
    for title, rows in (("", result["by_kind"]), ("start of day (untimed): ", result["setup"])):
        for kind, row in rows.items():
            print(f"  {title + kind:<38} n={row['count']:<6} p50={row['p50_ms']:>7} ms  p95={row['p95_ms']:>7} ms  "
                  f"p99={row['p99_ms']:>7} ms")
    for error in result["first_errors"]:
        print(f"  error: {error}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.database_url or prepare_database(args.backend, work)
        try:
            with serving(url, args.media or work / "media", args.workers) as server:
                result = asyncio.run(run_load(server, args))
        finally:
            if not args.database_url:
                drop_database(url)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result, args)
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
