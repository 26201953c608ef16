"""The inspection form, finder and new-asset page in real Chromium (Debian's /usr/bin/chromium).

Signed in as the demo inspector on a live server with the demo site loaded (the fixtures of
tests/browser/conftest.py). Verdicts are computed on the phone as values are typed; saving
writes one outbox entry with the photo resized on the phone. The sync API is cut off here
(requests to it fail as with no signal) so the entry stays in the outbox to be looked at;
sending it is the offline core's tests' business (test_offline_core.py).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import LiveServer, collect_errors, context_options, sign_in, wait_until

pytestmark = pytest.mark.browser

# Where the demo's Z1-SE-001 stands (a stone seat at the north promenade).
HERE = {"latitude": 32.1049062, "longitude": 118.7075114, "accuracy": 7}


def phone_context(browser: Any, server: LiveServer, locale: str = "zh-CN", located: bool = True) -> Any:
    """A phone in Nanjing's time zone, at HERE when `located`, with no signal for the sync API."""
    options = {**context_options(server.url), "locale": locale, "timezone_id": "Asia/Shanghai",
               "viewport": {"width": 390, "height": 844}, "service_workers": "block"}
    if located:
        options.update(geolocation=HERE, permissions=["geolocation"])
    context = browser.new_context(**options)
    # What is saved stays in the outbox, as in the field without signal.
    context.route(re.compile(r".*/api/(sync|photos)(/.*)?$"), lambda route: route.abort("internetdisconnected"))
    return context


def signed_in_page(context: Any) -> Any:
    tab = context.new_page()
    tab.errors = collect_errors(tab)
    sign_in(tab)
    return tab


def unexpected_errors(page: Any) -> list[str]:
    """The page's errors, less the failed sync requests these tests cut off on purpose."""
    return [e for e in page.errors if "ERR_INTERNET_DISCONNECTED" not in e]


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A phone's page (zh-CN) signed in as the demo inspector; page.errors collects page errors."""
    context = phone_context(browser, live_server)
    yield signed_in_page(context)
    context.close()


@pytest.fixture
def english_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = phone_context(browser, live_server, locale="en-GB")
    yield signed_in_page(context)
    context.close()


def asset_id(page: Any, code: str) -> str:
    """The id of the asset with this code, looked up through the finder's server search."""
    page.goto(f"/inspect/assets?q={code}")
    return str(page.get_attribute(f'#asset-list li[data-code="{code}"]', "data-id"))


def open_form(page: Any, code: str, category: str) -> str:
    aid = asset_id(page, code)
    page.goto(f"/inspect/form/{category}?asset={aid}")
    page.wait_for_selector("form#inspection[data-ready=true]")
    return aid


def result(page: Any, clause: str) -> str:
    return str(page.get_attribute(f"#result-{clause}", "data-result"))


def choose(page: Any, flag: str, answer: str) -> None:
    page.click(f'label[for="obs-{flag}-{answer}"]')  # the big button a thumb presses


