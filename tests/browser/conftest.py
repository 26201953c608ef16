"""Playwright infrastructure for the browser tests: a live server, real Chromium, profiles.

- `live_server`: the app under uvicorn in a subprocess (so a test can stop it and start it
  again on the same port: the same origin for the browser), on a fresh copy of a migrated
  database with the demo site loaded, with its media under the test's tmp folder.
- `browser`: Debian's Chromium (`/usr/bin/chromium`) driven by Python Playwright; never
  `playwright install`.
- `profile`: a persistent user-data-dir; `profile.reopen()` closes the browser and opens it
  again on the same profile (IndexedDB, caches, service worker and cookies survive).
- `inspector_page`: a page signed in as the demo inspector, with the service worker in
  control.

Mark browser tests `@pytest.mark.browser`. The page's CSP forbids eval, so wait with
`page.wait_for_selector` or with the helpers here, not `page.wait_for_function("…")`.
Offline: `context.set_offline(True)` (it covers the service worker too). To make the
server fail: `context.route("**/api/sync", …)` — `context.route` also sees the requests the
service worker makes, `page.route` does not.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.core.config import REPO_ROOT
from tests.conftest import DEMO_TODAY, _pg_admin

CHROMIUM = os.environ.get("FIELDCHECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSPECTOR = ("inspector", "Inspect-2026-demo")
BACKEND = os.environ.get("FIELDCHECK_TEST_DB", "sqlite")
PG = os.environ.get("FIELDCHECK_TEST_PG", "postgres@127.0.0.1:5432")
SECRET = "browser-tests-secret-not-for-production"


@pytest.fixture(scope="session", autouse=True)
def _chromium_required() -> None:
    """Without Chromium the browser tests (every test here) fail, never skip; checked before
    any other fixture of the session starts a server or a browser. `make test-deps` installs it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}; `make test-deps` installs Debian's chromium")


# ---- the database ------------------------------------------------------------------------


def _run_async(coro: Any) -> Any:
    """Run `coro` to the end in a thread of its own: sync Playwright keeps an event loop
    running in the test's thread, where asyncio.run() is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def demo_template_url(database_factory: Any) -> str:
    """A migrated database with the demo site loaded, never written to by a test: cloned."""
    from server.core.config import DatabaseSettings
    from server.core.db import Database
    from server.demo import load_demo

    url = database_factory.fresh()

    async def load() -> None:
        db = Database.connect(DatabaseSettings(url=url))
        try:
            await load_demo(db, today=DEMO_TODAY)
        finally:
            await db.dispose()

    _run_async(load())
    return url


def clone_database(template_url: str, name: str) -> str:
    """A copy of the database at `template_url` (a file copy, or CREATE DATABASE … TEMPLATE)."""
    if template_url.startswith("sqlite"):
        source = Path(template_url.split(":///", 1)[1])
        target = source.with_name(f"{name}.db")
        shutil.copyfile(source, target)
        return f"sqlite+aiosqlite:///{target}"
    template = template_url.rsplit("/", 1)[1]
    _run_async(_pg_admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    return template_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str) -> None:
    if not url.startswith("sqlite"):
        name = url.rsplit("/", 1)[1]
        _run_async(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def query(url: str, statement: Any, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of `statement` (SQL text, or a SQLAlchemy select: it converts UUIDs for each
    backend) on the live server's database, to check what the server stored."""
    if isinstance(statement, str):
        statement = text(statement)

    async def run() -> list[tuple[Any, ...]]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in (await conn.execute(statement, params)).all()]
        finally:
            await engine.dispose()

    return _run_async(run())


# ---- the live server ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """`uvicorn server.app:create_app` in a subprocess; stop() and start() keep the port."""

    def __init__(self, database_url: str, media_root: Path, log_path: Path) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media_root),
            # A fixed secret: CSRF cookies stay valid across a restart, as in production.
            "SECRET_KEY": SECRET,
            "DEFAULT_LANGUAGE": "en",
            "FIELDCHECK_DEBUG": "0",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not answer /health within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def query(self, statement: Any, **params: Any) -> list[tuple[Any, ...]]:
        """Rows of SQL text or a SQLAlchemy statement on this server's database."""
        return query(self.database_url, statement, **params)


