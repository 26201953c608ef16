"""Issue 12's done-when, in real Chromium: EVERY page each role can reach — derived from the
app's own routes, so a new page is walked without touching this file — at a phone's and a
desktop's size (390×844, 1366×900) in Chinese and English, must

- not scroll sideways at 390 px (`document.scrollingElement.scrollWidth <= innerWidth`);
- give every visible control at least 44 × 44 px on the inspector's and the contractor's
  pages (gloves, sun);
- be clean under axe-core (WCAG 2.0/2.1 A and AA, best practice).

Routes are the app's GET routes minus what is not a page (the JSON/CSV/PDF/SVG/GeoJSON
answers, photos, static files, the schema, the service worker). A route with a path
parameter gets a value from the demo site (`ids()`), or from a step done in the browser
where the demo has none (an emergency round, an import preview); a page route with a
parameter the walker cannot fill fails `test_every_page_route_is_walked`. Which role reaches
a page is the app's answer: 200 walks it, 403 (another role's page) skips it; anything else
fails. One server, one Chromium, one context per role × language × viewport.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, clone_database, drop_database, sign_in
from tests.browser.test_views import DESKTOP, PHONE, SMALL_TARGETS

pytestmark = pytest.mark.browser

ACCOUNTS = {
    "inspector": ("inspector", "Inspect-2026-demo", "**/inspect"),
    "contractor": ("green", "Lvyuan-2026-demo", "**/contractor"),
    "supervisor": ("supervisor", "Super-2026-demo", "**/supervise"),
    "admin": ("admin", "Manage-2026-demo", "**/admin"),
}
# Pages a finger uses in the park: every control ≥ 44 × 44 px there.
TOUCH_ROLES = {"inspector", "contractor"}
NOT_PAGES = re.compile(r"^/(api|static|schema|photos)/|^/(sw\.js|manifest\.webmanifest|health|schema)$|"
                       r"\.(csv|pdf|svg|geojson|json)$|/summary$")
# Routes that only redirect to another page (walked there).
REDIRECTS = {"/", "/inspect/qr/{token:str}", "/scores", "/reports/week"}
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}
# axe runs once per page × language, Chinese at the phone's size and English at the desktop's
# (the CSS is the same for both languages; what each size shows and hides is checked by axe in
# one of them, and overflow and touch targets are checked at every size in both): a page several
# roles reach (the standards, the scores) is checked by axe for the first role that walks it.
# Each role's own header is checked by axe on its own pages.
AXE_AT = {("zh", PHONE["width"]), ("en", DESKTOP["width"])}
AXED: set[tuple[str, str, int]] = set()
# A page an earlier role walked (the standards, the scores, /offline) is not walked again by
# a later one: the same template, and each role's own header (the admin's sync bar) is checked
# on its own pages. The touch roles go first, so their stricter rule is the one applied.
# Run alone, a role walks every page it reaches. One test per role and language, so the two
# pytest workers share the walk evenly (each worker keeps its own record of what it walked).
ROLE_ORDER = ["anon", "inspector", "contractor", "supervisor", "admin"]
REACHED: set[tuple[str, str]] = set()
OVERFLOW_390 = "() => document.scrollingElement.scrollWidth - window.innerWidth"
MONTH, WEEK = "2026-10", "2026-W47"


def page_routes() -> list[str]:
    """The app's GET routes that answer an HTML page."""
    from server.app import create_app

    app = create_app()
    out = []
    for route in app.routes:
        handlers = [h for h in getattr(route, "route_handlers", []) if "GET" in getattr(h, "http_methods", ())]
        if not handlers or NOT_PAGES.search(route.path) or route.path in REDIRECTS:
            continue
        media = str(handlers[0].media_type)
        if "json" in media.lower() or "openapi" in media.lower():
            continue
        out.append(route.path)
    return sorted(set(out))


def _id(value: Any) -> str:
    return str(uuid.UUID(str(value)))


