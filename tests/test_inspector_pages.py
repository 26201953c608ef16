"""The inspector's pages through HTTP, checked through real selectors (BeautifulSoup).

Finder, asset page, inspection form for every category, QR route and the supervisors'
QR label sheet, on the demo site (the demo inspector covers zones Z1–Z3).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup, Tag
from litestar.testing import AsyncTestClient
from sqlalchemy import select

import standards
from server.assets.models import Asset
from server.assets.pages import qr_svg
from server.assets.queries import FINDER_LIMIT
from server.core.config import DatabaseSettings
from server.core.db import Database
from server.defects.models import ACTIVE_STATUSES, Defect
from server.inspections.models import Inspection
from server.sites.models import Zone
from tests.conftest import sign_in

DOCUMENT = standards.load_standards().current().document
CATEGORIES = list(DOCUMENT["categories"])
# Inline code CSP would refuse; a JSON data block (the words in #fc-words) is not code.
INLINE_CODE = "script:not([src]):not([type='application/json'])"
MY_ZONES = {"Z1", "Z2", "Z3"}
ROAD_CATEGORIES = [k for k, c in DOCUMENT["categories"].items() if c.get("damage_types")]


@pytest.fixture
async def demo_db(demo_database_url: str) -> AsyncIterator[Database]:
    db = Database.connect(DatabaseSettings(url=demo_database_url))
    yield db
    await db.dispose()


@pytest.fixture
async def inspector(demo_client: AsyncTestClient) -> AsyncTestClient:
    await sign_in(demo_client, "inspector", "Inspect-2026-demo")
    return demo_client


async def assets_by_zone(db: Database) -> dict[str, list[Asset]]:
    async with db.session(write=False) as s:
        rows = await s.execute(select(Asset, Zone.code).join(Zone, Zone.id == Asset.zone_id).order_by(Asset.code))
        found: dict[str, list[Asset]] = {}
        for asset, zone in rows:
            found.setdefault(zone, []).append(asset)
        return found


def page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def listed(soup: BeautifulSoup) -> list[Tag]:
    return soup.select("#asset-list > li")


# -- the finder ------------------------------------------------------------------------------


async def test_finder_lists_only_my_zones(inspector: AsyncTestClient, demo_db: Database) -> None:
    zones = await assets_by_zone(demo_db)
    mine = sum(1 for z in MY_ZONES for a in zones[z] if a.active)
    soup = page((await inspector.get("/inspect/assets")).text)
    items = listed(soup)
    assert items, "the finder lists nothing"
    assert {li["data-zone"] for li in items} <= MY_ZONES
    assert len(items) == min(mine, FINDER_LIMIT)
    assert str(mine) in soup.select_one("#result-count").get_text()
    for li in items:
        assert li.select_one("a")["href"] == f"/inspect/assets/{li['data-id']}"
        float(li["data-lat"]), float(li["data-lon"])  # the phone sorts by these
    # Another zone's asset cannot be found even by its exact code.
    other = zones["Z4"][0].code
    assert listed(page((await inspector.get("/inspect/assets", params={"q": other})).text)) == []


async def test_finder_searches_by_code_and_by_name(inspector: AsyncTestClient, demo_db: Database) -> None:
    asset = (await assets_by_zone(demo_db))["Z2"][3]
    by_code = listed(page((await inspector.get("/inspect/assets", params={"q": asset.code.lower()})).text))
    assert [li["data-code"] for li in by_code] == [asset.code]

    word = asset.name.split()[-2]  # e.g. "Lawn" of "樱花草坪草坪04号 Lawn Z2-4"
    by_name = listed(page((await inspector.get("/inspect/assets", params={"q": word.upper()})).text))
    assert asset.code in {li["data-code"] for li in by_name}
    assert all(word.lower() in li["data-name"].lower() or word.lower() in li["data-code"].lower() for li in by_name)

    chinese = asset.name[:4]
    by_zh = listed(page((await inspector.get("/inspect/assets", params={"q": chinese})).text))
    assert asset.code in {li["data-code"] for li in by_zh}

    # LIKE wildcards are plain characters.
    assert listed(page((await inspector.get("/inspect/assets", params={"q": "%"})).text)) == []


async def test_finder_search_form_works_without_script(inspector: AsyncTestClient) -> None:
    soup = page((await inspector.get("/inspect/assets", params={"q": "Z1-SE"})).text)
    form = soup.select_one("form#finder-form")
    assert form["method"] == "get" and form["action"] == "/inspect/assets"
    field = form.select_one("input[name=q]")
    assert field["value"] == "Z1-SE"
    assert soup.select_one(f"label[for={field['id']}]")
    assert soup.select_one('a[href="/inspect/assets/new"]')
    assert soup.select_one('script[type=module][src="/static/js/finder.js"]')


# -- the asset page ----------------------------------------------------------------------------


async def test_asset_page_shows_last_inspections_and_open_defects(inspector: AsyncTestClient, demo_db: Database) -> None:
    async with demo_db.session(write=False) as s:
        zone_ids = (await s.scalars(select(Zone.id).where(Zone.code.in_(MY_ZONES)))).all()
        defect = await s.scalar(
            select(Defect).where(Defect.status.in_(ACTIVE_STATUSES), Defect.zone_id.in_(zone_ids)).limit(1)
        )
        assert defect is not None, "the demo has no open defect in the inspector's zones"
        asset = await s.get(Asset, defect.asset_id)
        active = (await s.scalars(
            select(Defect.clause_id).where(Defect.asset_id == asset.id, Defect.status.in_(ACTIVE_STATUSES))
        )).all()
        latest = (await s.scalars(
            select(Inspection.id).where(Inspection.asset_id == asset.id).order_by(Inspection.observed_at.desc()).limit(5)
        )).all()

    response = await inspector.get(f"/inspect/assets/{asset.id}")
    assert response.status_code == 200
    soup = page(response.text)
    assert asset.code in soup.select_one("h1").get_text()
    assert sorted(li["data-clause"] for li in soup.select(".defect-list > li")) == sorted(active)
    label = DOCUMENT["categories"][asset.category]["clauses"]
    assert any(c["label"]["zh"] in soup.select_one(".defect-list").get_text() for c in label)
    assert [tr["data-inspection"] for tr in soup.select("table.asset-inspections tbody tr")] == [str(i) for i in latest]
    link = soup.select_one("a#inspect-link")
    assert link["href"] == f"/inspect/form/{asset.category}?asset={asset.id}"
    pending = soup.select_one("#pending")
    assert pending["data-asset-id"] == str(asset.id) and pending.has_attr("hidden")


async def test_asset_summary_is_the_bundle_shape(inspector: AsyncTestClient, demo_db: Database) -> None:
    asset = (await assets_by_zone(demo_db))["Z1"][0]
    data = (await inspector.get(f"/inspect/assets/{asset.id}/summary", headers={"Accept": "application/json"})).json()
    assert set(data) == {"id", "zone_id", "category", "code", "name", "lat", "lon", "qr_token", "active",
                         "last_inspected_at", "last_verdict"}
    assert (data["id"], data["code"], data["qr_token"]) == (str(asset.id), asset.code, asset.qr_token)


async def test_the_asset_shell_carries_the_labels_and_no_asset(inspector: AsyncTestClient) -> None:
    """The one offline asset page: every label the phone needs to fill it, no asset of its own."""
    import json

    response = await inspector.get("/inspect/assets/shell", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    soup = page(response.text)
    labels = json.loads(soup.select_one("script#shell-labels").string)
    current = standards.load_standards().catalogue()  # in force, plus what scheduled versions add
    assert set(labels["clauses"]) == {c.id for cat in current.categories.values() for c in cat.clauses}
    assert set(labels["categories"]) == set(current.categories)
    assert labels["severity"]["urgent"] == "Urgent" and labels["status"]["ordered"] == "work ordered"
    assert soup.select_one("#pending")["data-asset-id"] == "" and soup.select_one("#shell-asset").has_attr("hidden")
    assert soup.select_one("script[src='/static/js/asset-shell.js']")


async def test_unknown_or_unreachable_asset_is_404(inspector: AsyncTestClient, demo_db: Database) -> None:
    other = (await assets_by_zone(demo_db))["Z4"][0]
    for path in (f"/inspect/assets/{uuid.uuid4()}", f"/inspect/assets/{other.id}", f"/inspect/assets/{other.id}/summary"):
        response = await inspector.get(path)
        assert response.status_code == 404, path
        assert page(response.text).select_one("[data-code=asset_not_found]"), path
    assert (await inspector.get("/inspect/assets/not-a-uuid")).status_code in (400, 404)
    assert (await inspector.get("/inspect/form/swimming_pool")).status_code == 404


# -- the inspection form -----------------------------------------------------------------------


def labelled(soup: BeautifulSoup, control: Tag) -> bool:
    return bool(control.get("id")) and soup.select_one(f'label[for="{control["id"]}"]') is not None


@pytest.mark.parametrize("category", CATEGORIES)
async def test_form_has_one_control_per_observation(inspector: AsyncTestClient, category: str) -> None:
    response = await inspector.get(f"/inspect/form/{category}", params={"asset": str(uuid.uuid4())})
    assert response.status_code == 200  # the asset is the phone's business: the page is the same for all
    soup = page(response.text)
    form = soup.select_one("form#inspection")
    assert form["data-category"] == category
    assert form["data-standards-version"] == DOCUMENT["version"]
    observations = DOCUMENT["categories"][category]["observations"]
    numbers = form.select("#observations input[type=number][data-obs]")
    flags = form.select("#observations fieldset.flag[data-obs]")
    assert Counter([n["data-obs"] for n in numbers] + [f["data-obs"] for f in flags]) == Counter(list(observations))
    for control in numbers:
        spec = observations[control["data-obs"]]
        assert spec["type"] == "number"
        assert float(control["min"]) == spec["min"] and float(control["max"]) == spec["max"]
        assert control["step"] == (str(spec["step"]) if "step" in spec else "any")
        assert control["inputmode"] == "decimal" and control["data-unit"] == spec["unit"]
        label = soup.select_one(f'label[for="{control["id"]}"]')
        assert spec["label"]["zh"] in label.get_text()
        assert label.select_one(".unit").get_text().strip("()") in {spec["unit"], "m²", "°"}
    for flag in flags:
        spec = observations[flag["data-obs"]]
        assert spec["type"] == "boolean"
        radios = flag.select("input[type=radio]")
        assert [r["value"] for r in radios] == ["true", "false", ""]
        assert {r["name"] for r in radios} == {f"obs.{flag['data-obs']}"}
        assert all(labelled(soup, r) for r in radios)
        assert spec["label"]["zh"] in flag.select_one("legend").get_text()
        assert bool(flag.select_one(".exempt-badge")) == bool(spec.get("exemption"))


@pytest.mark.parametrize("category", CATEGORIES)
async def test_form_lists_every_clause_in_both_languages(inspector: AsyncTestClient, category: str) -> None:
    soup = page((await inspector.get(f"/inspect/form/{category}")).text)
    clauses = DOCUMENT["categories"][category]["clauses"]
    items = soup.select("#clauses li.clause")
    assert [li["data-clause"] for li in items] == [c["id"] for c in clauses]
    for li, clause in zip(items, clauses):
        assert li.select_one(".clause-id").get_text() == clause["id"]
        assert li.select_one('[lang="zh-CN"]').get_text() == clause["label"]["zh"]
        assert li.select_one('[lang="en"]').get_text() == clause["label"]["en"]
        assert clause["source"] in li.get_text()
        result = li.select_one(f"output#result-{clause['id']}")
        assert result["data-result"] == "unknown"
        na = li.select_one(f"input[type=checkbox][name=not_applicable][value={clause['id']}]")
        assert labelled(soup, na)


@pytest.mark.parametrize("category", CATEGORIES)
async def test_form_is_accessible_by_construction(inspector: AsyncTestClient, category: str) -> None:
    """Labels for every control, legends for every group, unique ids, a language."""
    soup = page((await inspector.get(f"/inspect/form/{category}")).text)
    assert soup.html["lang"] in ("zh-CN", "en")
    template = soup.select_one("template#damage-template")
    if template is not None:
        template.extract()  # inert until the phone clones it (ids renamed then)
    ids = [el["id"] for el in soup.select("[id]")]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for control in soup.select("main input, main select, main textarea"):
        if control.get("type") == "hidden":
            continue
        assert labelled(soup, control), control
    for fieldset in soup.select("main fieldset"):
        assert fieldset.find("legend", recursive=False) is not None, fieldset.get("id")
    for ref in soup.select("[aria-describedby]"):
        for target in ref["aria-describedby"].split():
            assert soup.select_one(f"#{target}") is not None, target
    assert soup.select_one('script[type=module][src="/static/js/form.js"]')
    assert not soup.select("[style]") and not soup.select(INLINE_CODE)  # CSP: no inline code or style


@pytest.mark.parametrize("category", ROAD_CATEGORIES)
async def test_road_forms_carry_the_damage_type_fields(inspector: AsyncTestClient, category: str) -> None:
    soup = page((await inspector.get(f"/inspect/form/{category}")).text)
    types = DOCUMENT["categories"][category]["damage_types"]
    template = soup.select_one("template#damage-template")
    assert template is not None and soup.select_one("button#add-damage") and soup.select_one("ol#damage-list")
    options = [o["value"] for o in template.select("select.damage-type option") if o["value"]]
    assert options == list(types)
    for key, dtype in types.items():
        group = template.select_one(f'.damage-fields[data-type="{key}"]')
        assert group.has_attr("hidden")
        fields = group.select("input[type=number][data-field]")
        assert [f["data-field"] for f in fields] == list(dtype["fields"])
        for control in fields:
            spec = dtype["fields"][control["data-field"]]
            assert float(control["min"]) == spec["min"] and float(control["max"]) == spec["max"]
            assert template.select_one(f'label[for="{control["id"]}"]') is not None
    photo = template.select_one("input[type=file][accept='image/*'][capture=environment]")
    assert photo is not None and template.select_one(f'label[for="{photo["id"]}"]')


async def test_forms_without_damage_types_have_no_damage_list(inspector: AsyncTestClient) -> None:
    soup = page((await inspector.get("/inspect/form/seating")).text)
    assert soup.select_one("template#damage-template") is None and soup.select_one("#damage-list") is None
    assert soup.select_one("#inspection-photo[type=file][capture=environment]")
    assert soup.select_one("textarea#notes")


async def test_form_speaks_the_users_language(inspector: AsyncTestClient) -> None:
    # The demo inspector has no saved language: the browser's decides (the demo data is shared, not changed here).
    soup = page((await inspector.get("/inspect/form/seating", headers={"Accept-Language": "en-GB,en;q=0.9"})).text)
    assert soup.html["lang"] == "en"
    spec = DOCUMENT["categories"]["seating"]["observations"]["damage_pct"]
    assert spec["label"]["en"] in soup.select_one('label[for="obs-damage_pct"]').get_text()
    assert soup.select_one("#words")["data-fail"] == "Fail"
    zh = page((await inspector.get("/inspect/form/seating", headers={"Accept-Language": "zh-CN"})).text)
    assert zh.html["lang"] == "zh-CN" and zh.select_one("#words")["data-fail"] == "不合格"


async def test_htmx_request_gets_the_fragment(inspector: AsyncTestClient) -> None:
    response = await inspector.get("/inspect/form/seating", headers={"HX-Request": "true"})
    assert "<html" not in response.text and 'id="inspection"' in response.text
    assert "HX-Request" in response.headers["vary"]
    restore = await inspector.get("/inspect/form/seating", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


# -- QR labels ----------------------------------------------------------------------------------


async def test_qr_route_redirects_to_the_asset_page(inspector: AsyncTestClient, demo_db: Database) -> None:
    zones = await assets_by_zone(demo_db)
    asset = zones["Z3"][0]
    response = await inspector.get(f"/inspect/qr/{asset.qr_token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/inspect/assets/{asset.id}"
    assert (await inspector.get(f"/inspect/qr/{zones['Z5'][0].qr_token}", follow_redirects=False)).status_code == 404
    assert (await inspector.get("/inspect/qr/no-such-token", follow_redirects=False)).status_code == 404


async def test_qr_sheet_prints_one_svg_label_per_asset(demo_client: AsyncTestClient, demo_db: Database) -> None:
    await sign_in(demo_client, "supervisor", "Super-2026-demo")
    chooser = page((await demo_client.get("/supervise/qr-sheet")).text)
    assert [o["value"] for o in chooser.select("select#qr-zone option")] == ["Z1", "Z2", "Z3", "Z4", "Z5"]

    response = await demo_client.get("/supervise/qr-sheet", params={"zone": "Z2"})
    assert response.status_code == 200
    soup = page(response.text)
    active = [a for a in (await assets_by_zone(demo_db))["Z2"] if a.active]
    labels = soup.select("ul.qr-sheet > li.qr-label")
    assert [li["data-code"] for li in labels] == [a.code for a in active]
    for li, asset in zip(labels, active):
        svg = li.select_one("svg.qr")
        assert svg is not None and svg.select_one("path[d]") and svg["viewbox"].startswith("0 0 ")
        # The label encodes this site's URL of the asset's QR route, exactly.
        assert str(svg) == str(page(qr_svg(f"http://127.0.0.1:8000/inspect/qr/{asset.qr_token}", asset.code)).svg)
        assert asset.code in li.select_one(".qr-code").get_text()
    assert (await demo_client.get("/supervise/qr-sheet", params={"zone": "Z9"})).status_code == 404


async def test_qr_sheet_is_for_supervisors_only(inspector: AsyncTestClient) -> None:
    response = await inspector.get("/supervise/qr-sheet", params={"zone": "Z1"})
    assert response.status_code == 403


# -- who may see these pages ---------------------------------------------------------------------


async def test_contractors_may_not_open_inspector_pages(demo_client: AsyncTestClient, demo_db: Database) -> None:
    await sign_in(demo_client, "green", "Lvyuan-2026-demo")
    asset = (await assets_by_zone(demo_db))["Z1"][0]
    for path in ("/inspect/assets", "/inspect/assets/new", f"/inspect/assets/{asset.id}",
                 "/inspect/form/seating", f"/inspect/qr/{asset.qr_token}", "/supervise/qr-sheet"):
        response = await demo_client.get(path, follow_redirects=False)
        assert response.status_code == 403, path


async def test_signed_out_visitors_are_sent_to_sign_in(demo_client: AsyncTestClient) -> None:
    response = await demo_client.get("/inspect/form/seating?asset=x", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_new_asset_page_offers_every_category(inspector: AsyncTestClient) -> None:
    soup = page((await inspector.get("/inspect/assets/new")).text)
    options = [o["value"] for o in soup.select("select#na-category option") if o["value"]]
    # The version in force, then the categories scheduled versions add (assets may be made ahead).
    assert options == list(standards.load_standards().catalogue().categories)
    assert options[:len(CATEGORIES)] == CATEGORIES
    for control in soup.select("form#new-asset input, form#new-asset select, form#new-asset textarea"):
        assert labelled(soup, control)
    assert soup.select_one("#gps-status[role=status]")
    assert soup.select_one('script[type=module][src="/static/js/asset-new.js"]')

