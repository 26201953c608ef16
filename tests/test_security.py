"""Security rules the other tests do not already pin down, each through the real interface.

Already elsewhere: who may call which route (test_authz_matrix.py, test_role_isolation.py,
with the security headers and inline scripts checked on every answer there); the session
renewed at sign-in, the per-user sign-in limit and the CSRF refusal of the sign-in form
(test_auth.py); photo and sync size limits (test_photos_*.py, test_sync_validation.py);
the audit triggers refusing UPDATE and DELETE (test_database.py); static files kept in
their folder (test_app.py). Here: CSRF on every unsafe route, cookie flags, the per-address
sign-in limit, the password rules, photos kept inside MEDIA_ROOT, text PostgreSQL cannot
store, secrets from the environment, and the audit trail against replace and upsert.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

import server.core.config
from server.accounts import limits
from server.accounts.passwords import password_problem
from server.app import create_app
from server.core.audit.models import AuditEvent
from server.core.config import REPO_ROOT, ServerSettings, get_settings
from server.core.db import Database
from tests.conftest import BACKEND, csrf_token, sign_in
from tests.factories import PASSWORD, add_user
from tests.photo_helpers import jpeg, media_root, sha

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _concrete(template: str) -> str:
    """A path for a route template: a fresh UUID for {x:uuid}, a word for other parameters."""
    return re.sub(r"\{\w+:(\w+)\}", lambda m: str(uuid.uuid4()) if m.group(1) == "uuid" else "x", template)


async def _audit_count(database: Database) -> int:
    async with database.session(write=False) as s:
        return await s.scalar(select(func.count()).select_from(AuditEvent)) or 0


async def test_every_unsafe_route_refuses_a_missing_or_forged_csrf_token(
    client: AsyncTestClient, database: Database
) -> None:
    """Derived from the routes the app registers, so a new form or API is covered at once."""
    app = create_app(database_url="sqlite+aiosqlite:///:memory:")
    unsafe = sorted({(m, r.path) for r in app.routes for m in getattr(r, "methods", ()) if m in UNSAFE})
    assert len(unsafe) > 20
    await add_user(database, "root", "admin")
    await sign_in(client, "root", PASSWORD)
    before = await _audit_count(database)
    wrong = []
    for method, template in unsafe:
        path = _concrete(template)
        for token in (None, "forged-token"):
            headers = {"Accept": "application/json", "Accept-Language": "en"}
            if token:
                headers["X-CSRFToken"] = token
            answer = await client.request(method, path, headers=headers, data={"_csrf_token": token} if token else None)
            if answer.status_code != 403 or answer.json()["code"] != "csrf_failed":
                wrong.append(f"{method} {path} with token {token}: {answer.status_code} {answer.text[:80]}")
    assert not wrong, "\n".join(wrong)
    assert await _audit_count(database) == before  # nothing was done
    assert (await client.get("/admin")).status_code == 200  # not even the sign-out


@pytest.mark.parametrize("secure", [False, True])
async def test_the_session_cookie_is_http_only_same_site_and_secure_when_asked(
    database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch, secure: bool
) -> None:
    monkeypatch.setenv("SECURE_COOKIES", "1" if secure else "0")
    get_settings.cache_clear()
    await add_user(database, "ada", "inspector")
    # Over HTTPS: a client keeps Secure cookies (the CSRF one too) to itself on plain HTTP.
    async with AsyncTestClient(app=create_app(database_url=database_url), base_url="https://127.0.0.1") as client:
        token = await csrf_token(client)
        answer = await client.post("/login", data={"username": "ada", "password": PASSWORD, "_csrf_token": token},
                                   follow_redirects=False)
    session = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("fc_session="))
    flags = {part.strip().lower() for part in session.split(";")[1:]}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert ("secure" in flags) is secure


async def test_failures_from_one_address_lock_it_for_every_username(
    client: AsyncTestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty failures from one address (README), each username below its own limit of five.
    Three here, to spare the argon2 work of twenty: the count is what is tested, not the number."""
    assert (limits.MAX_FAILURES_PER_ADDRESS, limits.MAX_FAILURES_PER_USER) == (20, 5)
    monkeypatch.setattr(limits, "MAX_FAILURES_PER_ADDRESS", 3)
    await add_user(database, "bo", "inspector")
    token = await csrf_token(client)
    for n in range(3):
        wrong = await client.post("/login", data={"username": f"guess{n}", "password": "nope-nope-1",
                                                  "_csrf_token": token})
        assert wrong.status_code == 400
    blocked = await client.post("/login", data={"username": "bo", "password": PASSWORD, "_csrf_token": token},
                                headers={"Accept-Language": "en"})
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.text
    assert "fc_session" not in blocked.cookies


