"""Issue 14's "Done when", in real Chromium on an EMPTY install (no demo, one admin made
with `create-user`): the admin creates a site, imports its zones and assets through
/admin/import from a Shapefile in a Gauss–Krüger CRS (EPSG:4527) with GBK attributes,
creates a contractor, a contract and an inspector; that inspector signs in, downloads for
offline and inspects an imported asset, and the record syncs and is stored."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import shapely
from sqlalchemy import select

from server.assets.models import Asset
from server.inspections.models import Inspection
from server.sites.models import Site, Zone
from tests.browser.admin_steps import add_contractor_with_contract, add_inspector
from tests.browser.conftest import EMPTY_ADMIN, LiveServer, context_options, sign_in, wait_for_service_worker
from tests.browser.test_offline_core import download_for_offline
from tests.test_imports import gauss_kruger, write_vector

pytestmark = pytest.mark.browser

Z1 = shapely.box(118.700, 32.100, 118.705, 32.105)
Z2 = shapely.box(118.705, 32.100, 118.710, 32.105)


def shapefile(path: Path) -> list[str]:
    """The paths of every part of a Shapefile (.shp .shx .dbf .prj .cpg), to upload together."""
    return [str(p) for p in sorted(path.parent.glob(path.stem + ".*"))]


def import_file(page: Any, kind: str, files: list[str]) -> dict[str, str]:
    page.goto("/admin/import")
    page.check(f"#import-form input[name=kind][value={kind}]")
    page.select_option("#i-site", "QL")
    page.set_input_files("#i-file", files)
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-job[data-status=preview]", timeout=60000)
    page.click("#import-job form[action$='/confirm'] button[type=submit]")
    page.wait_for_selector("#import-job[data-status=done]", timeout=60000)
    return {k: page.inner_text(f"#import-job [data-count={k}]") for k in ("created", "updated", "refused")}


def test_an_admin_runs_a_site_from_an_empty_install(browser: Any, empty_server: LiveServer, tmp_path: Path) -> None:
    server = empty_server
    zones = write_vector(tmp_path / "片区.shp", gauss_kruger([Z1, Z2]),
                         {"编号": ["Z1", "Z2"], "名称": ["西片区", "东片区"], "英文名称": ["West", "East"]},
                         crs="EPSG:4527", driver="ESRI Shapefile", encoding="GBK", geometry_type="Polygon")
    assets = write_vector(tmp_path / "设施.shp", gauss_kruger([shapely.Point(118.701, 32.101), shapely.Point(118.707, 32.102)]),
                          {"编号": ["A-1", "A-2"], "名称": ["长椅一号", "长椅二号"], "类别": ["街头座椅", "seating"]},
                          crs="EPSG:4527", driver="ESRI Shapefile", encoding="GBK", geometry_type="Point")
    assert "长椅一号".encode("gbk") in (tmp_path / "设施.dbf").read_bytes()

    admin_ctx = browser.new_context(**context_options(server.url))
    page = admin_ctx.new_page()
    sign_in(page, *EMPTY_ADMIN, landing="**/admin")
    page.goto("/admin/sites/new")
    page.fill("#f-code", "QL")
    page.fill("#f-name_zh", "青龙公园")
    page.fill("#f-name_en", "Qinglong Park")
    page.fill("#f-timezone", "Asia/Shanghai")
    page.fill("#f-center_lat", "32.1025")
    page.fill("#f-center_lon", "118.705")
    page.click("#site-form button[type=submit]")
    page.wait_for_selector("tr[data-site='QL']")

    assert import_file(page, "zones", shapefile(zones)) == {"created": "2", "updated": "0", "refused": "0"}
    assert import_file(page, "assets", shapefile(assets)) == {"created": "2", "updated": "0", "refused": "0"}
    names = dict(server.query(select(Zone.code, Zone.name_zh)))
    assert names == {"Z1": "西片区", "Z2": "东片区"}  # GBK read as GBK
    bench = server.query(select(Asset.id, Asset.name, Asset.lat, Asset.lon, Zone.code)
                         .join(Zone, Zone.id == Asset.zone_id).where(Asset.code == "A-1"))
    assert bench and bench[0][1] == "长椅一号" and bench[0][4] == "Z1"
    assert (bench[0][2], bench[0][3]) == (pytest.approx(32.101, abs=1e-6), pytest.approx(118.701, abs=1e-6))
    asset_id = str(bench[0][0])

    add_contractor_with_contract(page, "QLCO", "青龙园林公司", "C-QL", "青龙养护", "Z1")
    add_inspector(page, "xiaowang", "Garden-path-2026", "小王", "Z1")
    admin_ctx.close()

    ctx = browser.new_context(**context_options(server.url))
    try:
        page = ctx.new_page()
        sign_in(page, "xiaowang", "Garden-path-2026")
        wait_for_service_worker(page)
        download_for_offline(page)
        page.goto(f"/inspect/assets/{asset_id}")  # the imported asset's page, from the download
        page.wait_for_selector("text=长椅一号")
        page.goto(f"/inspect/form/seating?asset={asset_id}")
        page.wait_for_selector("form#inspection[data-ready=true]")
        page.click('label[for="obs-usable-yes"]')
        page.fill("#obs-damage_pct", "3")
        page.click("#save")
        page.wait_for_url(re.compile(r".*/inspect(/assets(/[0-9a-f-]+)?|/outbox)?(#saved)?$"), timeout=20000)
        for _ in range(300):  # the outbox syncs in the background
            stored = server.query(select(Inspection.asset_id))
            if stored:
                break
            time.sleep(0.1)
        assert [str(a) for (a,) in stored] == [asset_id]
    finally:
        ctx.close()
    assert server.query(select(Site.code)) == [("QL",)]
