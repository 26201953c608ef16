"""Shared fixtures: a real database (SQLite file or PostgreSQL), the app, signed-in clients.

Which database the run uses is chosen by FIELDCHECK_TEST_DB: `sqlite` (default) or
`postgresql` (the server at FIELDCHECK_TEST_PG, default 127.0.0.1:5432, user postgres).
`make test` runs the whole suite once with each. Every test that takes `database` gets a
fresh migrated database: a copy of a migrated SQLite file, or a PostgreSQL database
created from a migrated template.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from server.core.config import DatabaseSettings, get_settings
from server.core.db import Database
from server.migrate import upgrade

BACKEND = os.environ.get("FIELDCHECK_TEST_DB", "sqlite")
# The day the demo's history ends in every test that loads it: the demo is built from its
# `today`, so a test that reads demo facts ("Z1-SE-001 has an open SE-2 defect") needs the
# same demo on every day the suite runs. Nothing may compare it with the wall clock.
DEMO_TODAY = dt.date(2026, 11, 22)
PG = os.environ.get("FIELDCHECK_TEST_PG", "postgres@127.0.0.1:5432")
_counter = itertools.count()


def pytest_report_header() -> str:
    return f"fieldcheck test database: {BACKEND}"


@dataclass
class DatabaseFactory:
    """Makes fresh migrated databases quickly for one backend."""

    root: Path
    template: str = ""

    def url(self, name: str) -> str:
        if BACKEND == "sqlite":
            return f"sqlite+aiosqlite:///{self.root / (name + '.db')}"
        return f"postgresql+asyncpg://{PG}/{name}"

    def prepare_template(self) -> None:
        self.template = f"fc_tpl_{os.getpid()}"
        if BACKEND == "sqlite":
            upgrade(self.url(self.template))
        else:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self.template}"', f'CREATE DATABASE "{self.template}"'))
            upgrade(self.url(self.template))

    def fresh(self) -> str:
        name = f"fc_t_{os.getpid()}_{next(_counter)}"
        if BACKEND == "sqlite":
            shutil.copyfile(self.root / f"{self.template}.db", self.root / f"{name}.db")
        else:
            asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return self.url(name)

    def drop(self, url: str) -> None:
        if BACKEND != "sqlite":
            name = url.rsplit("/", 1)[-1]
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_template(self) -> None:
        if BACKEND != "sqlite":
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))


async def _pg_admin(*statements: str) -> None:
    conn = await asyncpg.connect(f"postgresql://{PG}/postgres")
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def record_kinds() -> None:
    """The sync record kinds, as create_app registers them: tests that parse or receive
    records without an app (sync.protocol, sync.service) see the same kinds, in any order."""
    from server.app import register_record_kinds

    register_record_kinds()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    factory.prepare_template()
    yield factory
    factory.drop_template()


@pytest.fixture
def database_url(database_factory: DatabaseFactory) -> Iterator[str]:
    """The URL of a fresh, migrated, empty database."""
    url = database_factory.fresh()
    yield url
    database_factory.drop(url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A fresh, migrated, empty database, connected."""
    db = Database.connect(DatabaseSettings(url=database_url))
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def demo_database_url(database_factory: DatabaseFactory) -> Iterator[str]:
    """One database with the demo site loaded, shared by tests that only read demo data."""
    from server.demo import load_demo

    url = database_factory.fresh()

    async def load() -> None:
        db = Database.connect(DatabaseSettings(url=url))
        try:
            await load_demo(db, today=DEMO_TODAY)
        finally:
            await db.dispose()

    asyncio.run(load())
    yield url
    database_factory.drop(url)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test reads settings afresh, with media under its own tmp folder."""
    from server.core.workorder_settings import get_workorder_settings

    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))
    monkeypatch.setenv("MEDIA_STORE", "folder")  # a bucket only where a test asks (`media_store`)
    # No background job rounds inside tests; the jobs have tests of their own.
    monkeypatch.setenv("JOBS_INTERVAL_S", "0")
    get_settings.cache_clear()
    get_workorder_settings.cache_clear()
    yield
    get_settings.cache_clear()
    get_workorder_settings.cache_clear()


def make_client(database_url: str) -> AsyncTestClient:
    from server.app import create_app

    return AsyncTestClient(app=create_app(database_url=database_url), base_url="http://127.0.0.1:8000")


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[AsyncTestClient]:
    """The app on a fresh empty database."""
    async with make_client(database_url) as c:
        yield c


@pytest.fixture
async def demo_client(demo_database_url: str) -> AsyncIterator[AsyncTestClient]:
    """The app on the shared demo database (not signed in)."""
    async with make_client(demo_database_url) as c:
        yield c


_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client: AsyncTestClient, path: str = "/login") -> str:
    """The CSRF token of a form on `path` (also sets the CSRF cookie on the client)."""
    page = await client.get(path)
    match = _CSRF_INPUT.search(page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def sign_in(client: AsyncTestClient, username: str, password: str) -> None:
    token = await csrf_token(client)
    response = await client.post(
        "/login", data={"username": username, "password": password, "_csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def node_required() -> None:
    """The phone's JavaScript runs under node: a missing node fails the test, never skips it."""
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH; `make test-deps` installs it (Debian's nodejs)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's session-long event loop must not come before
    tests that start their own loops with asyncio.run (database set-up)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# ---- where photos are kept: the MEDIA_ROOT folder, or a bucket on a real S3 server ----------


@pytest.fixture(scope="session")
def swift(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real S3 server (OpenStack Swift with s3api, tests/object_store.py) per test
    session — per pytest-xdist worker — started the first time a test needs it (~20 s)."""
    from tests.object_store import SwiftServer, swift_installed

    if not swift_installed():  # fails, never skips: the photo tests on a bucket must run
        pytest.fail("Swift (swift-proxy-server and memcached) is not installed; `make test-deps` installs it")
    server = SwiftServer.start(Path(tmp_path_factory.mktemp("swift")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["folder", "s3"])
def media_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with photos in the folder (MEDIA_STORE=folder) and in a bucket of its
    own on the session's Swift (MEDIA_STORE=s3). Returns the store's kind."""
    if request.param == "s3":
        server = request.getfixturevalue("swift")
        for name, value in s3_environment(server, server.new_bucket()).items():
            monkeypatch.setenv(name, value)
    else:
        monkeypatch.setenv("MEDIA_STORE", "folder")
    return str(request.param)


def s3_environment(server: object, bucket: str) -> dict[str, str]:
    """The MEDIA_* settings of `bucket` on the test Swift (tests/object_store.py)."""
    return server.media_environment(bucket)  # type: ignore[attr-defined]