@pytest.mark.parametrize(("password", "problem"), [
    ("Abcdefgh1", "password.too_short"),
    ("Abcdefgh12", None),
    ("1234567890123", "password.needs_mix"),
    ("--------------", "password.needs_mix"),
    ("2026-11-22 12:00", "password.needs_mix"),
    ("OnlyLettersHere", "password.needs_mix"),
    ("Field work 2026", None),
    ("my-KIM-pass-2026", "password.contains_username"),
])
def test_password_rules(password: str, problem: str | None) -> None:
    """10+ characters, letters and digits or symbols, not containing the username (any case)."""
    assert password_problem(password, "kim") == problem


def _outside_media(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and media_root() not in p.parents}


async def test_photo_names_cannot_reach_outside_the_media_folder(
    client: AsyncTestClient, database: Database, tmp_path: Path
) -> None:
    await add_user(database, "ivy", "inspector")
    await sign_in(client, "ivy", PASSWORD)
    headers = {"X-CSRFToken": client.cookies["fc_csrf"], "Accept-Language": "en"}
    photo = jpeg()
    assert (await client.put(f"/api/photos/{sha(photo)}", content=photo, headers=headers)).status_code == 201
    secret = b"SECRET-OUTSIDE-MEDIA"
    (tmp_path / "secret.jpg").write_bytes(secret)
    (media_root().parent / "derived").mkdir(exist_ok=True)
    (media_root().parent / "derived" / "secret-thumb.jpg").write_bytes(secret)
    before, stored = _outside_media(tmp_path), sorted(media_root().rglob("*"))
    digest = sha(photo)
    names = [  # path-shaped, encoded, and hash-shaped (64 characters) with separators in them
        "..%2f..%2fsecret.jpg", "%2e%2e%2f%2e%2e%2fsecret.jpg", "..%5c..%5csecret.jpg", "%252e%252e%252fsecret.jpg",
        quote("../" + digest[3:], safe=""), quote("..\\" + digest[3:], safe=""),
        quote(digest[:32] + "/" + digest[33:], safe=""),
        "..", ".", quote("/etc/passwd", safe=""), digest.upper(), digest + "%00",
    ]
    answers = []
    for name in names:
        answers += [
            ("GET", f"/photos/{name}/thumb", await client.get(f"/photos/{name}/thumb")),
            ("GET", f"/photos/{digest}/{name}", await client.get(f"/photos/{digest}/{name}")),
            ("PUT", f"/api/photos/{name}", await client.put(f"/api/photos/{name}", content=photo, headers=headers)),
            ("PATCH", f"/api/photos/{name}", await client.patch(f"/api/photos/{name}?offset=0&total={len(photo)}",
                                                                content=photo, headers=headers)),
            ("GET", f"/api/photos/{name}/upload", await client.get(f"/api/photos/{name}/upload", headers=headers)),
        ]
    leaks = [f"{m} {p}: {a.status_code}" for m, p, a in answers if a.status_code < 400 or secret in a.content]
    assert not leaks, "\n".join(leaks)
    assert _outside_media(tmp_path) == before  # nothing written outside MEDIA_ROOT
    assert sorted(media_root().rglob("*")) == stored  # nor anything new inside it
    # The photo itself is still served: the refusals above are about the names.
    assert (await client.get(f"/photos/{digest}/thumb")).status_code == 200


NUL_GETS = [  # a NUL in every kind of text that reaches a query: filters, searches, path tokens
    "/api/defects.geojson?zone=%00", "/api/defects.geojson?contractor=%00", "/api/defects.geojson?clause=%00",
    "/api/defects.csv?category=%00", "/api/work-orders?contractor=%00", "/api/map/assets.geojson?zone=%00",
    "/api/defects/nearby?lat=32.1&lon=118.7&category=%00", "/inspect/assets?q=%00", "/inspect/qr/%00",
    "/supervise/qr-sheet?zone=%00", "/supervise/map?zone=%00", "/api/scores?month=2026-10&zone=%00",
    "/api/standards?version=%00", "/api/offline/nearby?lat=32.1&lon=118.7&category=%00",
]


async def test_a_nul_character_is_a_clear_refusal_never_a_server_error(
    client: AsyncTestClient, database: Database
) -> None:
    """PostgreSQL cannot store U+0000 in text; the request is at fault, so it is a 4xx."""
    token = await csrf_token(client)
    login = await client.post("/login", data={"username": "a\x00b", "password": "x", "_csrf_token": token})
    assert login.status_code == 422 and 'data-code="bad_text"' in login.text, login.text[:200]
    await add_user(database, "root", "admin")
    await sign_in(client, "root", PASSWORD)
    headers = {"X-CSRFToken": client.cookies["fc_csrf"], "Accept-Language": "en", "Accept": "application/json"}
    record = {"kind": "asset", "id": str(uuid.uuid4()),
              "body": {"category": "seating", "name": "a\x00b", "position": {"lat": 32.1, "lon": 118.7}}}
    answers = [(p, await client.get(p, headers=headers)) for p in NUL_GETS]
    answers.append(("/api/sync", await client.post("/api/sync", json={"records": [record]}, headers=headers)))
    answers.append(("/api/work-orders", await client.post("/api/work-orders", json={"defect_ids": [], "notes": "\x00"},
                                                          headers=headers)))
    failed = [f"{p}: {a.status_code} {a.text[:120]}" for p, a in answers if a.status_code >= 500]
    assert not failed, "\n".join(failed)
    # The one text rule (server/core/text.py): the same per-field refusal on both backends.
    for path in NUL_GETS:
        answer = dict(answers)[path]
        assert answer.status_code == 422 and 'bad_text' in answer.text, (path, answer.status_code, answer.text[:200])
    refused = dict(answers)["/api/defects.geojson?zone=%00"].json()
    assert (refused["code"], refused["field"]) == ("bad_text", "zone") and "U+0000" in refused["message"]


