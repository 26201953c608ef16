"""Sign-in, sign-out, CSRF, role guards and the language switch, through HTTP."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from server.accounts.models import UserSession
from server.core.audit.models import AuditEvent
from server.core.db import Database
from tests.conftest import csrf_token, sign_in
from tests.factories import PASSWORD, add_user

ROLES = ["inspector", "supervisor", "contractor", "admin"]
LANDING = {"inspector": "/inspect", "supervisor": "/supervise", "contractor": "/contractor", "admin": "/admin"}


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_lands_on_its_own_page(client: AsyncTestClient, database: Database, role: str) -> None:
    await add_user(database, f"u-{role}", role)
    await sign_in(client, f"u-{role}", PASSWORD)
    home = await client.get("/", follow_redirects=False)
    assert home.status_code in (302, 303, 307)
    assert home.headers["location"] == LANDING[role]
    page = await client.get(LANDING[role])
    assert page.status_code == 200
    assert "<h1>" in page.text


async def test_wrong_password_is_refused_in_the_users_language(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "ann", "inspector")
    token = await csrf_token(client)
    response = await client.post(
        "/login",
        data={"username": "ann", "password": "wrong-password-1", "_csrf_token": token},
        headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
    )
    assert response.status_code == 400
    assert "用户名或密码错误" in response.text
    assert "fc_session" not in response.cookies
    english = await client.post(
        "/login",
        data={"username": "nobody", "password": "x", "_csrf_token": token},
        headers={"Accept-Language": "en-GB,en;q=0.9"},
    )
    assert english.status_code == 400
    assert "Wrong username or password" in english.text
    async with database.session(write=False) as s:
        failed = await s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed"))
        sessions = await s.scalar(select(func.count()).select_from(UserSession))
    assert failed == 2
    assert sessions == 0


async def test_missing_csrf_token_is_refused(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "bob", "inspector")
    await client.get("/login")
    response = await client.post(
        "/login", data={"username": "bob", "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 403
    assert "form has expired" in response.text
    async with database.session(write=False) as s:
        assert await s.scalar(select(func.count()).select_from(UserSession)) == 0


async def test_wrong_csrf_token_is_refused_in_chinese(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "cai", "inspector")
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"username": "cai", "password": PASSWORD, "_csrf_token": "forged"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 403
    assert "表单已过期" in response.text


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        ("inspector", ["/supervise", "/contractor", "/admin"]),
        ("supervisor", ["/inspect", "/contractor", "/admin"]),
        ("contractor", ["/inspect", "/supervise", "/admin"]),
    ],
)
async def test_pages_above_the_role_answer_403(
    client: AsyncTestClient, database: Database, role: str, forbidden: list[str]
) -> None:
    await add_user(database, f"r-{role}", role, language="en")
    await sign_in(client, f"r-{role}", PASSWORD)
    for path in forbidden:
        response = await client.get(path)
        assert response.status_code == 403, path
        assert "Your role does not allow this page" in response.text


async def test_admin_reaches_every_landing_page(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "root", "admin")
    await sign_in(client, "root", PASSWORD)
    for path in LANDING.values():
        assert (await client.get(path)).status_code == 200, path


async def test_signed_out_pages_redirect_to_sign_in_and_apis_answer_401(client: AsyncTestClient) -> None:
    page = await client.get("/supervise", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/supervise"
    api = await client.get("/api/standards", headers={"Accept-Language": "en"})
    assert api.status_code == 401
    assert api.json()["code"] == "not_signed_in"
    assert api.json()["message"] == "Please sign in first."


async def test_sign_in_renews_the_session_and_sign_out_ends_it(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "dan", "supervisor")
    await sign_in(client, "dan", PASSWORD)
    first = client.cookies.get("fc_session")
    await sign_in(client, "dan", PASSWORD)
    second = client.cookies.get("fc_session")
    assert first and second and first != second
    async with database.session(write=False) as s:
        assert await s.scalar(select(func.count()).select_from(UserSession)) == 1
    token = await csrf_token(client, "/supervise")
    out = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    async with database.session(write=False) as s:
        assert await s.scalar(select(func.count()).select_from(UserSession)) == 0
    client.cookies.set("fc_session", second)
    assert (await client.get("/supervise", follow_redirects=False)).status_code == 303


async def test_next_parameter_cannot_leave_the_site(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "eve", "inspector")
    token = await csrf_token(client)
    response = await client.post(
        "/login",
        data={"username": "eve", "password": PASSWORD, "_csrf_token": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_language_follows_browser_then_choice_then_user(client: AsyncTestClient, database: Database) -> None:
    zh = await client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in zh.text and "登录" in zh.text
    en = await client.get("/login", headers={"Accept-Language": "en-US,en;q=0.8,zh;q=0.5"})
    assert '<html lang="en">' in en.text
    token = await csrf_token(client)
    switched = await client.post(
        "/language", data={"lang": "en", "next": "/login", "_csrf_token": token}, follow_redirects=False
    )
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    remembered = await client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in remembered.text
    # A signed-in user's saved choice wins over the cookie.
    await add_user(database, "fei", "inspector", language="zh")
    await sign_in(client, "fei", PASSWORD)
    page = await client.get("/inspect", headers={"Accept-Language": "en"})
    assert '<html lang="zh-CN">' in page.text and "我的巡检" in page.text


async def test_htmx_request_gets_a_fragment_and_history_restore_the_page(
    client: AsyncTestClient, database: Database
) -> None:
    await add_user(database, "gao", "supervisor")
    await sign_in(client, "gao", PASSWORD)
    fragment = await client.get("/supervise", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "<h1>" in fragment.text
    assert "HX-Request" in fragment.headers["vary"]
    restore = await client.get("/supervise", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


async def test_security_headers_and_health(client: AsyncTestClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_sign_in_attempts_are_rate_limited(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "hu", "inspector")
    token = await csrf_token(client)
    for _ in range(5):
        wrong = await client.post("/login", data={"username": "hu", "password": "nope-nope-1", "_csrf_token": token})
        assert wrong.status_code == 400
    # Even the right password is refused while the user is locked out.
    blocked = await client.post(
        "/login",
        data={"username": "hu", "password": PASSWORD, "_csrf_token": token},
        headers={"Accept-Language": "en"},
    )
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.text
    assert "fc_session" not in blocked.cookies
    # Another user from elsewhere is not affected.
    await add_user(database, "li", "inspector")
    await sign_in(client, "li", PASSWORD)
