"""App-wide behaviour: the OpenAPI schema, error pages in the user's language, static files."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from server.core.db import Database
from tests.conftest import csrf_token, make_client, sign_in
from tests.factories import PASSWORD, add_user


async def test_openapi_schema_lists_the_json_api(client: AsyncTestClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "fieldcheck"
    assert "/api/standards" in schema["paths"]
    assert "/health" in schema["paths"]
    # HTML pages are not part of the JSON API's schema.
    assert "/login" not in schema["paths"]


async def test_unknown_page_is_a_404_in_the_users_language(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "ins", "inspector", language="zh")
    await sign_in(client, "ins", PASSWORD)
    page = await client.get("/no/such/page")
    assert page.status_code == 404
    assert "找不到该页面或记录" in page.text
    api = await client.get("/api/no-such-thing", headers={"Accept-Language": "en"})
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"
    assert api.json()["message"] == "找不到该页面或记录。"  # the user's saved choice wins


async def test_wrong_method_is_405(client: AsyncTestClient) -> None:
    response = await client.delete("/health", headers={"Accept": "application/json", "Accept-Language": "en"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_htmx_is_vendored_with_its_licence(client: AsyncTestClient) -> None:
    script = await client.get("/static/vendor/htmx/htmx-2.0.11.min.js")
    assert script.status_code == 200
    assert b"htmx" in script.content[:2000]
    licence = await client.get("/static/vendor/htmx/LICENSE")
    assert licence.status_code == 200
    page = await client.get("/login")
    assert 'src="/static/vendor/htmx/htmx-2.0.11.min.js"' in page.text


async def test_static_files_cannot_escape_their_folder(client: AsyncTestClient) -> None:
    for path in ("/static/../server/core/config.py", "/static/%2e%2e/server/core/config.py", "/static/..%2fserver%2fconfig.py"):
        response = await client.get(path)
        assert response.status_code in (400, 404), path
        assert b"SECRET_KEY" not in response.content


async def test_the_service_worker_is_javascript_for_the_whole_site(client: AsyncTestClient) -> None:
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"  # one charset, not two
    assert response.headers["service-worker-allowed"] == "/" and response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("url", [
    "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere",     # nothing listens there: refused
    "sqlite+aiosqlite:////nonexistent-folder/fieldcheck.db",  # cannot be opened
], ids=["postgresql-refused", "sqlite-unopenable"])
async def test_an_unreachable_database_is_a_503_to_retry_not_a_500(url: str) -> None:
    async with make_client(url) as client:
        token = await csrf_token(client)  # the sign-in page itself needs no database
        page = await client.post("/login", data={"username": "x", "password": "y", "_csrf_token": token},
                                 headers={"Accept-Language": "en"})
        assert page.status_code == 503 and page.headers["retry-after"] == "5"
        assert "database is unavailable" in page.text
        api = await client.post("/login", data={"username": "x", "password": "y", "_csrf_token": token},
                                headers={"Accept-Language": "zh", "Accept": "application/json"})
        assert api.status_code == 503 and api.headers["retry-after"] == "5"
        assert api.json()["code"] == "database_unavailable" and "数据库暂时无法访问" in api.json()["message"]
