"""Asset pages for supervisors: the printable sheet of QR labels of a zone.

Each label's QR code encodes `<base URL>/inspect/qr/<qr_token>`, drawn on the server as
inline SVG (segno, pure Python), so printing needs no network and no script.
"""

from __future__ import annotations

from typing import Any

import segno
from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template

from server.core.guards import role_in
from server.assets.queries import all_zones, zone_assets_for_labels
from server.core.deps import DbSession
from server.core.errors import AppError
from server.core.web import render


def qr_svg(url: str, title: str) -> str:
    """An inline SVG QR code for `url` (error correction M, survives a scuffed label)."""
    return segno.make(url, error="m").svg_inline(
        scale=1, border=2, svgclass="qr", lineclass=None, omitsize=True, title=title
    )


class QrSheetController(Controller):
    path = "/supervise/qr-sheet"
    guards = [role_in("supervisor")]
    include_in_schema = False

    @get("/")
    async def sheet(self, request: Request[Any, Any, Any], db: DbSession, zone: FromQuery[str | None] = None) -> Template:
        if not zone:
            return render(request, "supervise/qr_sheet.html", title_key="qr.title", zones=await all_zones(db), zone=None, labels=[])
        found = await zone_assets_for_labels(db, zone)
        if found is None:
            raise AppError("zone_not_found", field="zone")
        base = str(request.base_url).rstrip("/")
        labels = [(a, qr_svg(f"{base}/inspect/qr/{a.qr_token}", a.code)) for a in found[1]]
        return render(
            request, "supervise/qr_sheet.html", title_key="qr.title", zones=await all_zones(db), zone=found[0], labels=labels
        )
