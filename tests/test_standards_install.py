"""Installing an operator's standards version: /admin/standards (upload, edit, preview,
install) and `fieldcheck standards install`, on a real database. The clock is fixed
(`service.today`), the shipped data is only version 2026.1 (STANDARDS_DIR), so every
date below is relative to that fixed day, never to today."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.core.audit.models import AuditEvent
from server.core.db import Database
from server.scoring.models import ClosedMonth
from server.standards_admin import service
from server.standards_admin.models import StandardsVersion
from tests.conftest import make_client
from tests.workorder_helpers import World, build_world, signed_in

DATA = Path(__file__).resolve().parent.parent / "standards" / "data"
TODAY = dt.date(2026, 12, 10)  # the fixed clock of these tests


def version_files(version: str = "2026.5", effective: str = "2026-12-20", **changes: str) -> dict[str, str]:
    """Version 2027.1's files renamed and re-dated (it adds street_light and three more)."""
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted((DATA / "2027-01-01").glob("*.yaml"))}
    files["manifest.yaml"] = (files["manifest.yaml"].replace('version: "2027.1"', f'version: "{version}"')
                              .replace("effective_from: 2027-01-01", f"effective_from: {effective}"))
    files.update(changes)
    return files


def as_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(f"v/{name}", text)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDARDS_DIR", str(DATA / "2026-01-01"))
    monkeypatch.setenv("STANDARDS_RECHECK_SECONDS", "0")
    monkeypatch.setattr(service, "today", lambda: TODAY)


@pytest.fixture
async def world(database: Database) -> World:
    return await build_world(database)


@pytest.fixture
async def admin(database_url: str, world: World) -> Any:
    async with make_client(database_url) as c:
        await signed_in(c, "admin")
        yield c


def csrf(c: AsyncTestClient) -> str:
    return c.cookies["fc_csrf"]


async def speak(database: Database, lang: str) -> None:
    """The admin's saved language (it wins over Accept-Language)."""
    from sqlalchemy import update

    from server.accounts.models import User
    async with database.session() as s:
        await s.execute(update(User).where(User.username == "admin").values(language=lang))


async def upload(c: AsyncTestClient, files: list[tuple[str, bytes]], lang: str = "en") -> Any:
    return await c.post("/admin/standards/preview", data={"_csrf_token": csrf(c)},
                        files=[("file", (name, data, "application/octet-stream")) for name, data in files],
                        headers={"Accept-Language": lang})


def bundle_of(html: str) -> str:
    import html as h
    return h.unescape(re.search(r'<textarea name="bundle"[^>]*>(.*?)</textarea>', html, re.S).group(1))


async def rows(database: Database) -> list[StandardsVersion]:
    async with database.session(write=False) as s:
        return list((await s.execute(select(StandardsVersion))).scalars())