def ids(server: LiveServer) -> dict[str, dict[str, str]]:
    """Path values from the demo: per role where the role sees only its own (the inspector's
    zones, the contractor's orders), else one for everyone."""
    def one(sql: str) -> str:
        rows = server.query(sql)
        assert rows, sql
        return _id(rows[0][0])

    z1_asset = "SELECT a.id FROM assets a JOIN zones z ON z.id = a.zone_id WHERE z.code = 'Z1' " \
               "AND a.active AND a.category = '{c}' ORDER BY a.code"
    common = {
        "{asset_id:uuid}": one(z1_asset.format(c="road_asphalt")),
        "{site_id:uuid}": one("SELECT id FROM sites ORDER BY code"),
        "{zone_id:uuid}": one("SELECT id FROM zones ORDER BY code"),
        "{contractor_id:uuid}": one("SELECT id FROM contractors ORDER BY code"),
        "{contract_id:uuid}": one("SELECT id FROM contracts ORDER BY code"),
        "{user_id:uuid}": one("SELECT id FROM users WHERE username = 'inspector'"),
        "{inspection_id:uuid}": one(
            "SELECT i.id FROM inspections i JOIN users u ON u.id = i.inspector_id JOIN assets a ON a.id = i.asset_id "
            "WHERE u.username = 'inspector' AND a.category = 'road_asphalt' AND i.kind = 'inspection' "
            "ORDER BY i.observed_at DESC"),
        "{defect_id:uuid}": one("SELECT id FROM defects ORDER BY opened_at DESC"),
        # A completed order: the supervisor's review (before and after photos, verify / return).
        "{order_id:uuid}": one("SELECT id FROM work_orders WHERE status = 'completed' ORDER BY code"),
        "{open_defect}": one("SELECT id FROM defects WHERE status = 'open' ORDER BY opened_at DESC"),
        "{category:str}": "road_asphalt",
        "{month:str}": MONTH,
        "{week:str}": WEEK,
    }
    # The contractor's own order, one still to accept (its actions are on the page).
    green_order = one("SELECT w.id FROM work_orders w JOIN users u ON u.contractor_id = w.contractor_id "
                      "WHERE u.username = 'green' AND w.status = 'issued' ORDER BY w.code")
    return {"*": common, "contractor": {**common, "{order_id:uuid}": green_order},
            "admin": {**common, "{order_id:uuid}": green_order}}


# Query strings a page needs to show what it is for.
QUERIES = {
    "/inspect/form/{category:str}": "?asset={asset_id:uuid}",
    "/supervise/orders/new": "?defect={open_defect}",
    "/supervise/qr-sheet": "?zone=Z1",
    "/admin/assets/labels": "?asset={asset_id:uuid}",
}


def start_emergency(page: Any, tmp: Path) -> str:
    """The demo has no emergency round: the supervisor starts one (its page is where the form lands)."""
    page.goto("/supervise/rounds")
    page.fill("#emergency-form input[name=reason]", "Storm damage / 暴雨后巡查")
    page.locator("#emergency-form input[name=zones]").first.check()
    page.click("#emergency-form button[type=submit]")
    page.wait_for_url("**/supervise/rounds/emergencies/*")
    return "/supervise/rounds/emergencies/" + page.url.rsplit("/", 1)[1]


def preview_import(page: Any, tmp: Path) -> str:
    """The demo has no import job: the admin uploads a one-asset GeoJSON and lands on its preview."""
    file = tmp / "one-bench.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [118.7005, 32.1005]},
        "properties": {"code": "WALK-SE-1", "name": "Walk bench", "category": "seating", "zone": "Z1"}}]}))
    page.goto("/admin/import")
    page.set_input_files("#i-file", str(file))
    page.click("#import-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/import/[0-9a-f]{32}$"))
    return "/admin/import/" + page.url.rsplit("/", 1)[1]


# Routes whose value comes from a step in the browser, by the role that can take it.
STEPS: dict[str, tuple[str, Callable[..., str]]] = {
    "/supervise/rounds/emergencies/{emergency_id:uuid}": ("supervisor", start_emergency),
    "/admin/import/{token:str}": ("admin", preview_import),
}


def concrete(template: str, values: dict[str, str]) -> str | None:
    path = template + QUERIES.get(template, "")
    for key, value in values.items():
        path = path.replace(key, value)
    return None if "{" in path else path


