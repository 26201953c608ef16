"""The standards as the app serves them: the bilingual page, the export API, start-up checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

import standards
from server.app import create_app
from server.core.db import Database
from standards import StandardsFileError
from tests.conftest import sign_in
from tests.factories import PASSWORD, add_user

ROOT = Path(__file__).resolve().parent.parent


async def test_export_has_version_and_etag_and_revalidates(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "ins", "inspector")
    await sign_in(client, "ins", PASSWORD)
    response = await client.get("/api/standards")
    assert response.status_code == 200
    current = standards.load_standards().current()
    assert response.json() == current.export()
    assert response.headers["etag"] == f'"{current.etag}"'
    assert response.headers["x-standards-version"] == current.version
    again = await client.get("/api/standards", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    changed = await client.get("/api/standards", headers={"If-None-Match": '"stale"'})
    assert changed.status_code == 200


async def test_export_by_version_and_date(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "ins", "inspector", language="en")
    await sign_in(client, "ins", PASSWORD)
    version = standards.load_standards().current().version
    assert (await client.get(f"/api/standards?version={version}")).json()["version"] == version
    assert (await client.get("/api/standards?date=2026-06-01")).status_code == 200
    missing = await client.get("/api/standards?version=1999.1")
    assert missing.status_code == 404
    assert missing.json()["code"] == "standards_version_not_found"
    assert missing.json()["field"] == "version"
    before = await client.get("/api/standards?date=2000-01-01")
    assert before.status_code == 404 and before.json()["field"] == "date"
    bad = await client.get("/api/standards?date=not-a-date")
    assert bad.status_code == 400
    assert bad.json()["field"] == "date"


async def test_standards_page_lists_every_clause_in_both_languages(client: AsyncTestClient, database: Database) -> None:
    await add_user(database, "sup", "supervisor")
    await sign_in(client, "sup", PASSWORD)
    page = (await client.get("/standards")).text
    current = standards.load_standards().current()
    for category in current.categories.values():
        assert category.label["zh"] in page and category.label["en"] in page
        for clause in category.clauses:
            assert f'<tr id="{clause.id}">' in page
            assert clause.label["en"] in page
            assert clause.label["zh"] in page


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "data"
    shutil.copytree(standards.DATA_DIR, target)
    path = next(target.glob(f"*/{file}"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_app_refuses_to_start_on_an_unknown_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.core.config import get_settings

    broken = _broken_copy(tmp_path, "seating.yaml", "clauses:", "colour: green\nclauses:")
    monkeypatch.setenv("STANDARDS_DIR", str(broken))
    get_settings.cache_clear()
    with pytest.raises(StandardsFileError) as caught:
        create_app()
    assert "seating.yaml" in str(caught.value) and "colour" in str(caught.value)


def test_serve_command_stops_with_the_file_and_key(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path, "sculpture.yaml", "id: SC-2", "id: SC-1")
    result = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--port", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={"PATH": "/usr/bin:/bin", "STANDARDS_DIR": str(broken), "HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "sculpture.yaml" in result.stderr and "SC-1" in result.stderr