@pytest.fixture
def live_server(demo_template_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The app on its own copy of the demo database, for one test."""
    name = f"fc_live_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    url = clone_database(demo_template_url, name)
    server = LiveServer(url, tmp_path / "media", tmp_path / "server.log")
    server.start()
    yield server
    server.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- server log ---\n{server.log()}")
    drop_database(url)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# ---- Chromium ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright(demo_template_url: str) -> Iterator[Any]:
    """Sync Playwright. Started after the demo template exists: the database fixtures of
    tests/conftest.py call asyncio.run(), which fails once Playwright's loop is running."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    """One Chromium for the session; tests open their own contexts (fresh profiles)."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


def context_options(base_url: str) -> dict[str, Any]:
    return {"base_url": base_url, "locale": "en-US", "service_workers": "allow", "viewport": {"width": 412, "height": 860}}


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh, incognito-like browser context on the live server."""
    ctx = browser.new_context(**context_options(live_server.url))
    yield ctx
    ctx.close()


class Profile:
    """A browser profile on disk: open() launches Chromium on it, reopen() = close and open
    the browser again, as a phone's browser is killed and started."""

    def __init__(self, playwright: Any, directory: Path, base_url: str) -> None:
        self.playwright = playwright
        self.directory = directory
        self.base_url = base_url
        self.context: Any = None

    def open(self) -> Any:
        assert self.context is None, "already open"
        self.context = self.playwright.chromium.launch_persistent_context(
            str(self.directory), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **context_options(self.base_url)
        )
        return self.context

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None

    def reopen(self) -> Any:
        self.close()
        return self.open()


@pytest.fixture
def profile(playwright: Any, live_server: LiveServer, tmp_path: Path) -> Iterator[Profile]:
    p = Profile(playwright, tmp_path / "chromium-profile", live_server.url)
    yield p
    p.close()


# ---- pages ---------------------------------------------------------------------------------


def sign_in(page: Any, username: str = INSPECTOR[0], password: str = INSPECTOR[1], landing: str = "**/inspect") -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(landing)


def open_menu(page: Any) -> None:
    """Open the inspector's compact bar's menu (a phone-sized window folds the offline panel,
    the language and sign-out into it); nothing to do where they sit in the bar."""
    button = page.locator("#fc-menu-button")
    if button.count() and button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()


def wait_until(page: Any, js: str, timeout_ms: int = 15000, arg: Any = None) -> Any:
    """Evaluate `js` (an expression or a function, maybe async) until it is truthy.

    CSP-safe, unlike `page.wait_for_function("…")`, which needs eval in the page."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        value = page.evaluate(js, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms} ms waiting for: {js}")
        time.sleep(0.1)


def wait_for_service_worker(page: Any) -> None:
    """Until the service worker controls the page (its install precached the shell).

    `clients.claim()` on activation takes the pages open at that moment; a page whose
    navigation began while the worker was activating (likely on a loaded machine) is only
    controlled from its next load, as on a phone. So: wait until a worker is active, then
    reload once if it still does not control this page."""
    active = "async () => { const r = await navigator.serviceWorker.getRegistration(); " \
             "return !!(r && r.active && r.active.state === 'activated'); }"
    wait_until(page, active, 60000)
    try:
        wait_until(page, "() => !!navigator.serviceWorker.controller", 5000)
    except AssertionError:
        page.reload()
        wait_until(page, "() => !!navigator.serviceWorker.controller", 15000)


def collect_errors(page: Any) -> list[str]:
    """Page errors and CSP violations seen by `page`, for asserting none happened."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    return errors


@pytest.fixture
def inspector_page(context: Any) -> Any:
    """A page signed in as the demo inspector on /inspect, the service worker in control."""
    page = context.new_page()
    sign_in(page)
    wait_for_service_worker(page)
    return page


@pytest.fixture
def empty_server(database_factory: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The app on an EMPTY install: a migrated database with no demo and one admin user
    (`EMPTY_ADMIN`), made as an operator would with `fieldcheck create-user`."""
    from server.accounts.service import create_user
    from server.core.config import DatabaseSettings
    from server.core.db import Database

    name = f"fc_empty_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    url = clone_database(database_factory.url(database_factory.template), name)

    async def add_admin() -> None:
        db = Database.connect(DatabaseSettings(url=url))
        try:
            async with db.session() as session:
                await create_user(session, EMPTY_ADMIN[0], "管理员", "admin", EMPTY_ADMIN[1])
        finally:
            await db.dispose()

    _run_async(add_admin())
    server = LiveServer(url, tmp_path / "media", tmp_path / "server.log")
    server.start()
    yield server
    server.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- server log ---\n{server.log()}")
    drop_database(url)


EMPTY_ADMIN = ("root", "Run-the-parks-2026")
