"""Machinery of the fault tests: the app as a real process that can be killed or frozen, a
phone that retries like the real one, records and a check that each was stored exactly
once and whole, a small real filesystem that fills up, and bodies cut off on a socket.

Everything here talks to 127.0.0.1 only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from server.accounts.models import UserZone
from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.defects.models import Defect, DefectEvidence
from server.inspections.models import ClauseResult, Inspection
from sync.models import SyncReceipt
from tests.browser.conftest import LiveServer
from tests.factories import PASSWORD, add_site_with_asset, add_user

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PASSING = {"damage_pct": 0, "usable": True, "missing_pct": 0, "tilt_affects_use": False, "rust_pct": 0}
FAILING = {**PASSING, "damage_pct": 40}
_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


# ---- the app as a process ------------------------------------------------------------------


class AppProcess(LiveServer):
    """The app under uvicorn in its own process (tests/browser/conftest.py's LiveServer),
    which a fault test may also freeze (SIGSTOP) or kill outright (SIGKILL)."""

    @property
    def pid(self) -> int:
        assert self.process is not None and self.process.poll() is None, "the app is not running"
        return self.process.pid

    def freeze(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no rollback, no flush — what a power cut does to a process."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


# ---- test data -------------------------------------------------------------------------------


@dataclass
class Site:
    """What a phone needs on a fresh database: an inspector of one zone with some assets."""

    username: str
    assets: list[uuid.UUID]


async def seed_site(database: Database, *, assets: int = 4, username: str = "faulty") -> Site:
    """A zone with `assets` benches and an inspector assigned to it."""
    ids = await add_site_with_asset(database)
    asset_ids = [ids["asset"]]
    async with database.session() as s:
        for n in range(2, assets + 1):
            asset = Asset(zone_id=ids["zone"], category="seating", code=f"Z-{n}", name=f"Bench {n}",
                          lat=32.105, lon=118.705, qr_token=f"qr-z-{n}")
            s.add(asset)
            await s.flush()
            asset_ids.append(asset.id)
    user_id = await add_user(database, username, "inspector", language="en")
    async with database.session() as s:
        s.add(UserZone(user_id=user_id, zone_id=ids["zone"]))
    return Site(username=username, assets=asset_ids)


def inspection_records(site: Site, count: int, *, notes: str = "", start: int = 0) -> list[dict[str, Any]]:
    """`count` inspection records over the site's assets, a failing one now and then (so
    defects are opened, given evidence and passed), each observed a minute after the last."""
    base = dt.datetime.now(SHANGHAI) - dt.timedelta(days=1)
    records = []
    for n in range(start, start + count):
        observed = (base + dt.timedelta(minutes=n)).isoformat(timespec="seconds")
        body = {
            "asset_id": str(site.assets[n % len(site.assets)]),
            "observed_at": observed,
            "position": {"lat": 32.1051, "lon": 118.7052, "accuracy_m": 6.5},
            "observations": dict(FAILING if n % 3 == 0 else PASSING),
            "damages": [],
            "not_applicable": [],
            "notes": notes,
            "photos": [],
            "standards_version": "2026.1",
        }
        records.append({"kind": "inspection", "id": str(uuid.uuid4()), "body": body})
    return records


async def assert_stored_once(database: Database, records: list[dict[str, Any]],
                             results: list[dict[str, Any]]) -> None:
    """Every record stored exactly once and whole: the inspection with its notes, all its
    clause results, a receipt holding the answer the phone got, one `inspection.received`
    audit event, the defects it opened and one piece of evidence per failing clause."""
    ids = [uuid.UUID(r["id"]) for r in records]
    answered = {uuid.UUID(r["id"]): r["result"] for r in results}
    assert set(answered) == set(ids)
    async with database.session(write=False) as s:
        stored = {i.id: i for i in (await s.scalars(select(Inspection).where(Inspection.id.in_(ids)))).all()}
        assert set(stored) == set(ids), f"{len(ids) - len(stored)} records missing"
        for record in records:
            assert stored[uuid.UUID(record["id"])].notes == record["body"]["notes"]  # not cut short
        receipts = (await s.execute(select(SyncReceipt.id, SyncReceipt.result).where(SyncReceipt.id.in_(ids)))).all()
        assert sorted(r.id for r in receipts) == sorted(ids)
        for receipt_id, result in receipts:
            assert result["clauses"] == answered[receipt_id]["clauses"]
        clauses: dict[uuid.UUID, dict[str, str]] = {i: {} for i in ids}
        for row in await s.execute(select(ClauseResult).where(ClauseResult.inspection_id.in_(ids))):
            clauses[row[0].inspection_id][row[0].clause_id] = row[0].result
        evidence: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
        for inspection_id, clause_id in await s.execute(
            select(DefectEvidence.inspection_id, Defect.clause_id)
            .join(Defect, Defect.id == DefectEvidence.defect_id).where(DefectEvidence.inspection_id.in_(ids))
        ):
            evidence[inspection_id].append(clause_id)
        received = (await s.execute(
            select(AuditEvent.entity_id, func.count()).where(
                AuditEvent.action == "inspection.received", AuditEvent.entity_id.in_([str(i) for i in ids])
            ).group_by(AuditEvent.entity_id)
        )).all()
        opened = [uuid.UUID(d) for result in answered.values() for d in result["defects_opened"]]
        openers = dict((await s.execute(select(Defect.id, Defect.opened_by_inspection_id)
                                        .where(Defect.id.in_(opened)))).all()) if opened else {}
    for inspection_id, result in answered.items():
        assert clauses[inspection_id] == result["clauses"], "clause results missing or different"
        failing = sorted(c for c, verdict in result["clauses"].items() if verdict == "fail")
        assert sorted(evidence[inspection_id]) == failing, "defect evidence missing or twice"
        for defect_id in result["defects_opened"]:
            assert openers.get(uuid.UUID(defect_id)) == inspection_id
    assert sorted(received) == sorted((str(i), 1) for i in ids), "inspection.received not exactly once each"
    assert len(openers) == len(opened)


# ---- the phone -------------------------------------------------------------------------------


class Phone:
    """The phone's side of docs/sync.md, over real HTTP: signed in, CSRF header, device id."""

    def __init__(self, base_url: str, username: str, *, device: str = "fault-phone", timeout: float = 30) -> None:
        self.username = username
        self.device = device
        self.http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def __aenter__(self) -> Phone:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.http.aclose()

    async def sign_in(self) -> None:
        page = await self.http.get("/login")
        token = _CSRF_INPUT.search(page.text)
        assert token, "no CSRF field on /login"
        answer = await self.http.post("/login", data={"username": self.username, "password": PASSWORD,
                                                       "_csrf_token": token.group(1)})
        assert answer.status_code in (200, 303), answer.text

    def headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.http.cookies.get("fc_csrf") or "", "X-Device-Id": self.device,
                "Accept-Language": "en", "Content-Type": "application/json"}

    async def send(self, records: list[dict[str, Any]]) -> httpx.Response:
        return await self.http.post("/api/sync", content=batch_bytes(records), headers=self.headers())

    def send_blocking(self, records: list[dict[str, Any]]) -> httpx.Response:
        """The same POST from another thread (a sync client with this phone's cookies)."""
        with httpx.Client(base_url=self.http.base_url, cookies=self.http.cookies, timeout=60) as http:
            return http.post("/api/sync", content=batch_bytes(records), headers=self.headers())


