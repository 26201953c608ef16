"""The JSON API against its own OpenAPI schema, with schemathesis: for every operation in
`/schema/openapi.json`, generated requests (valid ones and deliberately invalid ones) sent
to the app in process, signed in, with the CSRF header. No answer may be a server error,
and every answer must match the schema the operation declares for its status.

Bounded and reproducible: a few examples per operation and mode, derandomised, no example
database. A handful of explicit cases reach the answers random input rarely does (a real
month's scores, the data around a real point).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from server.app import create_app
from server.core.config import DatabaseSettings
from server.core.db import Database
from server.workorders import service
from tests.factories import PASSWORD
from tests.workorder_helpers import build_world

CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = 5  # per operation and generation mode
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
ROLES = {"admin": "admin", "contractor": "alpha1"}  # admin passes every guard; ALPHA sees its own scope
BINARY = {"type": "string", "format": "binary"}
PLAIN_STRINGS = ({"type": "string"}, {"oneOf": [{"type": "string"}, {"type": "null"}]})
THIS_MONTH = dt.date.today().strftime("%Y-%m")
NEAR_A_BENCH = {"lat": "32.102", "lon": "118.702", "category": "seating"}
EXPLICIT = [  # (method, path, query, status as admin, as ALPHA's user): answers random input seldom reaches
    ("GET", "/api/scores", {"month": THIS_MONTH}, {"admin": 200, "contractor": 200}),
    ("GET", "/api/scores", {"month": THIS_MONTH, "scope": "zone"}, {"admin": 200, "contractor": 404}),
    ("GET", "/api/offline/nearby", NEAR_A_BENCH, {"admin": 200, "contractor": 403}),
    ("GET", "/api/offline/bundle", {"since": "2020-01-01T00:00:00+00:00"}, {"admin": 200, "contractor": 403}),
    ("GET", "/api/standards", {"date": "2026-06-01"}, {"admin": 200, "contractor": 200}),
    ("GET", "/api/defects/nearby", NEAR_A_BENCH, {"admin": 200, "contractor": 403}),
]


async def _populate(url: str) -> None:
    """The work-order world with one issued order, so lists, bundles and scores hold something."""
    database = Database.connect(DatabaseSettings(url=url))
    try:
        world = await build_world(database)
        async with database.session() as s:
            await service.issue_order(s, world.users["super"], [world.defects["Z1-SE-1"]])
    finally:
        await database.dispose()


def _signed_in(app: Any, username: str) -> tuple[asgi.ASGIClient, dict[str, str]]:
    """A session on the app in process, signed in, and the headers an API call needs."""
    client = asgi.get_client(app)
    page = client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF field on /login"
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "_csrf_token": token.group(1)},
                         allow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client, {"X-CSRFToken": client.cookies["fc_csrf"], "Accept-Language": "en", "X-Device-Id": "schemathesis"}


@pytest.fixture
def api(database_url: str) -> Iterator[Any]:
    """The app on a populated database, with its schema loaded through the ASGI interface."""
    asyncio.run(_populate(database_url))
    app = create_app(database_url=database_url)
    try:
        yield schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()  # close the app's database before the test database is dropped


def _api_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route under /api/, path parameters written as OpenAPI does."""
    return {(method, re.sub(r":\w+}", "}", route.path)) for route in app.routes if route.path.startswith("/api/")
            for method in getattr(route, "methods", ()) if method not in ("HEAD", "OPTIONS")}


def _can_be_invalid(operation: Any) -> bool:
    """Whether a request to `operation` can be made invalid: it has a body, a query
    parameter that may be left out, or a parameter with a type or format to break. (A
    string in a URL cannot be made a non-string; hypothesis would search in vain.)"""
    if any(body.definition.get("schema") != BINARY for body in operation.body):
        return True  # (any bytes are a valid binary body: a photo's cannot be made invalid)
    for parameter in operation.iter_parameters():
        schema = {k: v for k, v in parameter.definition.get("schema", {}).items() if k != "description"}
        if schema not in PLAIN_STRINGS or (parameter.definition.get("required") and parameter.location != "path"):
            return True
    return False


def _fuzz(operation: Any, mode: Any, session: asgi.ASGIClient, headers: dict[str, str]) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(session=session, headers=headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", list(ROLES))
def test_the_api_keeps_to_its_schema(api: Any, role: str) -> None:
    session, headers = _signed_in(api.app, ROLES[role])
    operations = [result.ok() for result in api.get_all_operations()]
    documented = {(op.method.upper(), op.path) for op in operations}
    assert _api_routes(api.app) <= documented, "every JSON API route must be in the schema, or it goes untested"
    failures = []
    for operation in operations:
        for mode in MODES if _can_be_invalid(operation) else MODES[:1]:
            try:
                _fuzz(operation, mode, session, headers)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation is tried; all are reported
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    by_path = {(op.method.upper(), op.path): op for op in operations}
    for method, path, query, expected in EXPLICIT:
        case = by_path[(method, path)].Case(query=query)
        try:
            answer = case.call_and_validate(session=session, headers=headers, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001
            failures.append(f"{method} {path} {query}: {exc}")
            continue
        if answer.status_code != expected[role]:
            failures.append(f"{method} {path} {query}: {answer.status_code}, expected {expected[role]}")
    assert not failures, "\n\n".join(failures)
