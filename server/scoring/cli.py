"""`fieldcheck score --month 2026-10 [--zone Z] [--contractor C] [--category K] [--json]`."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from server.core.config import get_settings
from server.core.errors import AppError
from server.core.i18n import translate
from server.scoring import formatting as fmt
from server.scoring.access import not_found
from server.scoring.figures import Figures
from server.scoring.rules import load_rules
from server.scoring.service import month_report, parse_month, require_site


def _select(figures: list[Figures], zone: str | None, contractor: str | None,
            category: str | None) -> list[Figures]:
    asked = {"zone": zone, "contractor": contractor, "category": category}
    given = {k: v for k, v in asked.items() if v}
    if not given:
        return figures
    chosen = [f for f in figures if f.kind in given and f.code == given[f.kind]]
    for kind, code in given.items():
        if not any(f.kind == kind for f in chosen):
            raise not_found(kind, code)
    return chosen


def _table(rows: list[Figures]) -> str:
    header = ("scope", "assets", "coverage", "compliance", "clauses", "due", "timeliness", "score", "payment")
    lines = [header] + [
        (f.scope, str(f.assets), fmt.percent(f.coverage), fmt.percent(f.compliance),
         fmt.percent(f.clause_pass_rate), str(f.orders_due), fmt.percent(f.timeliness), fmt.score(f.score),
         fmt.payment(f.payment_pct) + ("" if not f.notes else "  " + ",".join(f.notes)))
        for f in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(line[:-1]))
        + "  " + line[-1]
        for line in lines
    )


def run_score(args: Any) -> int:
    """Score a month and print it (a table, or the API's JSON with --json). Exit 2 on bad input."""
    from server.core.db import Database
    from server.standards_admin.registry import load_live

    settings = get_settings()

    async def run() -> tuple[dict[str, Any], list[Figures], str]:
        db = Database.connect(settings.db)
        try:
            live = await load_live(db, settings.standards.directory)
            async with db.session(write=False) as session:
                month = parse_month(args.month)
                site = await require_site(session, args.site)
                report = await month_report(session, site, month, live,
                                            load_rules())
                rows = _select(report.figures, args.zone, args.contractor, args.category)
                doc = report.to_json()
                doc["scores"] = [f.to_json() for f in rows]
                title = (f"{site.code} {report.month} · {doc['status']} · scoring {report.rule.version} · "
                         f"standards {report.standards_version or '-'}")
                return doc, rows, title
        finally:
            await db.dispose()

    try:
        doc, rows, title = asyncio.run(run())
    except AppError as exc:
        print(f"fieldcheck score: {exc.field}: {translate('en', exc.key, **exc.params)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print(title)
        print(_table(rows))
    return 0

