"""PNGs of the main screens at a phone's (390 × 844) and a desktop's (1366 × 900) size, in
docs/screenshots/: the defect map, an inspection page, the inspector's home and finder, and
the contractor's order page.

    .venv/bin/python tools/screenshots.py            # a fresh demo site in a temporary folder
    .venv/bin/python tools/screenshots.py --url http://127.0.0.1:8000   # a running server

Without --url it migrates a temporary SQLite database, loads the demo site with a fixed
"today" (so the pictures do not change with the date) and serves it for the run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
DEMO_TODAY = "2026-11-22"
PORT = 8765


def serve_demo(folder: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'demo.db'}", "MEDIA_ROOT": str(folder / "media"),
           "SECRET_KEY": "screenshots-only-secret-0123456789", "DEFAULT_LANGUAGE": "zh", "FIELDCHECK_DEBUG": "0"}
    cli = [sys.executable, "-m", "server"]
    subprocess.run([*cli, "migrate"], cwd=REPO, env=env, check=True)
    subprocess.run([*cli, "demo", "--today", DEMO_TODAY], cwd=REPO, env=env, check=True)
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "server.app:create_app", "--factory", "--host", "127.0.0.1",
                                "--port", str(PORT), "--log-level", "warning"], cwd=REPO, env=env)
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the server did not start")


def shoot(base: str) -> list[Path]:
    written: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for size, viewport in SIZES.items():
            def page_of(username: str, password: str, viewport: dict[str, int] = viewport) -> object:
                ctx = browser.new_context(base_url=base, viewport=viewport, locale="zh-CN", service_workers="block",
                                          geolocation={"latitude": 32.1049, "longitude": 118.7075}, permissions=["geolocation"])
                page = ctx.new_page()
                page.goto("/login")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", password)
                page.click("main form button[type=submit]")
                page.wait_for_load_state("networkidle")
                return page

            def save(page: object, name: str, size: str = size) -> None:
                path = OUT / f"{name}-{size}.png"
                page.screenshot(path=str(path))  # type: ignore[attr-defined]
                written.append(path)

            boss = page_of("supervisor", "Super-2026-demo")
            boss.goto("/supervise/map")  # type: ignore[attr-defined]
            boss.wait_for_selector("#map[data-drawn-ms]", timeout=30000)  # type: ignore[attr-defined]
            save(boss, "map")
            boss.click("#defect-list a.defect-link >> nth=0")  # type: ignore[attr-defined]
            boss.wait_for_selector("#detail .defect-detail")  # type: ignore[attr-defined]
            save(boss, "map-defect")
            boss.click("#detail a.inspection-link >> nth=0")  # type: ignore[attr-defined]
            boss.wait_for_selector("article.inspection-detail")  # type: ignore[attr-defined]
            boss.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
            save(boss, "inspection")
            boss.context.close()  # type: ignore[attr-defined]

            inspector = page_of("inspector", "Inspect-2026-demo")
            inspector.wait_for_selector("#fc-syncbar[data-mounted]")  # type: ignore[attr-defined]
            save(inspector, "inspector-home")
            inspector.goto("/inspect/assets")  # type: ignore[attr-defined]
            inspector.wait_for_selector("#asset-list > li")  # type: ignore[attr-defined]
            inspector.wait_for_timeout(1500)  # type: ignore[attr-defined]
            save(inspector, "finder")
            if size == "phone":
                inspector.click("#fc-menu-button")  # type: ignore[attr-defined]
                save(inspector, "inspector-menu")
            inspector.context.close()  # type: ignore[attr-defined]

            contractor = page_of("green", "Lvyuan-2026-demo")
            href = contractor.locator('a[href^="/contractor/orders/"]').first.get_attribute("href")  # type: ignore[attr-defined]
            contractor.goto(href)  # type: ignore[attr-defined]
            contractor.wait_for_selector("#order-map[data-drawn]", timeout=20000)  # type: ignore[attr-defined]
            save(contractor, "contractor-order")
            contractor.context.close()  # type: ignore[attr-defined]
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: a fresh demo site)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.url:
        paths = shoot(args.url)
    else:
        with tempfile.TemporaryDirectory() as folder:
            server = serve_demo(Path(folder))
            try:
                paths = shoot(f"http://127.0.0.1:{PORT}")
            finally:
                server.terminate()
                server.wait(10)
    for path in paths:
        print(path.relative_to(REPO))


if __name__ == "__main__":
    main()
