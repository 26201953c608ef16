"""The authorisation matrix of every route outside `test_role_isolation.py`: pages,
inspector pages, scores, standards, sync, photos, the offline bundle, admin, sign-in,
the installable-app files, health and the OpenAPI schema — each tried as every role, as a
second inspector (whose zones hold other assets) and as another contractor (whose
company's ids answer 404, exactly like ids that do not exist).

As in `test_role_isolation.py`, every write is chosen so that a role allowed to make it
gets a refusal from the service (409 month not over, 422 bad photo name…) and nothing
changes, so one world, built once per module, serves every row. The same run checks that
every answer carries the security headers, that no HTML page holds an inline script (the
Content-Security-Policy would block it) or a POST form without its CSRF token, and that no
call changed or removed an audit event. `test_every_route_is_in_a_matrix` fails when the
app registers a route that neither matrix lists; routes open to everyone are marked public
explicitly.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.accounts.models import User, UserZone
from server.accounts.passwords import hash_password
from server.sites.models import Site, UserSite
from server.app import create_app
from server.core.audit.models import AuditEvent
from server.core.config import DatabaseSettings, get_settings
from server.core.db import Database
from server.defects.models import Defect
from server.inspections.models import InspectionPhoto
from server.workorders import service
from server.core.workorder_settings import get_workorder_settings
from tests import test_role_isolation
from tests.conftest import DatabaseFactory, csrf_token, sign_in
from tests.factories import PASSWORD
from tests.workorder_helpers import add_photo, build_world

ROLES = ("anon", "inspector", "inspector2", "supervisor", "alpha", "beta", "admin")
USERNAMES = {"inspector": "insp", "inspector2": "insp2", "supervisor": "super", "alpha": "alpha1", "beta": "beta1",
             "admin": "admin"}
MONTH = "2026-10"


def answers(anon: int, inspector: int, supervisor: int, contractor: int, admin: int, *,
            inspector2: int | None = None, beta: int | None = None) -> dict[str, int]:
    """Expected status per role; the second inspector and BETA answer like their peers unless told."""
    return {"anon": anon, "inspector": inspector, "inspector2": inspector if inspector2 is None else inspector2,
            "supervisor": supervisor, "alpha": contractor, "beta": contractor if beta is None else beta, "admin": admin}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


INSPECT_PAGE = answers(303, 200, 403, 403, 200)
INSPECT_Z1 = answers(303, 200, 403, 403, 200, inspector2=404)  # an asset of inspector 1's zone
SIGNED_IN_PAGE = answers(303, 200, 200, 200, 200)
ADMIN_PAGE = answers(303, 403, 403, 403, 200)
ADMIN_POST = answers(401, 403, 403, 403, 422)
ADMIN_POST_404 = answers(401, 403, 403, 403, 404)
SIGNED_IN_API = answers(401, 200, 200, 200, 200)
SCORES_PAGE = answers(303, 403, 200, 200, 200)
SCORES_ALPHA = answers(303, 403, 200, 200, 200, beta=404)  # ALPHA's own scope: BETA's users get a 404


@dataclass(frozen=True)
class Row:
    method: str
    template: str  # the route as the app registers it
    path: str  # concrete: {defect}, {order}, {asset}, {photo} filled in, {new} a fresh UUID per call
    expected: dict[str, int]
    body: dict[str, Any] | bytes | None = None  # form (pages) or JSON (/api/); bytes: the raw body
    public: bool = False  # open to everyone by design: the sign-in, app shell, health and schema
    fresh_session: bool = False  # the call ends the session it is made with
    headers: dict[str, str] = field(default_factory=dict)


ROWS: list[Row] = [
    # Sign-in, language, landing: open to everyone.
    Row("GET", "/", "/", everyone(302), public=True),
    Row("GET", "/login", "/login", {**everyone(302), "anon": 200}, public=True),
    Row("POST", "/login", "/login", everyone(400), {"username": "{new}", "password": "wrong-password-1"}, public=True),
    Row("POST", "/logout", "/logout", everyone(303), {}, public=True, fresh_session=True),
    Row("POST", "/language", "/language", everyone(303), {"lang": "xx"}, public=True),
    # The app shell, health and the API's schema.
    Row("GET", "/sw.js", "/sw.js", everyone(200), public=True),
    Row("GET", "/manifest.webmanifest", "/manifest.webmanifest", everyone(200), public=True),
    Row("GET", "/offline", "/offline", everyone(200), public=True),
    Row("GET", "/static/{file_path:path}", "/static/app.css", everyone(200), public=True),
    Row("GET", "/health", "/health", everyone(200), public=True),
    Row("GET", "/schema", "/schema", everyone(200), public=True),  # the YAML document; no viewer pages
    Row("GET", "/schema/openapi.json", "/schema/openapi.json", everyone(200), public=True),
    Row("GET", "/schema/openapi.yaml", "/schema/openapi.yaml", everyone(200), public=True),
    Row("GET", "/schema/openapi.yml", "/schema/openapi.yml", everyone(200), public=True),
    Row("GET", "/schema/{path:str}", "/schema/no-such-view", everyone(404), public=True),
    # Administration.
    Row("GET", "/admin", "/admin", answers(303, 403, 403, 403, 200)),
    Row("GET", "/admin/import", "/admin/import", answers(303, 403, 403, 403, 200)),
    Row("GET", "/admin/standards", "/admin/standards", answers(303, 403, 403, 403, 200)),
    Row("GET", "/admin/standards/edit", "/admin/standards/edit", answers(303, 403, 403, 403, 200)),
    Row("POST", "/admin/standards/preview", "/admin/standards/preview", answers(401, 403, 403, 403, 422)),
    Row("POST", "/admin/standards/edit", "/admin/standards/edit", answers(401, 403, 403, 403, 422), {"version": ""}),
    Row("POST", "/admin/standards/install", "/admin/standards/install", answers(401, 403, 403, 403, 422), {"bundle": "{}"}),
    Row("POST", "/admin/import", "/admin/import", answers(401, 403, 403, 403, 422), {"kind": "assets", "site": ""}),
    Row("GET", "/admin/import/{token:str}", "/admin/import/" + "0" * 32, answers(303, 403, 403, 403, 404)),
    Row("POST", "/admin/import/{token:str}/confirm", "/admin/import/" + "0" * 32 + "/confirm",
        answers(401, 403, 403, 403, 404), {}),
    *[Row("GET", template, path, ADMIN_PAGE) for template, path in (
        ("/admin/sites", "/admin/sites"), ("/admin/sites/new", "/admin/sites/new"),
        ("/admin/sites/{site_id:uuid}", "/admin/sites/{site}"), ("/admin/zones", "/admin/zones?q=Z"),
        ("/admin/zones/new", "/admin/zones/new"), ("/admin/zones/{zone_id:uuid}", "/admin/zones/{zone}"),
        ("/admin/assets", "/admin/assets?q=Z1"), ("/admin/assets/labels", "/admin/assets/labels?asset={asset}"),
        ("/admin/assets/{asset_id:uuid}", "/admin/assets/{asset}"), ("/admin/contractors", "/admin/contractors"),
        ("/admin/contractors/new", "/admin/contractors/new"),
        ("/admin/contractors/{contractor_id:uuid}", "/admin/contractors/{contractor}"),
        ("/admin/contracts", "/admin/contracts"), ("/admin/contracts/new", "/admin/contracts/new"),
        ("/admin/contracts/{contract_id:uuid}", "/admin/contracts/{contract}"), ("/admin/users", "/admin/users?role=admin"),
        ("/admin/users/new", "/admin/users/new"), ("/admin/users/{user_id:uuid}", "/admin/users/{user}"),
        ("/admin/audit", "/admin/audit?entity=work_order"))],
    # Every admin write with a bad field: the admin's answer is the form's 422, nothing changes.
    *[Row("POST", template, path, ADMIN_POST, {"code": "bad code", "password": "x"}) for template, path in (
        ("/admin/sites", "/admin/sites"), ("/admin/sites/{site_id:uuid}", "/admin/sites/{site}"),
        ("/admin/zones", "/admin/zones"), ("/admin/zones/{zone_id:uuid}", "/admin/zones/{zone}"),
        ("/admin/assets/{asset_id:uuid}", "/admin/assets/{asset}"), ("/admin/contractors", "/admin/contractors"),
        ("/admin/contractors/{contractor_id:uuid}", "/admin/contractors/{contractor}"),
        ("/admin/contracts", "/admin/contracts"), ("/admin/contracts/{contract_id:uuid}", "/admin/contracts/{contract}"),
        ("/admin/users", "/admin/users"), ("/admin/users/{user_id:uuid}", "/admin/users/{user}"),
        ("/admin/users/{user_id:uuid}/password", "/admin/users/{user}/password"))],
    # Retire/reinstate: an unknown action is the admin's 404 (nothing retired).
    Row("POST", "/admin/assets/{asset_id:uuid}/{action:str}", "/admin/assets/{asset}/explode", ADMIN_POST_404, {}),
    # The site switch: any signed-in user, to one of their sites; a code not theirs is a 404.
    Row("POST", "/site", "/site", answers(401, 404, 404, 404, 404), {"site": "NOPE"}),
    # The inspector's pages: zones decide which assets an inspector reaches.
    Row("GET", "/inspect", "/inspect", INSPECT_PAGE),
    Row("GET", "/inspect/assets", "/inspect/assets?q=Z1", INSPECT_PAGE),
    Row("GET", "/inspect/assets/new", "/inspect/assets/new", INSPECT_PAGE),
    Row("GET", "/inspect/assets/shell", "/inspect/assets/shell", INSPECT_PAGE),  # the offline asset page
    Row("GET", "/inspect/hazard", "/inspect/hazard", INSPECT_PAGE),  # hazards: a problem no clause covers
    Row("GET", "/inspect/assets/{asset_id:uuid}", "/inspect/assets/{asset}", INSPECT_Z1),
    Row("GET", "/inspect/assets/{asset_id:uuid}/summary", "/inspect/assets/{asset}/summary", INSPECT_Z1),
    Row("GET", "/inspect/qr/{token:str}", "/inspect/qr/qr-z1-se-1", answers(303, 303, 403, 403, 303, inspector2=404)),
    Row("GET", "/inspect/form/{category:str}", "/inspect/form/seating?asset={asset}", INSPECT_PAGE),
    Row("GET", "/inspect/outbox", "/inspect/outbox", INSPECT_PAGE),
    Row("GET", "/supervise/qr-sheet", "/supervise/qr-sheet?zone=Z1", answers(303, 403, 200, 403, 200)),
    # Rounds (server/rounds/; the /supervise/rounds pages are in tests/test_role_isolation.py).
    Row("GET", "/api/rounds/due", "/api/rounds/due", answers(401, 200, 200, 403, 200)),
    Row("GET", "/api/rounds/state", "/api/rounds/state", answers(401, 200, 200, 403, 200)),
    Row("GET", "/reports/week", "/reports/week", answers(303, 403, 303, 403, 303)),
    Row("GET", "/reports/week/{week:str}", "/reports/week/2026-W47", answers(303, 403, 200, 403, 200)),
    Row("GET", "/reports/week/{week:str}/report.csv", "/reports/week/2026-W47/report.csv", answers(303, 403, 200, 403, 200)),
    Row("GET", "/reports/week/{week:str}/report.pdf", "/reports/week/2026-W47/report.pdf", answers(303, 403, 200, 403, 200)),
    # Standards: every signed-in user.
    Row("GET", "/standards", "/standards", SIGNED_IN_PAGE),
    Row("GET", "/api/standards", "/api/standards", SIGNED_IN_API),
    Row("GET", "/api/standards/set", "/api/standards/set", SIGNED_IN_API),
    # Monthly scores: supervisors and admins every scope, contractors their own.
    Row("GET", "/scores", "/scores", answers(303, 403, 302, 302, 302)),
    Row("GET", "/scores/{month:str}", f"/scores/{MONTH}", SCORES_PAGE),
    Row("GET", "/scores/{month:str}/trend", f"/scores/{MONTH}/trend?scope=contractor:ALPHA", SCORES_ALPHA),
    Row("GET", "/scores/{month:str}/trend.svg", f"/scores/{MONTH}/trend.svg?scope=contractor:ALPHA", SCORES_ALPHA),
    Row("GET", "/scores/{month:str}/evidence", f"/scores/{MONTH}/evidence?scope=contractor:ALPHA", SCORES_ALPHA),
    Row("GET", "/scores/{month:str}/evidence.csv", f"/scores/{MONTH}/evidence.csv?scope=contractor:ALPHA",
        SCORES_ALPHA),
    Row("GET", "/scores/{month:str}/scores.csv", f"/scores/{MONTH}/scores.csv", SCORES_PAGE),
    # A month that does not exist: the allowed roles get the service's 400 (no PDF is drawn).
    Row("GET", "/scores/{month:str}/report.pdf", "/scores/2026-13/report.pdf", answers(303, 403, 400, 400, 400)),
    # A month not over yet cannot be closed; a month never closed cannot be reopened.
    Row("POST", "/scores/{month:str}/close", "/scores/2099-01/close", answers(401, 403, 409, 403, 409), {}),
    Row("POST", "/scores/{month:str}/reopen", f"/scores/{MONTH}/reopen", answers(401, 403, 403, 403, 409),
        {"reason": "checking"}),
    Row("GET", "/api/scores", f"/api/scores?month={MONTH}&contractor=ALPHA",
        answers(401, 403, 200, 200, 200, beta=404)),
    # Sync: an inspection with an empty body is refused per record (nothing stored);
    # a contractor may send only completions, so its request is refused whole.
    Row("POST", "/api/sync", "/api/sync", answers(401, 200, 200, 403, 200),
        {"records": [{"kind": "inspection", "id": "{new}", "body": {}}]}),
    Row("PUT", "/api/sync/{kind:str}/{record_id:str}", "/api/sync/inspection/{new}", answers(401, 422, 422, 403, 422),
        {}),
    Row("GET", "/api/offline/bundle", "/api/offline/bundle", answers(401, 200, 200, 403, 200)),
    Row("GET", "/api/offline/nearby", "/api/offline/nearby?lat=32.102&lon=118.702&category=seating",
        answers(401, 200, 200, 403, 200)),
    Row("GET", "/api/offline/me", "/api/offline/me", SIGNED_IN_API),
    Row("GET", "/api/offline/estimate", "/api/offline/estimate", answers(401, 200, 200, 403, 200)),
    Row("GET", "/api/offline/nearest", "/api/offline/nearest?lat=32.102&lon=118.702", answers(401, 200, 200, 403, 200)),
    # One inspection: supervisors and admins, the inspector for their own (an unknown id: 404 for all).
    Row("GET", "/inspections/{inspection_id:uuid}", "/inspections/{new}", answers(303, 404, 404, 403, 404)),
    Row("POST", "/device", "/device", answers(401, 303, 303, 303, 303), {"device_id": "{new}", "device_name": "Phone"}),
    # Photos in: any signed-in user; a name that is not a SHA-256 is refused before anything is stored.
    Row("POST", "/api/photos/missing", "/api/photos/missing", SIGNED_IN_API, {"sha256": []}),
    Row("PUT", "/api/photos/{sha256:str}", "/api/photos/not-a-hash", answers(401, 422, 422, 422, 422), b"x"),
    Row("PATCH", "/api/photos/{sha256:str}", "/api/photos/not-a-hash?offset=0&total=1",
        answers(401, 422, 422, 422, 422), b"x"),
    Row("GET", "/api/photos/{sha256:str}/upload", f"/api/photos/{'0' * 64}/upload", SIGNED_IN_API),
    # Photos out: staff see inspection photos; ALPHA sees the evidence of its own order, BETA
    # gets the 404 of a photo that does not exist. 304: allowed, and no file needs reading.
    Row("GET", "/photos/{sha256:str}/{variant:str}", "/photos/{photo}/thumb",
        answers(401, 304, 304, 304, 304, beta=404), headers={"If-None-Match": "*"}),
]

SECURITY_HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "same-origin"}
# A JSON data block (type="application/json") is never executed, so the policy allows it.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>.*?</form>", re.IGNORECASE | re.DOTALL)


def registered_routes() -> set[tuple[str, str]]:
    """Every (method, route) the app registers, HEAD and OPTIONS aside (the framework's)."""
    app = create_app(database_url="sqlite+aiosqlite:///:memory:")
    return {(method, route.path) for route in app.routes for method in getattr(route, "methods", ())
            if method not in ("OPTIONS", "HEAD")}


def test_every_route_is_in_a_matrix() -> None:
    elsewhere = {(method, template) for method, template, *_ in test_role_isolation.CASES}
    here = {(row.method, row.template) for row in ROWS}
    assert not elsewhere & here, "a route has rows in both matrices"
    assert registered_routes() == elsewhere | here
    for row in ROWS:
        assert set(row.expected) == set(ROLES), row
        # Only routes marked public let anonymous visitors past the guards.
        assert row.public or row.expected["anon"] in (303, 401), row


@dataclass
class Matrix:
    """The world's database and ids, one client over one app, and each role's cookies."""

    database: Database
    client: AsyncTestClient
    cookies: dict[str, dict[str, str]]
    ids: dict[str, str]


@pytest.fixture(scope="module")
def module_database_url(database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for one module's tests, with the settings `_isolated_settings` gives
    each test (no background jobs, media in a folder of its own) in force while it is built."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JOBS_INTERVAL_S", "0")
        env.setenv("MEDIA_ROOT", str(tmp_path_factory.mktemp("media")))
        get_settings.cache_clear()
        get_workorder_settings.cache_clear()
        url = database_factory.fresh()
        yield url
        database_factory.drop(url)
    get_settings.cache_clear()
    get_workorder_settings.cache_clear()


async def extended_world(database: Database) -> dict[str, str]:
    """The work-order world, plus a second inspector; zones for both inspectors (Z1 and
    Z2); an order of ALPHA's for the Z1 bench's defect, whose inspection has a photo."""
    world = await build_world(database)
    async with database.session() as s:
        insp2 = User(username="insp2", display_name="Insp2", password_hash=hash_password(PASSWORD), role="inspector",
                     language="en")
        s.add(insp2)
        await s.flush()
        s.add(UserSite(user_id=insp2.id, site_id=await s.scalar(select(Site.id))))
        s.add_all([UserZone(user_id=world.users["insp"].id, zone_id=world.zones["Z1"]),
                   UserZone(user_id=insp2.id, zone_id=world.zones["Z2"])])
        inspection = await s.scalar(select(Defect.opened_by_inspection_id).where(
            Defect.id == world.defects["Z1-SE-1"]))
    photo = await add_photo(database, "matrix-evidence")
    async with database.session() as s:
        s.add(InspectionPhoto(inspection_id=inspection, ordinal=0, photo_sha256=photo))
        order = await service.issue_order(s, world.users["super"], [world.defects["Z1-SE-1"]])
    return {"order": str(order.id), "defect": str(world.defects["Z1-SE-1"]),
            "asset": str(world.assets["Z1-SE-1"]), "photo": photo, "site": str(world.site), "zone": str(world.zones["Z1"]),
            "contract": str(world.contracts["C-ALPHA"]), "contractor": str(world.contractors["ALPHA"]),
            "user": str(world.users["insp"].id)}


@pytest.fixture(scope="module")
async def matrix(module_database_url: str) -> AsyncIterator[Matrix]:
    """Built once for the module: the world, then each role signed in on one client."""
    database = Database.connect(DatabaseSettings(url=module_database_url))
    try:
        ids = await extended_world(database)
        app = create_app(database_url=module_database_url)
        async with AsyncTestClient(app=app, base_url="http://127.0.0.1:8000") as client:
            cookies = {}
            for role in ROLES:
                client.cookies.clear()
                if role == "anon":
                    await csrf_token(client)  # a CSRF cookie, so refusals are about the user, not the token
                else:
                    await sign_in(client, USERNAMES[role], PASSWORD)
                cookies[role] = dict(client.cookies.items())
            yield Matrix(database, client, cookies, ids)
    finally:
        await database.dispose()


async def call(m: Matrix, row: Row, role: str) -> httpx.Response:
    """`row` made by `role`, with the CSRF token as a browser or the phone would send it."""
    client = m.client
    client.cookies.clear()
    if row.fresh_session and role != "anon":
        await sign_in(client, USERNAMES[role], PASSWORD)  # a session of its own, ended by this call
    else:
        client.cookies.update(m.cookies[role])
    token = client.cookies.get("fc_csrf") or ""
    path = row.path.format(**m.ids, new=uuid.uuid4())
    headers = {"Accept-Language": "en", **row.headers}
    if row.method == "GET":
        return await client.get(path, headers=headers, follow_redirects=False)
    if isinstance(row.body, bytes):
        return await client.request(row.method, path, content=row.body, headers={**headers, "X-CSRFToken": token})
    body = _fresh_ids(row.body or {})
    if path.startswith("/api/"):
        return await client.request(row.method, path, json=body, headers={**headers, "X-CSRFToken": token})
    return await client.request(row.method, path, data={**body, "_csrf_token": token}, headers=headers,
                                follow_redirects=False)


def _fresh_ids(body: Any) -> Any:
    """The body with every "{new}" replaced by a fresh UUID, so no call repeats another's
    record (nor fails to sign in as the same name, which would lock that name out)."""
    if isinstance(body, dict):
        return {k: _fresh_ids(v) for k, v in body.items()}
    if isinstance(body, list):
        return [_fresh_ids(v) for v in body]
    return str(uuid.uuid4()) if body == "{new}" else body


def _answer_problems(row: Row, role: str, answer: httpx.Response) -> list[str]:
    where = f"{row.method} {row.path} as {role}"
    problems = [f"{where}: {name} is {answer.headers.get(name)!r}" for name, value in SECURITY_HEADERS.items()
                if answer.headers.get(name) != value]
    script_src = re.search(r"script-src ([^;]*)", answer.headers.get("content-security-policy", ""))
    if script_src is None or script_src.group(1).split() != ["'self'"]:
        problems.append(f"{where}: CSP script-src is {script_src and script_src.group(1)!r}")
    if not answer.headers.get("content-type", "").startswith("text/html"):
        return problems
    if INLINE_SCRIPT.search(answer.text):
        problems.append(f"{where}: inline script in the page")
    problems += [f"{where}: a form without its CSRF token" for form in POST_FORM.findall(answer.text)
                 if 'name="_csrf_token"' not in form]
    return problems


async def _audit_rows(database: Database) -> list[tuple[Any, ...]]:
    async with database.session(write=False) as s:
        rows = await s.execute(select(AuditEvent.id, AuditEvent.at, AuditEvent.user_id, AuditEvent.action,
                                      AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.details)
                               .order_by(AuditEvent.id))
        return [tuple(r) for r in rows]


async def test_every_route_as_every_role(matrix: Matrix) -> None:
    before = await _audit_rows(matrix.database)
    wrong, problems = [], []
    for row in ROWS:
        for role in ROLES:
            answer = await call(matrix, row, role)
            if answer.status_code != row.expected[role]:
                wrong.append(f"{row.method} {row.path} as {role}: {answer.status_code}, expected {row.expected[role]}"
                             f" {answer.text[:120]!r}")
            elif role == "anon" and answer.status_code == 303 and not row.public:
                assert answer.headers["location"].startswith("/login?next="), row
            problems += _answer_problems(row, role, answer)
    assert not wrong, "\n".join(wrong)
    assert not problems, "\n".join(problems)
    login_page = await call(matrix, next(r for r in ROWS if (r.method, r.template) == ("GET", "/login")), "anon")
    assert POST_FORM.search(login_page.text), "the form check must see the sign-in form"
    # Sign-ins and refusals were recorded; nothing recorded before was changed or removed.
    after = await _audit_rows(matrix.database)
    assert after[: len(before)] == before
    assert len(after) > len(before)