def batch_bytes(records: list[dict[str, Any]]) -> bytes:
    """A batch as the phone's JSON.stringify sends it: UTF-8, not \\u-escaped."""
    return json.dumps({"records": records}, ensure_ascii=False).encode()


@dataclass
class Outcome:
    """How one attempt at a batch ended, as the phone saw it."""

    status: int | None  # None: the connection failed or dropped
    detail: str


@dataclass
class SyncLog:
    """Every attempt of a phone's sync loop, to judge afterwards."""

    attempts: list[Outcome] = field(default_factory=list)

    def failures(self) -> list[Outcome]:
        return [a for a in self.attempts if a.status != 200]


async def sync_until_stored(phone: Phone, records: list[dict[str, Any]], log: SyncLog, *, deadline: float,
                            first_wait: float = 0.1, max_wait: float = 1.0) -> list[dict[str, Any]]:
    """Send `records` as the phone does: network errors and 5xx are retried with backoff and
    the same ids; a 200 is final. Returns the per-record results; fails on anything else
    (a refusal, or a 5xx that is not the app's JSON error)."""
    wait = first_wait
    while True:
        try:
            answer = await phone.send(records)
        except httpx.TransportError as exc:  # refused, reset, or closed mid-answer
            log.attempts.append(Outcome(None, f"{type(exc).__name__}: {exc}"))
        else:
            log.attempts.append(Outcome(answer.status_code, answer.text[:300]))
            if answer.status_code == 200:
                return answer.json()["results"]
            assert answer.status_code >= 500, f"a refusal where the phone retries: {answer.status_code} {answer.text}"
            error = answer.json()  # a 5xx is the app's JSON error, never an HTML page or a traceback
            assert set(error) >= {"code", "message", "field", "errors"}, error
        assert time.monotonic() < deadline, f"not stored in time; attempts: {log.attempts[-5:]}"
        await asyncio.sleep(wait)
        wait = min(max_wait, wait * 2)


