"""The printable PDF (rendered to an image and checked not blank, with its Chinese text) and the demo.

Needs poppler-utils (pdftoppm, pdftotext) and a CJK font (fonts-noto-cjk) on the machine.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from litestar.testing import AsyncTestClient
from PIL import Image

from server.core.db import Database
from tests.conftest import DEMO_TODAY, sign_in
from tests.factories import PASSWORD
from tests.test_scoring_example import build_example


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install Debian's poppler-utils (make test-deps)")
    return path


def first_page(pdf: bytes, tmp_path: Path, dpi: int = 60) -> Image.Image:
    """The PDF's first page as an RGB image, by pdftoppm."""
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run([_tool("pdftoppm"), "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(tmp_path / "page")], check=True)
    return Image.open(tmp_path / "page.png").convert("RGB")


def ink(image: Image.Image) -> float:
    """The share of pixels that are not (nearly) white."""
    grey = image.convert("L")
    histogram = grey.histogram()
    return 1 - sum(histogram[245:]) / (image.width * image.height)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    return subprocess.run([_tool("pdftotext"), "-layout", str(source), "-"], check=True, capture_output=True,
                          text=True).stdout


async def test_the_pdf_renders_on_a4_with_chinese_and_english(client: AsyncTestClient, database: Database,
                                                              tmp_path: Path) -> None:
    await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    response = await client.get("/scores/2026-03/report.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    page = first_page(response.content, tmp_path)
    assert abs(page.width / page.height - 210 / 297) < 0.01          # A4 portrait
    share = ink(page)
    assert 0.02 < share < 0.5, share                                   # not blank, not a black box
    # The top of the page carries the bilingual title: there must be ink there too.
    assert ink(page.crop((0, 0, page.width, page.height // 10))) > 0.01
    text = pdf_text(response.content, tmp_path)
    for words in ("月度合规考核报告 Monthly compliance report", "片区 Zones", "承包商 Contractors",
                  "资产类别 Asset categories", "近 12 个月趋势 12-month trend", "本月缺陷分布 Defects found this month",
                  "滨河绿带", "63.5", "66.3", "80 %"):
        assert words in text, words


async def test_a_contractor_gets_a_report_of_its_own_scope_only(client: AsyncTestClient, database: Database,
                                                                tmp_path: Path) -> None:
    await build_example(database)
    await sign_in(client, "green", PASSWORD)
    response = await client.get("/scores/2026-03/report.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "GREEN" in text and "70.0" in text
    assert "CIVIL" not in text and "片区 Zones" not in text


async def test_the_demo_month_page_and_report(demo_client: AsyncTestClient, tmp_path: Path) -> None:
    await sign_in(demo_client, "supervisor", "Super-2026-demo")
    landing = await demo_client.get("/scores", follow_redirects=False)
    assert landing.status_code == 302  # to the last month that is over on the site's clock
    shanghai_month = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1) - dt.timedelta(days=1)
    assert landing.headers["location"] == f"/scores/{shanghai_month:%Y-%m}"
    last_demo_month = DEMO_TODAY.replace(day=1) - dt.timedelta(days=1)  # the demo's, whatever the day
    month_url = f"/scores/{last_demo_month:%Y-%m}"
    page = BeautifulSoup((await demo_client.get(month_url)).text, "html.parser")
    zones = [tr["data-scope"] for tr in page.select("table[data-kind=zone] tbody tr")]
    assert zones == ["zone:Z1", "zone:Z2", "zone:Z3", "zone:Z4", "zone:Z5"]
    scores = [tr.select_one("[data-figure=score]").get_text(strip=True) for tr in page.select("table.scores tbody tr")]
    assert any(s != "—" for s in scores)
    assert len(page.select("svg.defect-map circle")) > 4
    response = await demo_client.get(f"{month_url}/report.pdf")
    assert response.status_code == 200
    assert ink(first_page(response.content, tmp_path)) > 0.02


def test_the_cli_scores_a_month(database_url: str, tmp_path: Path) -> None:
    import asyncio

    from server.core.config import DatabaseSettings

    async def build() -> None:
        db = Database.connect(DatabaseSettings(url=database_url))
        try:
            await build_example(db)
        finally:
            await db.dispose()

    asyncio.run(build())
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "MEDIA_ROOT": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "server", "score", "--month", "2026-03", "--json"],
                         capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert {s["scope"]: s["score"] for s in doc["scores"]}["site"] == 63.5
    table = subprocess.run([sys.executable, "-m", "server", "score", "--month", "2026-03", "--contractor", "CIVIL"],
                           capture_output=True, text=True, env=env, check=False)
    assert table.returncode == 0 and "contractor:CIVIL" in table.stdout and "66.3" in table.stdout
    assert "zone:A" not in table.stdout
    for args, message in ((["--month", "2026-13"], "not a month"), (["--month", "2026-03", "--zone", "Q"], "no zone")):
        bad = subprocess.run([sys.executable, "-m", "server", "score", *args], capture_output=True, text=True,
                             env=env, check=False)
        assert bad.returncode == 2 and message in bad.stderr, bad.stderr


async def test_a_character_outside_the_cut_font_is_drawn_with_the_whole_font(
        client: AsyncTestClient, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.scoring import pdf

    assert not set("滨河绿带") <= pdf._base_chars()
    # As if the report's names were not collected: the cut lacks the site's name.
    monkeypatch.setattr(pdf, "_report_strings", lambda report: iter(()))
    await build_example(database)
    await sign_in(client, "boss", PASSWORD)
    response = await client.get("/scores/2026-03/report.pdf")
    assert response.status_code == 200, response.text
    assert "滨河绿带" in pdf_text(response.content, tmp_path)
