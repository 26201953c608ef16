"""The safety veto on the score page in real Chromium: January 2027 of the veto example
(docs/scoring.md; tests/test_scoring_veto.py builds it), closed as of 2027-02-15, shows its
payment capped at 70 % though its score band pays 100 %, and names the defect that did it.
Every time is set in the data, so the test holds on any day."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from server.core.config import DatabaseSettings
from server.core.db import Database
from server.scoring.rules import load_rules
from server.scoring.service import close_month
from server.sites.models import Site
from standards import load_standards
from tests.browser.conftest import (
    LiveServer, _run_async, clone_database, collect_errors, context_options, drop_database, sign_in,
)
from tests.factories import PASSWORD
from tests.test_scoring_veto import AFTER, MONTH, build_veto_example

pytestmark = pytest.mark.browser


@pytest.fixture
def veto_server(database_factory: Any, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    name = f"fc_veto_{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    url = clone_database(database_factory.url(database_factory.template), name)

    async def build() -> dict[str, Any]:
        db = Database.connect(DatabaseSettings(url=url))
        try:
            ids = await build_veto_example(db)
            async with db.session() as s:
                site = (await s.execute(select(Site).where(Site.code == "VET"))).scalar_one()
                await close_month(s, site, MONTH, load_standards(), load_rules(), ids["boss"], now=AFTER)
            return ids
        finally:
            await db.dispose()

    ids = _run_async(build())
    server = LiveServer(url, tmp_path / "media", tmp_path / "server.log")
    server.start()
    yield server, ids
    server.stop()
    drop_database(url)


def test_a_vetoed_month_shows_the_capped_band(browser: Any, veto_server: tuple[LiveServer, dict[str, Any]]) -> None:
    server, ids = veto_server
    ctx = browser.new_context(**{**context_options(server.url), "viewport": {"width": 1280, "height": 900}})
    page = ctx.new_page()
    errors = collect_errors(page)
    sign_in(page, "boss", PASSWORD, landing="**/supervise**")
    response = page.goto("/scores/2027-01?site=VET")
    assert response is not None and response.ok, page.content()[:2000]
    veto = page.locator("#veto-applied")
    assert veto.get_attribute("data-capped") == "yes"
    text = veto.inner_text()
    assert "70 %" in text and "100 %" in text
    item = veto.locator(f'li[data-defect="{ids["D1"]}"]')
    assert item.count() == 1 and "PL-2" in item.inner_text()
    assert page.locator(f'a[href="/supervise/defects/{ids["D1"]}"]').count() >= 1
    assert page.locator("#veto-rule").count() == 1
    assert not errors, errors
    ctx.close()