@dataclass
class Load:
    """Phones sending batch after batch at the app, and what each of them met."""

    batches: list[list[list[dict[str, Any]]]]  # per phone, its batches in order
    logs: list[SyncLog]
    results: list[dict[str, Any]] = field(default_factory=list)
    stored: int = 0  # batches answered 200 so far, all phones together

    @property
    def records(self) -> list[dict[str, Any]]:
        return [r for per_phone in self.batches for batch in per_phone for r in batch]

    def failures(self) -> list[Outcome]:
        return [a for log in self.logs for a in log.failures()]

    async def until_stored(self, batches: int) -> None:
        """Wait until `batches` batches have been stored (the phones' loops are bounded)."""
        while self.stored < batches:
            await asyncio.sleep(0.01)


async def send_under_load(base_url: str, site: Site, disrupt: Callable[[Load], Awaitable[None]], *,
                          phones: int, batches: int, records: int = 10, within: float = 90) -> Load:
    """`phones` phones (one inspector, a device each) each send `batches` batches of
    `records` inspections, one after the other, retrying as the phone does, while
    `disrupt(load)` does its damage. Returns once every batch was answered 200."""
    load = Load(
        batches=[[inspection_records(site, records, start=(p * batches + b) * records) for b in range(batches)]
                 for p in range(phones)],
        logs=[SyncLog() for _ in range(phones)],
    )
    deadline = time.monotonic() + within

    async def send(phone: Phone, n: int) -> None:
        for batch in load.batches[n]:
            answer = await sync_until_stored(phone, batch, load.logs[n], deadline=deadline, first_wait=0.05)
            assert {r["outcome"] for r in answer} <= {"created", "duplicate"}, answer
            load.results.extend(answer)
            load.stored += 1

    async with contextlib.AsyncExitStack() as stack:
        signed_in = []
        for n in range(phones):  # one after the other: signing in is not what is tested here
            phone = await stack.enter_async_context(Phone(base_url, site.username, device=f"fault-phone-{n}"))
            await phone.sign_in()
            signed_in.append(phone)
        await asyncio.gather(disrupt(load), *(send(phone, n) for n, phone in enumerate(signed_in)))
    return load


@contextlib.asynccontextmanager
async def health_watch(base_url: str) -> AsyncIterator[list[int | None]]:
    """Poll /health every 20 ms while the block runs; the statuses seen (None: no answer)."""
    seen: list[int | None] = []
    stop = asyncio.Event()

    async def watch() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
            while not stop.is_set():
                try:
                    seen.append((await http.get("/health")).status_code)
                except httpx.TransportError:
                    seen.append(None)
                await asyncio.sleep(0.02)

    task = asyncio.create_task(watch())
    try:
        yield seen
    finally:
        stop.set()
        await task


# ---- a small filesystem --------------------------------------------------------------------------


@contextlib.contextmanager
def small_filesystem(path: Path, size_kb: int, *, inodes: int | None = None) -> Iterator[Path]:
    """A real filesystem of `size_kb` (and at most `inodes` files and folders) mounted at
    `path` — a tmpfs, which needs root or CAP_SYS_ADMIN — so "no space left on device"
    comes from the kernel, not from a mock."""
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kb}k,mode=0755" + (f",nr_inodes={inodes}" if inodes else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                             check=False, capture_output=True, text=True)
    if mounted.returncode != 0:
        raise RuntimeError(f"cannot mount a tmpfs at {path} (the fault tests need root): {mounted.stderr}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def free_bytes(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def fill_up(path: Path, leave: int = 0) -> Path:
    """Take every byte of the filesystem at `path` but `leave` (rounded to its blocks)."""
    filler = path / "filler.bin"
    block = b"\0" * 65536
    with filler.open("wb") as out:
        while (room := free_bytes(path) - leave) > 0:
            try:
                out.write(block[: min(len(block), room)])
                out.flush()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
    return filler


def use_up_inodes(path: Path) -> list[Path]:
    """Make empty files at `path` until the filesystem has no inode left (a disk can be
    "full" with bytes to spare); returns them, to give the inodes back."""
    made = []
    for n in range(100_000):
        try:
            (path / f"filler-{n}").touch()
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
            return made
        made.append(path / f"filler-{n}")
    raise AssertionError(f"{path} still had inodes after {len(made)} files")


def files_under(path: Path) -> list[str]:
    """Every file under `path` (relative names), but the fillers."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file() and not p.name.startswith("filler"))


# ---- bytes cut off on a real socket -----------------------------------------------------------------


def send_cut_off(port: int, method: str, target: str, headers: dict[str, str], announced: int,
                 sent: bytes) -> socket.socket:
    """Open a connection, send a request that announces `announced` body bytes but only
    `sent`, and return the socket still open (close it to drop the connection, as a phone
    that loses its signal does)."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {announced}",
             *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall("\r\n".join(lines).encode() + sent)
    return conn


def wait_for(condition: Any, what: str, timeout: float = 10, every: float = 0.02) -> Any:
    """Poll `condition()` until it is truthy (bounded), and return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)
