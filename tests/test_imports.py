"""Importing and exporting the register: real files in every format, written in the test
with pyogrio / openpyxl, through the `fieldcheck` command and the service it calls."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pyogrio.raw
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import func, select

from server.assets.models import Asset
from server.core.audit.models import AuditEvent
from server.core.config import DatabaseSettings
from server.core.db import Database
from server.imports.crs import wgs84_to_bd09, wgs84_to_gcj02
from server.imports.export import export_register
from server.imports.service import ImportOptions, ImportProblem, run_import
from server.imports.sites import create_site
from server.sites.models import Site, Zone
from standards import load_standards

ROOT = Path(__file__).resolve().parent.parent
STANDARD = load_standards().current()
TO_GK = Transformer.from_crs(4326, 4527, always_xy=True)  # CGCS2000 / 3-degree Gauss–Krüger zone 39
Z1 = shapely.box(118.700, 32.100, 118.705, 32.105)
Z2 = shapely.box(118.705, 32.100, 118.710, 32.105)


def gauss_kruger(geoms: list[Any]) -> np.ndarray:
    return shapely.transform(np.array(geoms, dtype=object),
                             lambda xy: np.column_stack(TO_GK.transform(xy[:, 0], xy[:, 1])))


def write_vector(path: Path, geoms: Any, columns: dict[str, list[Any]], *, crs: str | None = "EPSG:4326",
                 driver: str | None = None, encoding: str | None = None, geometry_type: str = "Unknown") -> Path:
    pyogrio.raw.write(path, np.array(shapely.to_wkb(geoms), dtype=object),
                      [np.array(v, dtype=object) for v in columns.values()], fields=list(columns),
                      geometry_type=geometry_type, crs=crs, driver=driver, encoding=encoding)
    return path


def fieldcheck(*args: str, url: str, media: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(media)}
    return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


def run_json(*args: str, url: str, media: Path) -> dict[str, Any]:
    done = fieldcheck(*args, "--json", url=url, media=media)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def assets_of(db: Database) -> dict[str, Any]:
    async with db.session(write=False) as s:
        rows = await s.execute(select(Asset, Zone.code).join(Zone, Zone.id == Asset.zone_id))
        return {a.code: (a, zone) for a, zone in rows}


@pytest.fixture
async def site(database: Database) -> Database:
    """A site QL with two zones Z1 (西) and Z2 (东), made through the service."""
    await create_site(database, "QL", "青龙公园", "Qinglong Park")
    async with database.session() as s:
        site_id = (await s.execute(select(Site.id))).scalar_one()
        for code, name, box in (("Z1", "西片区", Z1), ("Z2", "东片区", Z2)):
            w, so, e, n = box.bounds
            s.add(Zone(site_id=site_id, code=code, name_zh=name, name_en=code, outline=shapely.geometry.mapping(box),
                       min_lat=so, min_lon=w, max_lat=n, max_lon=e))
    return database


async def do_import(db: Database, path: Path, kind: str = "assets", **options: Any):  # type: ignore[no-untyped-def]
    return await run_import(db, STANDARD, path, ImportOptions(kind=kind, site="QL", **options))


# -- the Done-when file: a Shapefile in Gauss–Krüger with GBK attributes, through the CLI --------


def test_shapefile_gbk_gauss_kruger_zones_then_assets_then_rerun(database_url: str, tmp_path: Path) -> None:
    zones = write_vector(tmp_path / "片区.shp", gauss_kruger([Z1, Z2]),
                         {"编号": ["Z1", "Z2"], "名称": ["西片区", "东片区"], "英文名称": ["West", "East"]},
                         crs="EPSG:4527", driver="ESRI Shapefile", encoding="GBK", geometry_type="Polygon")
    assert (tmp_path / "片区.cpg").read_text().strip().upper() == "GBK"
    assert "西片区".encode("gbk") in (tmp_path / "片区.dbf").read_bytes()  # really GBK on disk
    points = [shapely.Point(118.701, 32.101), shapely.Point(118.707, 32.102), shapely.Point(118.7023456, 32.1041234)]
    assets = write_vector(tmp_path / "设施.shp", gauss_kruger(points),
                          {"编号": ["A-1", "A-2", "A-3"], "名称": ["长椅一号", "雕塑二号", "草坪三号"],
                           "类别": ["街头座椅", "Sculpture", "green_space"]},
                          crs="EPSG:4527", driver="ESRI Shapefile", encoding="GBK", geometry_type="Point")
    made = fieldcheck("create-site", "QL", "--name", "青龙公园", "--timezone", "Asia/Shanghai", url=database_url, media=tmp_path)
    assert made.returncode == 0, made.stderr
    assert run_json("import", "zones", str(zones), "--site", "QL", url=database_url, media=tmp_path) == {
        "created": 2, "updated": 0, "unchanged": 0, "retired": 0, "refused": []}
    first = run_json("import", "assets", str(assets), "--site", "QL", url=database_url, media=tmp_path)
    assert first == {"created": 3, "updated": 0, "unchanged": 0, "retired": 0, "refused": []}
    again = run_json("import", "assets", str(assets), "--site", "QL", url=database_url, media=tmp_path)
    assert again == {"created": 0, "updated": 0, "unchanged": 3, "retired": 0, "refused": []}

    async def check() -> None:
        db = Database.connect(DatabaseSettings(url=database_url))
        try:
            found = await assets_of(db)
            async with db.session(write=False) as s:
                zone_names = dict((await s.execute(select(Zone.code, Zone.name_zh))).all())
                site = (await s.execute(select(Site))).scalar_one()
        finally:
            await db.dispose()
        assert zone_names == {"Z1": "西片区", "Z2": "东片区"}
        assert (site.center_lat, site.center_lon) == (pytest.approx(32.1025), pytest.approx(118.705))
        bench, sculpture, lawn = found["A-1"][0], found["A-2"][0], found["A-3"][0]
        assert (bench.name, bench.category, found["A-1"][1]) == ("长椅一号", "seating", "Z1")
        assert (sculpture.category, found["A-2"][1]) == ("sculpture", "Z2")  # placed by the zone its point is in
        assert lawn.lat == pytest.approx(32.1041234, abs=1e-7) and lawn.lon == pytest.approx(118.7023456, abs=1e-7)
        assert bench.outline is None and bench.active and len(bench.qr_token) == 16

    import asyncio

    asyncio.run(check())


# -- refusals: the index, the field, never half written ----------------------------------------


async def test_bad_features_are_refused_with_their_index_and_the_rest_written(site: Database, tmp_path: Path) -> None:
    geoms = [shapely.Point(118.701, 32.101), shapely.Point(118.701, 32.102), shapely.Point(119.5, 33.0),
             shapely.Point(118.702, 32.101), shapely.Point(118.703, 32.101), shapely.Point(118.704, 32.101),
             shapely.Point(118.704, 32.102)]
    path = write_vector(tmp_path / "assets.geojson", geoms, {
        "code": ["OK-1", "BAD-CAT", "FAR", "", "OK-1", "BAD-ZONE", "OK-2"],
        "name": ["good", "bad category", "outside", "no code", "again", "zone", "good two"],
        "category": ["seating", "fountain", "seating", "seating", "seating", "seating", "雕塑"],
        "zone": ["", "", "", "", "", "Z9", "Z2"],
    }, driver="GeoJSON")
    report = await do_import(site, path)
    out = report.as_json()
    assert (out["created"], out["updated"], out["unchanged"]) == (2, 0, 0)
    assert [(r["feature"], r["field"], r["code"]) for r in out["refused"]] == [
        (2, "category", "unknown_category"), (3, "geometry", "outside_zones"), (4, "code", "missing_value"),
        (5, "code", "duplicate_code"), (6, "zone", "unknown_zone")]
    assert "BAD-CAT" in out["refused"][0]["message"] and "fountain" in out["refused"][0]["message"]
    assert report.as_json("zh")["refused"][4]["message"] == "BAD-ZONE：该项目中没有片区“Z9”。"
    found = await assets_of(site)
    assert set(found) == {"OK-1", "OK-2"}
    assert found["OK-2"][1] == "Z2"  # the zone column wins over the point (which lies in Z1)
    assert found["OK-1"][0].name == "good"  # the later duplicate did not overwrite it


async def test_an_unreadable_file_is_one_clear_message(site: Database, tmp_path: Path, database_url: str) -> None:
    junk = tmp_path / "register.gpkg"
    junk.write_bytes(b"this is not a GeoPackage\n" * 50)
    with pytest.raises(ImportProblem) as problem:
        await do_import(site, junk)
    assert problem.value.key == "imports.unreadable" and "register.gpkg" in problem.value.message()
    done = fieldcheck("import", "assets", str(junk), "--site", "QL", "--json", url=database_url, media=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("fieldcheck: the file cannot be read: register.gpkg") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    missing = fieldcheck("import", "assets", str(tmp_path / "nope.shp"), "--site", "QL", url=database_url, media=tmp_path)
    assert missing.returncode == 1 and "no such file" in missing.stderr
    other = fieldcheck("import", "assets", str(junk), "--site", "NOPE", url=database_url, media=tmp_path)
    assert other.returncode == 1 and "no site with code 'NOPE'" in other.stderr
    assert (await assets_of(site)) == {}


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # a file without a CRS is the point here
async def test_a_shapefile_without_prj_needs_crs(site: Database, tmp_path: Path) -> None:
    path = write_vector(tmp_path / "a.shp", gauss_kruger([shapely.Point(118.701, 32.101)]),
                        {"code": ["A"], "category": ["seating"]}, crs=None, driver="ESRI Shapefile", geometry_type="Point")
    assert not (tmp_path / "a.prj").exists()
    with pytest.raises(ImportProblem) as problem:
        await do_import(site, path)
    assert problem.value.key == "imports.no_crs" and "--crs" in problem.value.message()
    report = await do_import(site, path, crs="EPSG:4527")
    assert report.created == 1
    asset = (await assets_of(site))["A"][0]
    assert (asset.lat, asset.lon) == (pytest.approx(32.101, abs=1e-7), pytest.approx(118.701, abs=1e-7))
    # Gauss–Krüger metres read as degrees are off the planet: refused, with the hint.
    wrong = await do_import(site, write_vector(tmp_path / "b.geojson", gauss_kruger([shapely.Point(118.701, 32.101)]),
                                               {"code": ["B"], "category": ["seating"]}, driver="GeoJSON"))
    assert [(r.field, r.code) for r in wrong.refused] == [("geometry", "off_the_planet")]


# -- lines and polygons keep their geometry -----------------------------------------------------


async def test_lines_and_polygons_keep_their_geometry_placed_by_a_point_on_them(site: Database, tmp_path: Path) -> None:
    lawn = shapely.Polygon([(118.7061, 32.1011), (118.7091, 32.1011), (118.7091, 32.1031), (118.7061, 32.1031)])
    road = shapely.LineString([(118.7005, 32.1005), (118.7040, 32.1045)])
    path = write_vector(tmp_path / "register.gpkg", [lawn, road],
                        {"编号": ["LAWN-1", "ROAD-1"], "名称": ["大草坪", "主路"], "类别": ["绿地", "沥青砼路面"]}, driver="GPKG")
    report = await do_import(site, path)
    assert (report.created, report.refused) == (2, [])
    found = await assets_of(site)
    lawn_row, zone = found["LAWN-1"]
    assert zone == "Z2" and lawn_row.category == "green_space"
    assert shapely.geometry.shape(lawn_row.outline).equals(lawn)
    assert lawn.covers(shapely.Point(lawn_row.lon, lawn_row.lat))
    road_row = found["ROAD-1"][0]
    assert road_row.category == "road_asphalt" and road_row.outline["type"] == "LineString"
    assert road.distance(shapely.Point(road_row.lon, road_row.lat)) < 1e-7


# -- KML, CSV, XLSX and the web-map datums --------------------------------------------------------


async def test_kml(site: Database, tmp_path: Path) -> None:
    path = write_vector(tmp_path / "trees.kml", [shapely.Point(118.7012, 32.1013), shapely.Point(118.7071, 32.1022)],
                        {"Name": ["T-1", "T-2"], "Description": ["古树名木", "Tree guard"]}, driver="KML")
    report = await do_import(site, path, fields=("code=Name", "category=Description"))
    assert (report.created, report.refused) == (2, [])
    found = await assets_of(site)
    assert found["T-1"][0].category == "heritage_tree" and found["T-2"][0].category == "tree_guard"
    assert found["T-2"][0].lon == pytest.approx(118.7071, abs=1e-7)


async def test_csv_gbk_with_chinese_columns_from_a_gcj02_web_map(site: Database, tmp_path: Path) -> None:
    truth = np.array([[118.7012, 32.1013], [118.7071, 32.1022]])
    gcj = wgs84_to_gcj02(truth)
    assert np.abs(gcj - truth).max() > 1e-3  # the offset is hundreds of metres: it matters
    path = tmp_path / "座椅.csv"
    with path.open("w", newline="", encoding="gbk") as handle:
        writer = csv.writer(handle)
        writer.writerow(["编号", "名称", "类别", "经度", "纬度"])
        writer.writerow(["S-1", "长椅", "街头座椅", f"{gcj[0, 0]:.9f}", f"{gcj[0, 1]:.9f}"])
        writer.writerow([])
        writer.writerow(["S-2", "雕塑", "雕塑", f"{gcj[1, 0]:.9f}", f"{gcj[1, 1]:.9f}"])
        writer.writerow(["S-3", "坏坐标", "雕塑", "东经118度", "32.1"])
    report = await do_import(site, path, crs="gcj02")
    assert report.created == 2
    assert [(r.feature, r.field, r.code) for r in report.refused] == [(3, "lon", "not_a_number")]
    found = await assets_of(site)
    assert found["S-1"][0].name == "长椅" and found["S-1"][0].category == "seating"
    assert found["S-2"][0].lon == pytest.approx(118.7071, abs=2e-7) and found["S-2"][0].lat == pytest.approx(32.1022, abs=2e-7)


async def test_xlsx_with_field_options_from_a_bd09_web_map(site: Database, tmp_path: Path) -> None:
    truth = np.array([[118.7033, 32.1044]])
    bd = wgs84_to_bd09(truth)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "设施清单"
    sheet.append(["资产号", "Label", "Kind", "X坐标", "Y坐标"])
    sheet.append(["P-1", "花钵", "花架花钵", float(bd[0, 0]), float(bd[0, 1])])
    sheet.append([1234, "number code", "planter", float(bd[0, 0]), float(bd[0, 1])])
    path = tmp_path / "register.xlsx"
    book.save(path)
    report = await do_import(site, path, crs="bd09",
                             fields=("code=资产号", "name=Label", "category=Kind", "lon=X坐标", "lat=Y坐标"))
    assert (report.created, report.refused) == (2, [])
    found = await assets_of(site)
    assert set(found) == {"P-1", "1234"}
    assert found["P-1"][0].lon == pytest.approx(118.7033, abs=2e-7) and found["P-1"][0].lat == pytest.approx(32.1044, abs=2e-7)
    with pytest.raises(ImportProblem) as problem:
        await do_import(site, path, fields=("code=NoSuchColumn",))
    assert problem.value.key == "imports.bad_field_option" and "NoSuchColumn" in problem.value.message()


# -- updates, dry runs, retiring, and the round trip -------------------------------------------------


async def test_updates_dry_run_and_retire_missing(site: Database, tmp_path: Path, database_url: str) -> None:
    points = [shapely.Point(118.701 + i * 0.001, 32.101) for i in range(4)]
    cols = {"code": ["R-1", "R-2", "R-3", "R-4"], "name": ["a", "b", "c", "d"], "category": ["seating"] * 4}
    first = await do_import(site, write_vector(tmp_path / "v1.geojson", points, cols, driver="GeoJSON"))
    assert first.created == 4
    # v2: R-2 renamed, R-3 moved to Z2, R-4 gone, R-5 new, and a refused feature whose code is R-1.
    v2 = write_vector(tmp_path / "v2.geojson", [points[0], points[1], shapely.Point(118.708, 32.101), points[0]], {
        "code": ["R-1", "R-2", "R-3", "R-5"], "name": ["a", "B!", "c", "e"], "category": ["seating"] * 4}, driver="GeoJSON")
    v2_bad = write_vector(tmp_path / "v2b.geojson", [points[0], points[1], shapely.Point(118.708, 32.101), points[0]], {
        "code": ["R-1", "R-2", "R-3", "R-5"], "name": ["a", "B!", "c", "e"],
        "category": ["unknown", "seating", "seating", "seating"]}, driver="GeoJSON")
    before = await assets_of(site)
    async with site.session(write=False) as s:
        audit_before = await s.scalar(select(func.count()).select_from(AuditEvent))
    dry = run_json("import", "assets", str(v2), "--site", "QL", "--retire-missing", "--dry-run", url=database_url, media=tmp_path)
    assert dry == {"created": 1, "updated": 2, "unchanged": 1, "retired": 1, "refused": []}
    after_dry = await assets_of(site)
    assert {c: (a.name, a.lat, a.lon, a.active, z) for c, (a, z) in after_dry.items()} == \
        {c: (a.name, a.lat, a.lon, a.active, z) for c, (a, z) in before.items()}
    async with site.session(write=False) as s:
        assert await s.scalar(select(func.count()).select_from(AuditEvent)) == audit_before
    # A refused R-1 still counts as present: it is not retired for a typo.
    bad = run_json("import", "assets", str(v2_bad), "--site", "QL", "--retire-missing", url=database_url, media=tmp_path)
    assert (bad["retired"], [r["feature"] for r in bad["refused"]]) == (1, [1])
    found = await assets_of(site)
    assert found["R-1"][0].active and not found["R-4"][0].active and found["R-2"][0].name == "B!"
    assert found["R-3"][1] == "Z2"
    # The full v2 now: R-1 was untouched by the refusal; everything else already as v2 says.
    again = await do_import(site, v2, retire_missing=True)
    assert again.as_json() == {"created": 0, "updated": 0, "unchanged": 4, "retired": 0, "refused": []}
    # R-4 back in the file: reinstated.
    v3 = write_vector(tmp_path / "v3.geojson", [points[3]], {"code": ["R-4"], "name": ["d"], "category": ["seating"]},
                      driver="GeoJSON")
    back = await do_import(site, v3)
    assert back.updated == 1 and (await assets_of(site))["R-4"][0].active
    async with site.session(write=False) as s:
        actions = (await s.execute(select(AuditEvent.action, AuditEvent.details).where(AuditEvent.action == "import.assets"))).all()
    assert len(actions) == 4 and actions[1][1]["retired"] == 1 and actions[1][1]["file"] == "v2b.geojson"


async def test_a_code_of_another_site_is_refused(site: Database, tmp_path: Path) -> None:
    await create_site(site, "OTHER", "别的公园")
    async with site.session() as s:
        other = (await s.execute(select(Site.id).where(Site.code == "OTHER"))).scalar_one()
        box = shapely.box(0.0, 0.0, 1.0, 1.0)
        s.add(Zone(site_id=other, code="Z1", name_zh="x", name_en="x", outline=shapely.geometry.mapping(box),
                   min_lat=0, min_lon=0, max_lat=1, max_lon=1))
    path = write_vector(tmp_path / "o.geojson", [shapely.Point(0.5, 0.5)], {"code": ["X-1"], "category": ["seating"]},
                        driver="GeoJSON")
    assert (await run_import(site, STANDARD, path, ImportOptions(kind="assets", site="OTHER"))).created == 1
    mine = write_vector(tmp_path / "m.geojson", [shapely.Point(118.701, 32.101)], {"code": ["X-1"], "category": ["seating"]},
                        driver="GeoJSON")
    report = await do_import(site, mine)
    assert [(r.field, r.code) for r in report.refused] == [("code", "code_in_other_site")]
    assert (await assets_of(site))["X-1"][1] == "Z1" and (await assets_of(site))["X-1"][0].lat == 0.5


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
async def test_export_then_import_changes_nothing(database: Database, tmp_path: Path, suffix: str) -> None:
    """The demo register (points from the field, unrounded) and an imported outline survive a round trip."""
    from server.demo import load_demo
    from tests.conftest import DEMO_TODAY

    await load_demo(database, today=DEMO_TODAY)
    async with database.session(write=False) as s:
        site_code = (await s.execute(select(Site.code))).scalar_one()
    zones_file = tmp_path / f"zones{suffix}"
    assert await export_register(database, site_code, "zones", zones_file) == 5
    async with database.session(write=False) as s:
        z1 = (await s.execute(select(Zone).where(Zone.code == "Z1"))).scalar_one()
    lawn = shapely.geometry.shape(z1.outline).buffer(-0.0002)  # a lawn along the zone's edge, inside it
    extra = write_vector(tmp_path / f"extra{suffix}", [lawn], {"code": ["LAWN-X"], "category": ["green_space"], "zone": ["Z1"]},
                         driver="GPKG" if suffix == ".gpkg" else "GeoJSON")
    assert (await run_import(database, STANDARD, extra, ImportOptions(kind="assets", site=site_code))).created == 1
    assets_file = tmp_path / f"assets{suffix}"
    count = await export_register(database, site_code, "assets", assets_file)
    assert count > 250
    before = await assets_of(database)
    zones = await run_import(database, STANDARD, zones_file, ImportOptions(kind="zones", site=site_code))
    assert zones.as_json() == {"created": 0, "updated": 0, "unchanged": 5, "retired": 0, "refused": []}
    report = await run_import(database, STANDARD, assets_file, ImportOptions(kind="assets", site=site_code,
                                                                               retire_missing=True))
    assert report.as_json() == {"created": 0, "updated": 0, "unchanged": count, "retired": 0, "refused": []}
    after = await assets_of(database)
    assert {c: (a.updated_at, a.lat, a.lon, a.outline) for c, (a, _) in after.items()} == \
        {c: (a.updated_at, a.lat, a.lon, a.outline) for c, (a, _) in before.items()}
    assert after["LAWN-X"][0].outline is not None


async def test_create_site_refuses_bad_input(database_url: str, tmp_path: Path) -> None:
    ok = fieldcheck("create-site", "P1", "--name", "公园", url=database_url, media=tmp_path)
    assert ok.returncode == 0, ok.stderr
    for args, message in ((["P1", "--name", "again"], "taken"), (["bad code!", "--name", "x"], "site code"),
                          (["P2", "--name", "x", "--timezone", "Mars/Base"], "not a time zone")):
        done = fieldcheck("create-site", *args, url=database_url, media=tmp_path)
        assert done.returncode == 1 and message in done.stderr, done.stderr


# -- the web page: upload → preview (counts, refusals, map) → confirm, same path as the CLI ------


async def _wait(client: Any, url: str, *, until: str) -> str:
    import asyncio

    for _ in range(200):
        page = await client.get(url)
        assert page.status_code == 200, page.text
        if f'data-status="{until}"' in page.text:
            return page.text  # type: ignore[no-any-return]
        assert 'data-status="failed"' not in page.text, page.text
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never reached {until}")


async def test_web_import_preview_then_confirm(site: Database, database_url: str, tmp_path: Path) -> None:
    from bs4 import BeautifulSoup

    from server.accounts.service import create_user
    from tests.conftest import csrf_token, make_client, sign_in

    async with site.session() as s:
        await create_user(s, "boss", "Boss", "admin", "Manage-2026-test")
        await create_user(s, "lead", "Lead", "supervisor", "Super-2026-test")
    points = gauss_kruger([shapely.Point(118.701, 32.101), shapely.Point(118.707, 32.102), shapely.Point(118.702, 32.104)])
    write_vector(tmp_path / "设施.shp", points, {"编号": ["W-1", "W-2", "W-3"], "名称": ["长椅", "雕塑", "未知"],
                                               "类别": ["街头座椅", "雕塑", "喷泉"]},
                 crs="EPSG:4527", driver="ESRI Shapefile", encoding="GBK", geometry_type="Point")
    parts = [("file", (f"设施{ext}", (tmp_path / f"设施{ext}").read_bytes(), "application/octet-stream"))
             for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
    async with make_client(database_url) as client:
        await sign_in(client, "lead", "Super-2026-test")
        assert (await client.get("/admin/import")).status_code == 403
    async with make_client(database_url) as client:
        await sign_in(client, "boss", "Manage-2026-test")
        home = await client.get("/admin")
        assert 'href="/admin/import"' in home.text
        token = await csrf_token(client, "/admin/import")
        bad = await client.post("/admin/import", data={"_csrf_token": token, "kind": "assets", "site": "NOPE", "crs": "EPSG:99999"},
                                files=parts, headers={"Accept-Language": "en"})
        assert bad.status_code == 422
        soup = BeautifulSoup(bad.text, "html.parser")
        assert soup.select_one("#err-site").text == "Choose a site."
        assert soup.select_one("#err-crs").text == "This coordinate reference system is unknown."
        posted = await client.post("/admin/import", data={"_csrf_token": token, "kind": "assets", "site": "QL"},
                                   files=parts, follow_redirects=False)
        assert posted.status_code == 303, posted.text
        job = posted.headers["location"]
        preview = BeautifulSoup(await _wait(client, job, until="preview"), "html.parser")
        counts = {td["data-count"]: int(td.text) for td in preview.select("#import-counts td")}
        assert counts == {"created": 2, "updated": 0, "unchanged": 0, "retired": 0, "refused": 1}
        row = preview.select_one("#import-refused tr[data-feature='3']")
        assert row["data-code"] == "unknown_category" and "喷泉" in row.text
        config = json.loads(preview.select_one("#import-map")["data-config"])
        assert {f["properties"]["code"] for f in config["features"]["features"]} == {"W-1", "W-2"}
        assert {f["properties"]["code"] for f in config["zones"]["features"]} == {"Z1", "Z2"}
        assert await assets_of(site) == {}  # the preview wrote nothing
        form_token = preview.select_one("form[action$='/confirm'] input[name='_csrf_token']")["value"]
        confirmed = await client.post(f"{job}/confirm", data={"_csrf_token": form_token}, follow_redirects=False)
        assert confirmed.status_code == 303
        done = BeautifulSoup(await _wait(client, job, until="done"), "html.parser")
        assert int(done.select_one("td[data-count='created']").text) == 2
        again = await client.post(f"{job}/confirm", data={"_csrf_token": form_token}, follow_redirects=False)
        assert again.status_code == 409
        assert (await client.get("/admin/import/" + "0" * 32)).status_code == 404
    found = await assets_of(site)
    assert found["W-1"][0].name == "长椅" and found["W-2"][1] == "Z2"
    async with site.session(write=False) as s:
        event = (await s.execute(select(AuditEvent).where(AuditEvent.action == "import.assets"))).scalar_one()
    assert event.user_id is not None and event.details["created"] == 2
