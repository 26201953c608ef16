"""Issue 12 items 6 and 7 over HTTP on the demo site: the bugs people met, and htmx requests
getting the fragment (with out-of-band counts) while a plain request gets the whole page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient

from tests.conftest import make_client, sign_in

PASSWORDS = {"inspector": "Inspect-2026-demo", "supervisor": "Super-2026-demo", "admin": "Manage-2026-demo",
             "green": "Lvyuan-2026-demo"}


def page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
async def supervisor(demo_database_url: str) -> AsyncIterator[AsyncTestClient]:
    client = make_client(demo_database_url)
    async with client:
        await sign_in(client, "supervisor", PASSWORDS["supervisor"])
        yield client


async def test_not_found_page_keeps_navigation_and_language_switch(supervisor: AsyncTestClient) -> None:
    response = await supervisor.get("/no-such-page")
    assert response.status_code == 404
    doc = page(response.text)
    # Signed in on a 404 too: the navigation and the sign-out are there.
    assert doc.select_one("nav.nav a[href='/supervise']") is not None
    assert doc.select_one("form[action='/logout']") is not None
    form = doc.select_one("form.lang-switch")
    token = form.select_one("input[name=_csrf_token]")
    assert token is not None and token["value"]
    switched = await supervisor.post("/language", data={"_csrf_token": token["value"], "lang": "en",
                                                       "next": "/no-such-page"}, follow_redirects=False)
    assert switched.status_code == 303