@pytest.fixture(scope="module")
def walk_server(demo_template_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("walk")
    url = clone_database(demo_template_url, f"fc_walk_{uuid.uuid4().hex[:8]}")
    server = LiveServer(url, tmp / "media", tmp / "server.log")
    server.start()
    yield server
    server.stop()
    drop_database(url)


def test_every_page_route_is_walked(walk_server: LiveServer) -> None:
    values = ids(walk_server)["*"]
    unfilled = [r for r in page_routes() if r not in STEPS and concrete(r, values) is None]
    assert unfilled == [], f"page routes the walker cannot fill (add a value in ids() or a step): {unfilled}"
    assert len(page_routes()) >= 40  # the routes were read, not an empty list


AXE_RUN = """async (options) => {
  const result = await axe.run(document, options);
  return result.violations.map((v) => `axe ${v.id}: ${JSON.stringify(v.nodes.slice(0, 4).map((n) => n.target))}`);
}"""


def axe_source() -> str:
    """axe-core as the axe-playwright-python test dependency ships it (missing it fails, never skips)."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()


def audit(page: Any, role: str, phone: bool, run_axe: bool) -> list[str]:
    problems = []
    if phone:
        over = page.evaluate(OVERFLOW_390)
        if over > 0:
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => {
                const r = e.getBoundingClientRect(); return r.right > innerWidth + 1 && r.width > 0
                && getComputedStyle(e).position !== 'fixed'; }).slice(0, 4)
                .map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`)""")
            problems.append(f"scrolls sideways by {over}px: {wide}")
    if role in TOUCH_ROLES:
        small = page.evaluate(SMALL_TARGETS)
        if small:
            problems.append(f"controls under 44px: {small[:6]}")
    if run_axe:
        problems += page.evaluate(AXE_RUN, AXE_OPTIONS)
    return problems


def walk(browser: Any, server: LiveServer, role: str, lang: str, tmp: Path) -> dict[str, list[str]]:
    per_role = ids(server)
    values = per_role.get(role, per_role["*"])
    found: dict[str, list[str]] = {}
    walked: set[tuple[str, str]] = set()
    for viewport in (PHONE, DESKTOP):
        ctx = browser.new_context(base_url=server.url, viewport=viewport, service_workers="block",
                                  locale="zh-CN" if lang == "zh" else "en-US")
        ctx.add_init_script(axe_source())
        page = ctx.new_page()
        try:
            if role == "anon":
                ctx.add_cookies([{"name": "fc_lang", "value": lang, "url": server.url}])
                paths = {"/login": "/login"}
            else:
                username, password, landing = ACCOUNTS[role]
                sign_in(page, username, password, landing=landing + "*")
                set_language(page, lang)
                paths = {}
                for template in page_routes():
                    if template in STEPS:
                        if STEPS[template][0] == role:
                            paths[template] = STEPS[template][1](page, tmp)
                        continue
                    path = concrete(template, values)
                    if path is not None:
                        paths[template] = path
            for template, path in paths.items():
                if (template, lang) in REACHED:
                    continue
                path = path.replace(server.url, "")
                response = page.goto(path)
                assert response is not None
                if response.status == 403:
                    continue
                key = f"{lang} {viewport['width']} {path}"
                if response.status != 200:
                    found[key] = [f"answered {response.status}"]
                    continue
                if page.url.split("?")[0].removeprefix(server.url) != path.split("?")[0]:
                    continue  # a redirect (a signed-in user asking for /login): walked where it lands
                walked.add((template, lang))
                page.wait_for_load_state("load")
                axed = (template, lang, viewport["width"])
                problems = audit(page, role, viewport is PHONE, axed not in AXED and axed[1:] in AXE_AT)
                AXED.add(axed)
                if problems:
                    found[key] = problems
        finally:
            ctx.close()
    assert walked, f"{role} reached no page"
    REACHED.update(walked)
    return found


def set_language(page: Any, lang: str) -> None:
    """The user's own choice, made with the language switch (the inspector's sits in its menu)."""
    page.goto("/standards")
    if page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en"):
        return
    menu = page.locator("#fc-menu-button")
    if menu.count() and menu.is_visible():
        menu.click()
    with page.expect_navigation():
        page.locator(f"form.lang-switch button[value='{lang}']").first.click()
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ROLE_ORDER)
def test_every_page_fits_is_reachable_by_touch_and_passes_axe(browser: Any, walk_server: LiveServer, role: str,
                                                               lang: str, tmp_path: Path) -> None:
    found = walk(browser, walk_server, role, lang, tmp_path)
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