def outbox(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("async () => (await import('/static/js/outbox.js')).list()")


def photo_bytes(page: Any, sha256: str) -> bytes:
    encoded = page.evaluate(
        """async (sha) => {
            const p = await (await import('/static/js/store.js')).get('photos', sha);
            const bytes = new Uint8Array(await p.blob.arrayBuffer());
            let s = ''; for (const b of bytes) s += String.fromCharCode(b);
            return btoa(s);
        }""",
        sha256,
    )
    return base64.b64decode(encoded)


def camera_jpeg(path: Path, size: tuple[int, int], orientation: int | None = None) -> Path:
    """A camera-sized JPEG; with EXIF orientation 6 it is stored sideways, as phones do."""
    image = Image.new("RGB", size, (70, 130, 60))
    for x in range(0, size[0], 97):
        image.paste((200, 40, 40), (x, 0, x + 9, size[1]))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


# -- live verdicts -------------------------------------------------------------------------------


def test_verdicts_change_as_values_are_typed(page: Any) -> None:
    open_form(page, "Z1-SE-001", "seating")
    assert result(page, "SE-1") == "unknown"
    choose(page, "usable", "yes")
    page.fill("#obs-damage_pct", "10")
    assert result(page, "SE-1") == "pass"
    assert page.inner_text("#result-SE-1") == "合格"
    page.fill("#obs-damage_pct", "10.5")
    assert result(page, "SE-1") == "fail"
    assert page.get_attribute("#overall", "data-verdict") == "non_compliant"
    assert page.get_attribute('#clause-chips li[data-clause="SE-1"]', "data-result") == "fail"
    choose(page, "minor_damage_no_hazard", "yes")
    assert result(page, "SE-1") == "exempt"
    choose(page, "minor_damage_no_hazard", "unset")
    assert result(page, "SE-1") == "fail"
    page.click('label[for="na-SE-1"]')
    assert result(page, "SE-1") == "n/a"
    # Everything observed and fine: compliant.
    page.fill("#obs-missing_pct", "0")
    choose(page, "tilt_affects_use", "no")
    page.fill("#obs-rust_pct", "2")
    assert [result(page, c) for c in ("SE-1", "SE-2", "SE-3", "SE-4")] == ["n/a", "pass", "pass", "pass"]
    assert page.get_attribute("#overall", "data-verdict") == "compliant"
    assert page.inner_text("#gps-status") == "定位精度 ±7 米"
    assert unexpected_errors(page) == []


def test_out_of_range_value_shows_the_evaluators_message(page: Any, english_page: Any) -> None:
    open_form(page, "Z1-SE-001", "seating")
    page.fill("#obs-rust_pct", "150")
    assert "超出范围 0–100 %" in page.inner_text("#obs-rust_pct-error")
    assert page.get_attribute("#obs-rust_pct", "aria-invalid") == "true"
    assert result(page, "SE-4") == "unknown"
    page.fill("#obs-rust_pct", "9")
    assert page.inner_text("#obs-rust_pct-error") == ""
    assert page.get_attribute("#obs-rust_pct", "aria-invalid") is None
    assert result(page, "SE-4") == "pass"
    # Saving with a bad value is refused on the phone, with the field focused.
    page.fill("#obs-damage_pct", "-1")
    page.click("#save")
    page.wait_for_selector("#form-alert:not([hidden])")  # save reads the stored versions first
    assert page.evaluate("document.activeElement.id") == "obs-damage_pct"
    assert outbox(page) == []

    open_form(english_page, "Z1-SE-001", "seating")
    english_page.fill("#obs-rust_pct", "150")
    assert "is 150, outside 0–100 %" in english_page.inner_text("#obs-rust_pct-error")


def test_road_damage_instances_sum_to_a_fail(page: Any) -> None:
    open_form(page, "Z1-RA-001", "road_asphalt")
    assert result(page, "RA-1") == "pass"  # no damage listed: a damaged area of 0
    page.click("#add-damage")
    first = page.locator("#damage-list > li").nth(0)
    first.locator("select.damage-type").select_option("pothole")
    assert first.locator('.damage-fields[data-type="pothole"]').is_visible()
    assert not first.locator('.damage-fields[data-type="rutting"]').is_visible()
    first.locator("input[data-field=depth_mm]:visible").fill("25")
    first.locator("input[data-field=area_m2]:visible").fill("0.6")
    assert result(page, "RA-1") == "pass"
    page.click("#add-damage")
    second = page.locator("#damage-list > li").nth(1)
    second.locator("select.damage-type").select_option("rutting")
    second.locator("input[data-field=depth_mm]:visible").fill("20")
    second.locator("input[data-field=area_m2]:visible").fill("0.5")
    assert result(page, "RA-1") == "fail"  # 0.6 + 0.5 m² > 1 m²
    assert page.get_attribute("#overall", "data-verdict") == "non_compliant"
    second.locator("input[data-field=depth_mm]:visible").fill("10")  # too shallow to count as a rut
    assert result(page, "RA-1") == "pass"
    second.locator("input[data-field=depth_mm]:visible").fill("20")
    assert result(page, "RA-1") == "fail"
    ids = page.eval_on_selector_all("#damage-list [id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)) and not any("dmg-N-" in i for i in ids)
    second.locator("button.remove-damage").click()
    assert page.locator("#damage-list > li").count() == 1
    assert result(page, "RA-1") == "pass"
    # A damage with no type yet blocks saving with a message next to the select.
    page.click("#add-damage")
    page.click("#save")
    page.wait_for_selector("#form-alert:not([hidden])")  # save reads the stored versions first
    assert page.inner_text("#damage-list > li:nth-child(2) .field-error >> nth=0") == "请选择破损类型。"
    assert outbox(page) == []
    assert unexpected_errors(page) == []


# -- saving --------------------------------------------------------------------------------------


def test_save_with_a_photo_enqueues_one_entry(page: Any, tmp_path: Path) -> None:
    aid = open_form(page, "Z1-SE-001", "seating")
    choose(page, "usable", "yes")
    page.fill("#obs-damage_pct", "12")
    page.fill("#notes", "  扶手松动 ")
    # A 4000 × 3000 camera picture stored sideways (EXIF orientation 6): upright it is 3000 × 4000.
    page.set_input_files("#inspection-photo", str(camera_jpeg(tmp_path / "camera.jpg", (4000, 3000), orientation=6)))
    page.wait_for_selector("[data-photos=inspection-photo] .thumbs li img")
    page.click("#save")
    page.wait_for_url(re.compile(rf".*/inspect/assets/{aid}(#saved)?$"))
    assert page.is_visible("#saved-note")
    assert "已保存在本机" in page.inner_text("#saved-note")

    entries = outbox(page)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["kind"] == "inspection" and entry["state"] in ("queued", "sending")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", entry["id"])
    body = entry["body"]
    assert set(body) == {"asset_id", "observed_at", "position", "observations", "damages", "not_applicable",
                         "notes", "photos", "standards_version"}
    assert body["asset_id"] == aid
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", body["observed_at"])
    assert body["position"] == {"lat": HERE["latitude"], "lon": HERE["longitude"], "accuracy_m": 7}
    assert body["observations"] == {"damage_pct": 12, "usable": True}
    assert body["damages"] == [] and body["not_applicable"] == []
    assert body["notes"] == "扶手松动"
    assert body["standards_version"] == "2026.1"
    assert len(body["photos"]) == 1 and body["photos"][0]["damage_index"] is None
    sha = body["photos"][0]["sha256"]
    assert entry["photos"] == [sha]

    stored = photo_bytes(page, sha)
    assert hashlib.sha256(stored).hexdigest() == sha  # named by the SHA-256 of the stored bytes
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG"
    assert image.size == (1200, 1600)  # upright, and at most 1600 px
    assert not image.getexif().get(0x0112)  # re-encoded: the orientation is applied, not carried
    # The page lists what is still waiting for this asset.
    page.wait_for_selector("#pending:not([hidden]) #pending-list li")
    assert page.get_attribute("#pending-list li", "data-entry") == entry["id"]
    assert unexpected_errors(page) == []


def test_save_works_without_a_position(browser: Any, live_server: LiveServer) -> None:
    context = phone_context(browser, live_server, located=False)  # the inspector said no to location
    try:
        tab = signed_in_page(context)
        aid = open_form(tab, "Z1-SE-001", "seating")
        tab.wait_for_selector("#gps-status[data-state=denied]")
        assert tab.inner_text("#gps-status") == "未允许定位"
        tab.fill("#obs-rust_pct", "3")
        tab.click("#save")
        tab.wait_for_url(re.compile(rf".*/inspect/assets/{aid}(#saved)?$"))
        [entry] = outbox(tab)
        assert entry["body"]["position"] is None
        assert entry["body"]["observations"] == {"rust_pct": 3}
    finally:
        context.close()


def test_damage_photos_point_at_their_damage(page: Any, tmp_path: Path) -> None:
    open_form(page, "Z1-RA-001", "road_asphalt")
    page.click("#add-damage")
    page.click("#add-damage")
    second = page.locator("#damage-list > li").nth(1)
    for i, item in enumerate([page.locator("#damage-list > li").nth(0), second]):
        item.locator("select.damage-type").select_option("pumping")
        item.locator("input[data-field=area_m2]:visible").fill(str(0.2 + i))
    second.locator("input[type=file]").set_input_files(str(camera_jpeg(tmp_path / "a.jpg", (800, 600))))
    second.locator(".thumbs li img").wait_for()
    page.click("#save")
    page.wait_for_url(re.compile(r".*/inspect/assets/[0-9a-f-]+(#saved)?$"))
    [entry] = outbox(page)
    assert entry["body"]["damages"] == [{"type": "pumping", "area_m2": 0.2}, {"type": "pumping", "area_m2": 1.2}]
    assert [p["damage_index"] for p in entry["body"]["photos"]] == [1]
    image = Image.open(io.BytesIO(photo_bytes(page, entry["photos"][0])))
    assert image.size == (800, 600)  # small pictures are not enlarged


def test_a_queued_entry_is_corrected_under_its_own_id(page: Any) -> None:
    aid = open_form(page, "Z1-SE-001", "seating")
    page.fill("#obs-damage_pct", "30")
    page.click("#save")
    page.wait_for_url(re.compile(rf".*/inspect/assets/{aid}(#saved)?$"))
    [entry] = outbox(page)

    page.goto(f"/inspect/form/seating?asset={aid}&entry={entry['id']}")
    page.wait_for_selector("form#inspection[data-ready=true]")
    assert page.is_visible("#entry-note")
    assert page.input_value("#obs-damage_pct") == "30"
    assert result(page, "SE-1") == "fail"  # 30 % is over the limit whatever "usable" says
    choose(page, "usable", "yes")
    page.fill("#obs-damage_pct", "8")
    assert result(page, "SE-1") == "pass"
    page.click("#save")
    page.wait_for_url(re.compile(rf".*/inspect/assets/{aid}(#saved)?$"))
    [again] = outbox(page)
    assert again["id"] == entry["id"]
    assert again["body"]["observations"] == {"damage_pct": 8, "usable": True}
    assert again["body"]["observed_at"] == entry["body"]["observed_at"]  # the same inspection, corrected


def test_new_asset_is_queued_first_and_inspected_at_once(page: Any) -> None:
    page.goto("/inspect/assets/new")
    page.wait_for_selector("#gps-status[data-state=fix]")
    page.select_option("#na-category", "planter")
    page.fill("#na-name", "花钵 (新增)")
    page.click("#na-save")
    page.wait_for_url(re.compile(r".*/inspect/form/planter\?asset=[0-9a-f-]+$"))
    page.wait_for_selector("form#inspection[data-ready=true]")
    assert "花钵 (新增)" in page.inner_text("#asset-line")
    choose(page, "usable", "yes")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/inspect/assets(#saved)?$"))  # a new asset has no page of its own yet
    assert page.is_visible("#saved-note")
    asset_entry, inspection_entry = outbox(page)
    assert asset_entry["kind"] == "asset" and inspection_entry["kind"] == "inspection"
    assert asset_entry["body"] == {"category": "planter", "name": "花钵 (新增)", "notes": "",
                                   "position": {"lat": HERE["latitude"], "lon": HERE["longitude"], "accuracy_m": 7}}
    assert inspection_entry["body"]["asset_id"] == asset_entry["id"]
    # The finder lists it (from the phone's assets store) and opens its form.
    kept = page.evaluate(f"async () => (await import('/static/js/store.js')).get('assets', '{asset_entry['id']}')")
    assert kept["local"] is True and kept["category"] == "planter"


def test_a_refused_new_asset_is_corrected_in_one_tab_only(page: Any) -> None:
    page.goto("/inspect/assets/new")
    page.wait_for_selector("#gps-status[data-state=fix]")
    page.select_option("#na-category", "seating")
    page.fill("#na-name", "长椅")
    page.click("#na-save")
    page.wait_for_url(re.compile(r".*/inspect/form/seating\?asset=.*"))
    [entry] = outbox(page)

    page.goto(f"/inspect/assets/new?entry={entry['id']}")  # as the outbox page links a refused asset
    page.wait_for_selector("#na-entry:not([hidden])")
    assert page.input_value("#na-name") == "长椅"
    assert page.input_value("#na-category") == "seating"
    assert "32.104906, 118.707511 (±7 m)" in page.inner_text("#na-entry-position")
    other = page.context.new_page()  # a second tab on the same entry may not edit it
    other.goto(f"/inspect/assets/new?entry={entry['id']}")
    other.wait_for_selector("#na-error:not([hidden])")
    assert "另一个标签页" in other.inner_text("#na-error")
    assert other.is_disabled("#na-save")
    other.close()

    page.fill("#na-name", "长椅 (北入口)")
    page.click("#na-save")
    page.wait_for_url(re.compile(r".*/inspect/outbox$"))
    [again] = outbox(page)
    assert again["id"] == entry["id"] and again["kind"] == "asset"
    assert again["body"]["name"] == "长椅 (北入口)"
    assert again["body"]["position"] == entry["body"]["position"]


# -- the finder ----------------------------------------------------------------------------------


def test_finder_puts_the_nearest_first_and_opens_a_typed_code(page: Any) -> None:
    page.goto("/inspect/assets")
    page.wait_for_selector("#gps-status[data-state=fix]")
    wait_until(page, "() => document.querySelector('#asset-list li').dataset.code === 'Z1-SE-001'")
    assert page.inner_text("#asset-list li:first-child .asset-dist") == "0 m"
    assert page.inner_text("#gps-status") == "定位精度 ±7 米"
    page.fill("#finder-q", "Z1-RA")
    codes = page.eval_on_selector_all("#asset-list li", "els => els.map(e => e.dataset.code)")
    assert codes and all(c.startswith("Z1-RA-") for c in codes)
    # No camera scanner in this Chromium: the code on the label is typed instead.
    assert "输入标签上的编号" in page.inner_text("#scan-note")
    page.fill("#finder-q", "z1-se-002")
    page.press("#finder-q", "Enter")
    page.wait_for_url(re.compile(r".*/inspect/assets/[0-9a-f-]{36}$"))
    assert "Z1-SE-002" in page.inner_text("h1")
    assert unexpected_errors(page) == []


def test_finder_searches_the_downloaded_assets(page: Any) -> None:
    """With assets in IndexedDB (as "download for offline" leaves them) the finder needs no server."""
    page.goto("/inspect/assets")
    page.evaluate("""async () => {
        const store = await import('/static/js/store.js');
        const asset = (id, code, name, lat, lon, extra = {}) => ({id, zone_id: 'z', category: 'seating', code, name,
            lat, lon, qr_token: 'tok-' + id, active: true, last_inspected_at: null, last_verdict: null, ...extra});
        await store.put('assets', asset('00000000-0000-4000-8000-000000000001', 'Z1-SE-901', 'Far bench', 32.1149, 118.7075));
        await store.put('assets', asset('00000000-0000-4000-8000-000000000002', 'Z1-SE-902', 'Near bench', 32.1050, 118.7075));
        await store.put('assets', asset('00000000-0000-4000-8000-000000000003', '', 'New bench', 32.1049, 118.7076, {local: true}));
        await store.put('assets', asset('00000000-0000-4000-8000-000000000004', 'Z1-SE-904', 'Gone bench', 32.1049, 118.7075, {active: false}));
    }""")
    page.reload()
    page.wait_for_selector("#gps-status[data-state=fix]")
    wait_until(page, "() => document.querySelectorAll('#asset-list li').length === 3")
    names = page.eval_on_selector_all("#asset-list li .asset-name", "els => els.map(e => e.textContent)")
    assert names == ["New bench", "Near bench", "Far bench"]
    assert page.eval_on_selector_all("#asset-list li .asset-dist", "els => els.map(e => e.textContent)") == \
        ["8 m", "10 m", "1.1 km"]
    # A new asset not yet on the server opens straight into its form.
    assert page.get_attribute("#asset-list li:first-child a", "href") == \
        "/inspect/form/seating?asset=00000000-0000-4000-8000-000000000003"
    page.fill("#finder-q", "far")
    assert page.eval_on_selector_all("#asset-list li", "els => els.map(e => e.dataset.code)") == ["Z1-SE-901"]
    page.press("#finder-q", "Enter")  # nothing exact: the list stays, no trip to the server
    assert page.url.endswith("/inspect/assets")
    page.fill("#finder-q", "Z1-SE-902")
    page.press("#finder-q", "Enter")
    page.wait_for_url(re.compile(r".*/inspect/assets/00000000-0000-4000-8000-000000000002$"))


# -- accessibility ---------------------------------------------------------------------------------


def test_axe_finds_no_violations(page: Any, tmp_path: Path) -> None:
    from axe_playwright_python.sync_playwright import Axe  # a test dependency: missing it fails, never skips

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}
    open_form(page, "Z1-RA-001", "road_asphalt")
    page.click("#add-damage")
    page.locator("#damage-list select.damage-type").select_option("alligator")
    page.locator("#damage-list input[data-field=crack_width_mm]:visible").fill("-3")  # an error on show
    page.set_input_files("#inspection-photo", str(camera_jpeg(tmp_path / "p.jpg", (640, 480))))
    page.wait_for_selector("[data-photos=inspection-photo] .thumbs li img")
    pages = {"road form": axe.run(page, options=options)}
    open_form(page, "Z1-GS-001", "green_space")
    pages["green space form"] = axe.run(page, options=options)
    open_form(page, "Z1-SE-001", "seating")
    page.fill("#obs-missing_pct", "40")  # SE-2 fails, and this bench has it open: a duplicate warning
    page.wait_for_selector("#duplicates p")
    pages["form with a duplicate warning"] = axe.run(page, options=options)
    page.goto("/inspect/assets")
    pages["finder"] = axe.run(page, options=options)
    page.goto("/inspect/assets/new")
    page.wait_for_selector("#gps-status[data-state=fix]")
    page.select_option("#na-category", "seating")  # Z1-SE-001 stands here: a likely duplicate
    page.wait_for_selector("#na-duplicates li a")
    pages["new asset with a duplicate warning"] = axe.run(page, options=options)
    found = {name: [(v["id"], [n["target"] for n in v["nodes"]]) for v in r.response["violations"]]
             for name, r in pages.items()}
    assert found == {name: [] for name in pages}, json.dumps(found, ensure_ascii=False, indent=1)

