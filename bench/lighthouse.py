"""Lighthouse (mobile) on the inspection form: `python -m bench.lighthouse`.

Budget (issue 3): performance at least 0.95, accessibility 1.0.

A real server on 127.0.0.1 (the demo site). Debian's Chromium (`/usr/bin/chromium`,
headless) is started with remote debugging; the demo inspector signs in over HTTP and
Playwright puts the session cookie in that browser's cookie jar (an `--extra-headers`
Cookie does not reach the page's own fetch() calls: the form would be judged signed out).
Lighthouse then drives the same browser (`--port`) and loads the form of a bench exactly as
a phone that opens it for the first time: storage cleared (cookies are kept), no service
worker yet, Lighthouse's mobile defaults (a mid-range phone, simulated slow 4G and a 4×
slower CPU). Prints both scores, the metrics behind the performance score and every audit
that did not pass (those that weigh in the score first).

Lighthouse comes from npm, pinned in bench/package.json and package-lock.json; the first
run installs it into `bench/node_modules` with `npm ci` (not committed). With several
`--runs` the median of each score is the one judged (Lighthouse's own advice: one run is
noisy).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.load import _CSRF, INSPECTORS, drop_database, free_port, prepare_database, running_server

HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]
BUDGET = {"performance": 0.95, "accessibility": 1.0}
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
           "speed-index")
NOT_SCORED = {"notApplicable", "informative", "manual"}


def signed_in(base: str) -> tuple[str, str]:
    """(session cookie value, id of a seating asset of the inspector's zones)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        token = _CSRF.search(client.get("/login").text)
        assert token, "no CSRF token on /login"
        username, password = INSPECTORS[0]
        client.post("/login", data={"username": username, "password": password, "_csrf_token": token.group(1)})
        session = client.cookies.get("fc_session")
        assert session, "the sign-in did not set fc_session"
        bundle = client.get("/api/offline/bundle").json()
    return session, next(a["id"] for a in bundle["assets"] if a["category"] == "seating")


@contextlib.contextmanager
def signed_in_chromium(base: str, cookie: str, work: Path) -> Iterator[int]:
    """Headless Chromium with remote debugging on a free port, the session cookie in its jar."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen([CHROME, *CHROME_FLAGS, f"--remote-debugging-port={port}",
                             f"--user-data-dir={work / 'chromium'}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/json/version", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"Chromium did not open its debugging port {port}")
            time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
            browser.contexts[0].add_cookies([{"name": "fc_session", "value": cookie, "domain": urlsplit(base).hostname,
                                              "path": "/", "httpOnly": True, "sameSite": "Lax"}])
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def run_lighthouse(url: str, port: int, work: Path) -> dict[str, Any]:
    """One Lighthouse run (performance and accessibility) in the browser on `port`; its report."""
    report = work / "report.json"
    command = [
        "node", str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
        "--only-categories=performance,accessibility", f"--port={port}",
    ]
    done = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROME}, capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0 or not report.exists():
        raise RuntimeError(f"lighthouse failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(report.read_text())
    refused = [r["url"] for r in result["audits"]["network-requests"]["details"]["items"] if r.get("statusCode") == 401]
    if refused:  # the page ran signed out: its scores would be those of an error state
        raise RuntimeError(f"the form was loaded without its session: 401 for {refused}")
    return result


def failing_audits(report: dict[str, Any], category: str) -> list[str]:
    """The audits of `category` that did not fully pass, one line each (with the elements at
    fault, if any), those that weigh in the score first."""
    refs = sorted(report["categories"][category]["auditRefs"], key=lambda r: -r["weight"])
    lines = []
    for ref in refs:
        audit = report["audits"][ref["id"]]
        if audit["scoreDisplayMode"] in NOT_SCORED or audit["score"] is None or audit["score"] >= 1:
            continue
        shown = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
        lines.append(f"  {ref['id']} [score {audit['score']:.2f}, weight {ref['weight']}]: {audit['title']}{shown}")
        for item in (audit.get("details") or {}).get("items", [])[:5]:
            node = item.get("node") if isinstance(item, dict) else None
            if node and node.get("selector"):
                lines.append(f"      {node['selector']}: {(node.get('explanation') or '').split(chr(10))[0]}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lighthouse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs; the median performance is judged")
    parser.add_argument("--json", type=Path, help="keep the last run's full report here")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        print(f"installing Lighthouse: npm ci in {HERE}", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = prepare_database("sqlite", work)
        try:
            with running_server(url, work / "media", 1) as base:
                cookie, asset = signed_in(base)
                target = f"{base}/inspect/form/seating?asset={asset}"
                with signed_in_chromium(base, cookie, work) as port:
                    reports = [run_lighthouse(target, port, work) for _ in range(max(1, args.runs))]
        finally:
            drop_database(url)
    if args.json:
        args.json.write_text(json.dumps(reports[-1], indent=1))
    scores = {c: [r["categories"][c]["score"] for r in reports] for c in BUDGET}
    median = {c: statistics.median(s) for c, s in scores.items()}
    last = reports[-1]
    print(f"Lighthouse {last['lighthouseVersion']} (mobile) on /inspect/form/seating, {len(reports)} run(s)")
    for category, floor in BUDGET.items():
        runs = ", ".join(f"{s:.2f}" for s in scores[category])
        print(f"{category}: {median[category]:.2f} (runs: {runs}; budget {floor}: "
              f"{'met' if median[category] >= floor else 'NOT met'})")
    print("  " + ", ".join(f"{m} {last['audits'][m]['displayValue']}" for m in METRICS))
    for category in BUDGET:
        lines = failing_audits(last, category)
        print(f"{category}: {'audits not passed' if lines else 'every audit passed'}")
        for line in lines:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
