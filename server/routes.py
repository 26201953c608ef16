"""Every URL prefix and the module that serves it: from a URL to its code in one step.

`create_app` registers exactly the handlers of this table. A URL is served by the entry
with the longest prefix it starts with, and tests/test_routes.py checks that against the
app's real routes (each route's code is in the module its entry names). The table in
docs/architecture.md is written from this one: `python -m server.routes --write`
(tests/test_routes.py fails when it falls behind).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.static_files import create_static_files_router

from server.admin.overview import AdminController
from server.accounts.controllers import AccountController
from server.admin.pages import AdminPages
from server.assets.api import OfflineController
from server.assets.pages import QrSheetController
from server.core.config import REPO_ROOT
from server.defects.controllers import SupervisorPages
from server.health import health
from server.home import home
from server.imports.pages import ImportController
from server.inspections.controllers import InspectorController
from server.inspections.outbox import outbox_page
from server.inspections.pages import InspectionPages
from server.photos.controllers import PhotoController, PhotoUploadController
from server.pwa import offline_page, service_worker, web_manifest
from server.rounds.controllers import RoundsApiController, RoundsPages, WeeklyReportController
from server.scoring.controllers import ScoresApiController, ScoresController
from server.accounts.site_choice import choose_site
from server.standards_admin.api import StandardsSetController
from server.standards_admin.pages import StandardsAdminPages
from server.standards_pages.controllers import StandardsController
from server.workorders.api import DefectApiController, MapApiController, NotificationApiController, WorkOrderApiController
from server.workorders.contractor_pages import ContractorPages
from server.workorders.supervisor_pages import SupervisorOrderPages
from sync.controllers import SyncController


@dataclass(frozen=True)
class Route:
    """URLs starting with `prefix` are served by `handler` (a controller or a route function)."""

    prefix: str
    handler: Any
    what: str
    framework: str | None = None  # URLs Litestar itself serves: what sets them up

    @property
    def module(self) -> str:
        """The module holding the handler's code (from the code itself, so it cannot drift)."""
        if self.framework is not None:
            return "litestar"
        return str(self.handler.__module__ if isinstance(self.handler, type) else self.handler.fn.__module__)

    @property
    def name(self) -> str:
        if self.framework is not None:
            return self.framework
        return str(self.handler.__name__ if isinstance(self.handler, type) else self.handler.fn.__name__)


ROUTES: tuple[Route, ...] = (
    # Pages: everyone
    Route("/", home, "home: each role to its start page"),
    Route("/login", AccountController, "sign in and out, language, device name"),
    Route("/logout", AccountController, "sign out"),
    Route("/language", AccountController, "choose the language"),
    Route("/device", AccountController, "name this phone"),
    Route("/site", choose_site, "choose the site in the top bar"),
    Route("/standards", StandardsController, "the standards in force, to read"),
    Route("/inspections", InspectionPages, "one inspection"),
    Route("/photos", PhotoController, "photos and their sizes"),
    # Pages: inspectors (the phone)
    Route("/inspect", InspectorController, "the inspector's phone: finder, asset, form, hazard, QR"),
    Route("/inspect/outbox", outbox_page, "the phone's outbox"),
    Route("/sw.js", service_worker, "the service worker"),
    Route("/manifest.webmanifest", web_manifest, "the web app manifest"),
    Route("/offline", offline_page, "the offline fallback page"),
    # Pages: supervisors
    Route("/supervise", SupervisorPages, "the supervisor's overview"),
    Route("/supervise/map", SupervisorPages, "the defect map and list (its layers: /api/map, /api/defects.geojson)"),
    Route("/supervise/defects", SupervisorPages, "one defect: dismiss, close"),
    Route("/supervise/orders", SupervisorOrderPages, "work orders: list, issue, one order"),
    Route("/supervise/notifications", SupervisorOrderPages, "the supervisor's notifications"),
    Route("/supervise/webhooks", SupervisorOrderPages, "webhook deliveries"),
    Route("/supervise/rounds", RoundsPages, "inspection rounds: schedules, emergencies, alerts"),
    Route("/supervise/qr-sheet", QrSheetController, "QR labels to print"),
    Route("/reports/week", WeeklyReportController, "the weekly rounds report (page, CSV, PDF)"),
    Route("/scores", ScoresController, "monthly scores: page, evidence, trend, CSV, PDF, close"),
    # Pages: contractors
    Route("/contractor", ContractorPages, "the contractor's orders, notifications, webhook"),
    # Pages: admins
    Route("/admin", AdminController, "the admin's overview"),
    Route("/admin/", AdminPages, "users, sites, zones, assets, contractors, contracts, audit"),
    Route("/admin/import", ImportController, "import zones and assets from files"),
    Route("/admin/standards", StandardsAdminPages, "edit and install standards versions"),
    # The JSON API
    Route("/api/sync", SyncController, "the phone's outbox: batches and single records"),
    Route("/api/photos", PhotoUploadController, "photo uploads (whole and resumable), missing hashes"),
    Route("/api/offline", OfflineController, "the phone's offline bundle, nearby and nearest assets"),
    Route("/api/defects", DefectApiController, "defects: GeoJSON, CSV, nearby, one, dismiss, close"),
    Route("/api/work-orders", WorkOrderApiController, "work orders: list, issue, one, due, actions, GeoJSON, CSV"),
    Route("/api/map", MapApiController, "the map's zone and asset layers (GeoJSON)"),
    Route("/api/notifications", NotificationApiController, "notifications: mine, mark read"),
    Route("/api/rounds", RoundsApiController, "rounds due and their state"),
    Route("/api/scores", ScoresApiController, "monthly scores"),
    Route("/api/standards", StandardsController, "the standards in force, as JSON"),
    Route("/api/standards/set", StandardsSetController, "every standards version, for the phone"),
    # Machines
    Route("/health", health, "health check"),
    Route("/schema", None, "the OpenAPI document (JSON, YAML)", framework="OpenAPIConfig in server/app.py"),
    Route("/static", None, "scripts, styles, icons, fonts (web/static/)", framework="create_static_files_router"),
)


def route_handlers() -> list[Any]:
    """The handlers of the table, each once, in table order, and the static files (for create_app)."""
    static = create_static_files_router(path="/static", directories=[REPO_ROOT / "web" / "static"],
                                        include_in_schema=False)  # a new Router for each app
    return [*dict.fromkeys(route.handler for route in ROUTES if route.handler is not None), static]


def route_for(path: str) -> Route:
    """The entry serving `path`: the longest prefix it starts with."""
    return max((r for r in ROUTES if path.startswith(r.prefix)), key=lambda r: len(r.prefix))


BEGIN = "<!-- routes: begin (python -m server.routes --write) -->"
END = "<!-- routes: end -->"
DOC = REPO_ROOT / "docs" / "architecture.md"


def markdown() -> str:
    """The table as Markdown, for docs/architecture.md."""
    lines = ["| URL prefix | module | handler | what |", "|---|---|---|---|"]
    lines += [f"| `{r.prefix}` | `{r.module}` | `{r.name}` | {r.what} |" for r in ROUTES]
    return "\n".join(lines)


def document_with_table(text: str) -> str:
    """`text` with the table between the markers replaced by the current one."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{markdown()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write the table into {DOC.relative_to(REPO_ROOT)}")
    args = parser.parse_args(argv)
    if args.write:
        DOC.write_text(document_with_table(Path(DOC).read_text()))
    else:
        sys.stdout.write(markdown() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