async def test_the_csrf_secret_is_secret_key_and_workers_sharing_it_agree(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "first-secret-" + "x" * 32)
    get_settings.cache_clear()
    worker_a, worker_b = create_app(database_url=database_url), create_app(database_url=database_url)
    assert worker_a.csrf_config.secret == "first-secret-" + "x" * 32
    monkeypatch.setenv("SECRET_KEY", "another-secret-" + "y" * 32)
    get_settings.cache_clear()
    other = create_app(database_url=database_url)
    async with AsyncTestClient(app=worker_a) as a, AsyncTestClient(app=worker_b) as b, AsyncTestClient(app=other) as c:
        token = await csrf_token(a)
        for client in (b, c):
            client.cookies.set("fc_csrf", a.cookies["fc_csrf"])
        form = {"lang": "en", "_csrf_token": token}
        assert (await b.post("/language", data=form, follow_redirects=False)).status_code == 303
        assert (await c.post("/language", data=form, follow_redirects=False)).status_code == 403


def test_without_secret_key_one_secret_is_generated_once_and_kept_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    secrets = []
    for checkout in ("one", "two"):
        monkeypatch.setattr(server.core.config, "REPO_ROOT", tmp_path / checkout)
        settings = ServerSettings()
        assert settings.secret_key == ""  # no default secret anywhere in the code
        first, again = settings.effective_secret(), ServerSettings().effective_secret()
        kept = tmp_path / checkout / "var" / "secret_key"
        assert first == again == kept.read_text().strip()
        assert len(first) >= 40 and kept.stat().st_mode & 0o077 == 0
        secrets.append(first)
    assert secrets[0] != secrets[1]


def test_no_secret_is_in_the_repository() -> None:
    example = (REPO_ROOT / ".env.example").read_text()
    assert re.search(r"^SECRET_KEY=\s*$", example, re.MULTILINE), ".env.example must leave SECRET_KEY empty"
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout: which files are committed cannot be told")
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    names = tracked.split()
    assert not [n for n in names if n.startswith("var/") or n == ".env" or n.endswith("secret_key")]
    ignored = subprocess.run(["git", "check-ignore", "var/secret_key", ".env"], cwd=REPO_ROOT, capture_output=True,
                             text=True, check=False).stdout.split()
    assert ignored == ["var/secret_key", ".env"]
    generated = REPO_ROOT / "var" / "secret_key"
    if generated.exists():  # this machine's key appears in no committed file
        key = generated.read_text().strip()
        found = subprocess.run(["git", "grep", "-F", "-l", key], cwd=REPO_ROOT, capture_output=True, text=True,
                               check=False)
        assert found.stdout == "", found.stdout


async def test_audit_events_cannot_be_replaced_or_upserted(database: Database) -> None:
    """Beyond UPDATE and DELETE (test_database.py): the other SQL ways to overwrite a row."""
    async with database.session() as s:
        s.add(AuditEvent(action="test.event", entity_type="test", entity_id="1", details={}))
    async with database.session(write=False) as s:
        event_id = await s.scalar(select(AuditEvent.id))
    columns = "(id, at, action, entity_type, entity_id, details)"
    values = "(:id, CURRENT_TIMESTAMP, 'forged', 'test', '1', '{}')"
    upsert = f"INSERT INTO audit_events {columns} VALUES {values} ON CONFLICT (id) DO UPDATE SET action = 'forged'"
    statements = [upsert]
    if BACKEND == "sqlite":
        statements += [f"INSERT OR REPLACE INTO audit_events {columns} VALUES {values}",
                       f"REPLACE INTO audit_events {columns} VALUES {values}"]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.session() as s:
                await s.execute(text(statement), {"id": event_id})
    async with database.session(write=False) as s:
        assert await s.scalar(select(AuditEvent.action)) == "test.event"


async def test_unknown_paths_and_wrong_methods_carry_the_security_headers(client: AsyncTestClient) -> None:
    for answer in (await client.get("/no/such/page"), await client.delete("/health"),
                   await client.get("/api/nothing")):
        assert answer.status_code in (404, 405)
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert "unsafe-inline" not in answer.headers["content-security-policy"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"