async def test_upload_zip_preview_diff_then_install_is_scheduled_and_audited(admin: AsyncTestClient, database: Database) -> None:
    page = await admin.get("/admin/standards")
    assert page.status_code == 200 and 'data-version="2026.1" data-state="in_force"' in page.text
    r = await upload(admin, [("v2026-5.zip", as_zip(version_files()))])
    assert r.status_code == 200, r.text
    assert 'data-version="2026.5"' in r.text
    added = re.search(r'<ul data-diff="categories_added">(.*?)</ul>', r.text, re.S).group(1)
    for key in ("street_light", "railing", "play_equipment", "public_toilet"):
        assert key in added
    assert await rows(database) == []  # a preview stores nothing
    r = await admin.post("/admin/standards/install", data={"_csrf_token": csrf(admin), "origin": "upload",
                                                          "bundle": bundle_of(r.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/standards?installed=2026.5"
    [row] = await rows(database)
    assert (row.version, row.effective_from, row.origin, row.status) == ("2026.5", dt.date(2026, 12, 20), "upload", "installed")
    assert row.installed_by is not None
    async with database.session(write=False) as s:
        event = (await s.execute(select(AuditEvent).where(AuditEvent.action == "standards.install"))).scalar_one()
    assert event.entity_id == "2026.5" and "street_light" in event.details["diff"]["categories_added"]
    listing = await admin.get("/admin/standards?installed=2026.5")
    assert 'data-version="2026.5" data-state="scheduled"' in listing.text and 'id="installed"' in listing.text
    # The new version is served to phones and judged for its date, by this worker.
    doc = (await admin.get("/api/standards?date=2026-12-20")).json()
    assert doc["version"] == "2026.5" and "street_light" in doc["categories"]
    assert (await admin.get("/api/standards?date=2026-12-19")).json()["version"] == "2026.1"


async def test_another_worker_sees_the_install(admin: AsyncTestClient, database_url: str, database: Database) -> None:
    async with make_client(database_url) as other:
        await signed_in(other, "admin")
        assert (await other.get("/api/standards?version=2026.5")).status_code == 404
        # Installed through another process's own set (as the CLI or a second worker does).
        from server.standards_admin.registry import LiveStandards
        from standards import load_standards

        elsewhere = LiveStandards(load_standards(DATA / "2026-01-01"), 0)
        async with database.session() as s:
            await service.install(s, elsewhere, version_files(), origin="cli", user_id=None)
        r = await other.get("/api/standards?version=2026.5")
        assert r.status_code == 200 and r.json()["effective_from"] == "2026-12-20"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_bad_yaml_names_file_line_and_key_in_both_languages(admin: AsyncTestClient, database: Database, lang: str) -> None:
    files = version_files()
    files["street_light.yaml"] = files["street_light.yaml"].replace("max: 90", "max: 900")
    await speak(database, lang)
    r = await upload(admin, [(n, t.encode()) for n, t in files.items()], lang)
    assert r.status_code == 422
    message = re.search(r'id="standards-error"[^>]*>([^<]+)<', r.text).group(1)
    assert re.search(r"street_light\.yaml:\d+", message) and "observations.tilt_deg.max" in message
    assert ("标准文件有误" if lang == "zh" else "do not validate") in message
    assert await rows(database) == []


async def test_refused_dates_and_names(admin: AsyncTestClient, database: Database, world: World) -> None:
    for effective, code in (("2026-12-10", "standards_date_past"), ("2026-01-01", "standards_date_past")):
        r = await upload(admin, [("v.zip", as_zip(version_files(effective=effective)))])
        assert r.status_code == 422 and f'data-code="{code}"' in r.text
    r = await upload(admin, [("v.zip", as_zip(version_files(version="2026.1")))])
    assert 'data-code="standards_version_taken"' in r.text
    await speak(database, "zh")
    nul = upload(admin, [("manifest.yaml", b"version: a\x00b\n")])
    assert (await nul).status_code == 422
    r = await upload(admin, [("notes.txt", b"hello")], "zh")
    assert r.status_code == 422 and "只接受" in r.text
    # A month closed in advance would change: refused (and named).
    async with database.session() as s:
        admin_id = (await s.execute(select(AuditEvent.user_id).where(AuditEvent.user_id.is_not(None)))).scalars().first()
        from server.accounts.models import User
        admin_id = (await s.execute(select(User.id).where(User.username == "admin"))).scalar_one()
        s.add(ClosedMonth(site_id=world.site, month="2026-12", figures=[], evidence={}, standards_version="2026.1",
                          scoring_version="2026.1", closed_by=admin_id))
    r = await upload(admin, [("v.zip", as_zip(version_files()))])
    assert r.status_code == 422 and 'data-code="standards_month_closed"' in r.text and "2026-12" in r.text
    assert await rows(database) == []


async def test_edit_form_adds_a_category_and_changes_a_limit(admin: AsyncTestClient, database: Database) -> None:
    page = await admin.get("/admin/standards/edit")
    assert page.status_code == 200 and 'name="limit.HT-4"' in page.text
    form = {"_csrf_token": csrf(admin), "version": "2026.7", "effective_from": "2026-12-24",
            "limit.HT-4": "5", "new_key": "street_light", "new_label_zh": "路灯", "new_label_en": "Street light",
            "new_group": "facilities", "new_checks": "SL-1 | 夜间正常亮灯 | Lit at night | normal",
            "new_limits": "SL-3 | 灯杆倾斜 | Pole tilt | high | deg | 0 | 90 | <= | 3"}
    bad = await admin.post("/admin/standards/edit", data={**form, "new_limits": "SL-3 | 灯杆倾斜 | high"},
                           headers={"Accept-Language": "en"})
    assert bad.status_code == 422 and 'data-field="new_limits"' in bad.text and "9 parts" in bad.text
    r = await admin.post("/admin/standards/edit", data=form)
    assert r.status_code == 200, r.text
    assert "street_light" in re.search(r'<ul data-diff="categories_added">(.*?)</ul>', r.text, re.S).group(1)
    assert "HT-4" in re.search(r'<table data-diff="clauses_changed">(.*?)</table>', r.text, re.S).group(1)
    r = await admin.post("/admin/standards/install", data={"_csrf_token": csrf(admin), "origin": "form",
                                                          "bundle": bundle_of(r.text)}, follow_redirects=False)
    assert r.status_code == 303
    [row] = await rows(database)
    assert row.origin == "form"
    doc = (await admin.get("/api/standards?version=2026.7")).json()
    sl = doc["categories"]["street_light"]
    assert sl["written_by"] == "operator" and [c["id"] for c in sl["clauses"]] == ["SL-1", "SL-3"]
    old = (await admin.get("/api/standards?version=2026.1")).json()
    # Every other clause keeps its id and meaning; only HT-4's limit moved.
    for key, cat in old["categories"].items():
        for a, b in zip(cat["clauses"], doc["categories"][key]["clauses"], strict=True):
            assert a["id"] == b["id"]
            if a["id"] != "HT-4":
                assert a == b
    ht2 = next(c for c in doc["categories"]["heritage_tree"]["clauses"] if c["id"] == "HT-4")
    assert ht2["pass_when"]["value"] == 5


async def test_inspector_may_not_reach_it(database_url: str, world: World) -> None:
    async with make_client(database_url) as c:
        await signed_in(c, "insp")
        assert (await c.get("/admin/standards")).status_code == 403


def test_cli_install_dry_run_then_install(tmp_path: Path, database_url: str, world: World,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from server.__main__ import main
    from server.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    folder = tmp_path / "v"
    folder.mkdir()
    for name, text in version_files().items():
        (folder / name).write_text(text, encoding="utf-8")
    assert main(["standards", "install", str(folder), "--dry-run"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["installed"] is False and "street_light" in out["categories_added"] and out["against"] == "2026.1"
    (tmp_path / "v.zip").write_bytes(as_zip(version_files()))
    assert main(["standards", "install", str(tmp_path / "v.zip")]) == 0
    assert json.loads(capsys.readouterr().out)["installed"] is True
    assert main(["standards", "install", str(folder)]) == 1
    assert "standards_version_taken" in capsys.readouterr().err
    bad = version_files(**{"railing.yaml": "category: railing\nbogus: 1\n"})
    for name, text in bad.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert main(["standards", "install", str(folder / "manifest.yaml"), "--dry-run"]) == 1
    assert re.search(r"railing\.yaml:\d+", capsys.readouterr().err)


async def test_photo_required_on_fail(database_url: str, database: Database, world: World, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A clause marked photo_on_fail: a failing inspection without a photo is refused (the
    field and clause named), nothing stored; the edit form's "| photo" writes the key."""
    import shutil
    import uuid as uuidlib

    from server.assets.models import Asset
    from server.inspections.models import Inspection
    from tests.workorder_helpers import api_headers

    # A shipped version in force since 2026-02-01 (so an inspection of any past day uses it).
    root = tmp_path / "std"
    shutil.copytree(DATA / "2026-01-01", root / "2026-01-01")
    files = version_files(version="2026.2", effective="2026-02-01")
    files["street_light.yaml"] = files["street_light.yaml"].replace(
        "    severity: urgent\n", "    severity: urgent\n    photo_on_fail: true\n")
    (root / "2026-02-01").mkdir()
    for name, text in files.items():
        (root / "2026-02-01" / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("STANDARDS_DIR", str(root))
    async with database.session() as s:
        seat = (await s.execute(select(Asset).limit(1))).scalar_one()
        lamp = Asset(zone_id=seat.zone_id, category="street_light", code="Z1-SL-900", name="Lamp", lat=seat.lat,
                     lon=seat.lon, qr_token="qr-z1-sl-900")
        s.add(lamp)
        await s.flush()
        lamp_id = lamp.id
    async with make_client(database_url) as phone:
        await signed_in(phone, "super")  # every zone (the world's inspector has none of their own)
        doc = (await phone.get("/api/standards?version=2026.2")).json()
        assert next(c for c in doc["categories"]["street_light"]["clauses"] if c["id"] == "SL-2")["photo_on_fail"] is True
        assert "photo_on_fail" not in next(c for c in doc["categories"]["street_light"]["clauses"] if c["id"] == "SL-1")
        record_id = str(uuidlib.uuid4())
        body = {"asset_id": str(lamp_id), "observed_at": "2026-03-02T10:00:00+08:00",
                "observations": {"lit_at_night": True, "exposed_wiring": True, "tilt_deg": 1}, "photos": []}
        r = await phone.put(f"/api/sync/inspection/{record_id}", json=body, headers=api_headers(phone))
        assert r.status_code == 422, r.text
        [problem] = r.json()["errors"]
        assert (problem["code"], problem["field"]) == ("photo_required", "body.photos") and "SL-2" in problem["message"]
        body["observations"]["exposed_wiring"] = False  # SL-2 passes: no photo needed
        r = await phone.put(f"/api/sync/inspection/{record_id}", json=body, headers=api_headers(phone))
        assert r.status_code in (200, 201), r.text
    async with database.session(write=False) as s:
        assert (await s.get(Inspection, uuidlib.UUID(record_id))).standards_version == "2026.2"  # type: ignore[union-attr]


async def test_edit_form_photo_marker(admin: AsyncTestClient) -> None:
    form = {"_csrf_token": csrf(admin), "version": "2026.8", "effective_from": "2026-12-24", "new_key": "railing",
            "new_label_zh": "栏杆", "new_label_en": "Railing", "new_group": "facilities",
            "new_checks": "RL-1 | 牢固 | Firm | urgent | photo\nRL-2 | 无锈蚀 | No rust | low"}
    r = await admin.post("/admin/standards/edit", data=form)
    assert r.status_code == 200, r.text
    files = json.loads(bundle_of(r.text))
    assert "photo_on_fail: true" in files["railing.yaml"] and files["railing.yaml"].count("photo_on_fail") == 1
