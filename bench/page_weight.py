"""Inspector page weight over the wire: `python -m bench.page_weight`.

Budget (issue 3): an inspector page's first load at most 60 KB gzip over the wire (HTML,
CSS, JS; no photos, no API data); a repeat load of the shell: zero network bytes.

A real server on 127.0.0.1 (the demo site) and Debian's Chromium. The inspector signs in
(that page is not counted), then opens the inspection form of a bench for the first time:
every HTML, CSS and JS response the page loads is added up at its encoded (gzipped) size;
what the service worker downloads in the background at install (the offline precache) is
reported beside it. Then the same page again: the shell (CSS, JS) must
come from the service worker's cache with no network bytes; the HTML itself is fetched
network-first by design (fresh data when there is signal) and is reported separately.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.load import INSPECTORS, drop_database, prepare_database, running_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHELL_TYPES = {"stylesheet", "script"}
COUNTED_TYPES = {"document", "stylesheet", "script"}


class WireMeter:
    """Encoded bytes that crossed the network, per resource type (page and service worker)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, int, bool]] = []  # (kind, url, bytes, fetched by the worker)
        self.page_urls: set[str] = set()  # what the page itself asked for

    def on_finished(self, request: Any) -> None:
        url = request.url
        if "/api/" in url or "/photos/" in url:
            return
        by_worker = request.service_worker is not None
        if not by_worker:
            self.page_urls.add(url)
        response = request.response()
        if response is None or response.from_service_worker:
            return  # answered by the service worker: the worker's own fetch (if any) is counted
        kind = request.resource_type
        if by_worker:
            kind = "script" if url.endswith(".js") else "stylesheet" if url.endswith(".css") else "document"
        sizes = request.sizes()
        self.rows.append((kind, url, sizes["responseBodySize"] + sizes["responseHeadersSize"], by_worker))

    def for_page(self, kinds: set[str]) -> int:
        """Bytes of what the page needed: fetched by the page, or by the worker on its behalf."""
        fetched_by_page = {url for _, url, _, by_worker in self.rows if not by_worker}
        return sum(size for kind, url, size, by_worker in self.rows
                   if kind in kinds and (not by_worker or (url in self.page_urls and url not in fetched_by_page)))

    def worker_bytes(self) -> int:
        """Everything the worker fetched itself (install-time precache included)."""
        return sum(size for _, _, size, by_worker in self.rows if by_worker)


def measure(base: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        # Sign in without loading a page, so the form is the very first page this browser sees.
        login = context.request.get(f"{base}/login").text()
        token = login.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
        context.request.post(f"{base}/login", form={"username": INSPECTORS[0][0], "password": INSPECTORS[0][1],
                                                    "_csrf_token": token})
        bundle = context.request.get(f"{base}/api/offline/bundle").json()
        asset = next(a["id"] for a in bundle["assets"] if a["category"] == "seating")
        target = f"{base}/inspect/form/seating?asset={asset}"
        page = context.new_page()

        first = WireMeter()
        context.on("requestfinished", first.on_finished)
        page.goto(target, wait_until="networkidle")
        context.remove_listener("requestfinished", first.on_finished)
        # Let the service worker finish installing and precaching before the repeat visit.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        time.sleep(1.0)

        repeat = WireMeter()
        context.on("requestfinished", repeat.on_finished)
        page.goto(target, wait_until="networkidle")
        context.remove_listener("requestfinished", repeat.on_finished)
        browser.close()
    return {
        "first_kb": first.for_page(COUNTED_TYPES) / 1024,
        "precache_kb": first.worker_bytes() / 1024,
        "first_rows": first.rows,
        "repeat_shell_bytes": repeat.for_page(SHELL_TYPES),
        "repeat_html_kb": repeat.for_page({"document"}) / 1024,
        "repeat_rows": repeat.rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_weight", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="list every counted response")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = prepare_database("sqlite", work)
        try:
            with running_server(url, work / "media", 1) as base:
                result = measure(base)
        finally:
            drop_database(url)
    ok_first = result["first_kb"] <= 60
    ok_repeat = result["repeat_shell_bytes"] == 0
    print(f"inspection form, first load: {result['first_kb']:.1f} KB over the wire (HTML+CSS+JS, gzip) "
          f"(budget 60 KB: {'met' if ok_first else 'NOT met'})")
    print(f"  (in the background the service worker also precached {result['precache_kb']:.1f} KB for offline use)")
    print(f"repeat load: shell (CSS+JS) {result['repeat_shell_bytes']} network bytes "
          f"(budget 0: {'met' if ok_repeat else 'NOT met'}); HTML {result['repeat_html_kb']:.1f} KB (network-first)")
    if args.verbose:
        for label, rows in (("first", result["first_rows"]), ("repeat", result["repeat_rows"])):
            for kind, url, size, by_worker in rows:
                print(f"  {label:<6} {'sw ' if by_worker else '   '}{kind:<10} {size:>7} {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
