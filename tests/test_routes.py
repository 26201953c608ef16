"""The URL table (server/routes.py) against the app's real routes, and its copy in the docs."""

from __future__ import annotations

import subprocess
import sys

from server.app import create_app
from server.core.config import REPO_ROOT
from server.routes import DOC, ROUTES, document_with_table, route_for


def _served() -> list[tuple[str, str, str]]:
    """(path, module, handler) of every route the app really has (not the OPTIONS answer
    Litestar adds to each path itself)."""
    app = create_app(database_url="sqlite+aiosqlite:///:memory:")
    return [(route.path, handler.fn.__module__, handler.fn.__qualname__)
            for route in app.routes for handler in route.route_handlers
            if handler.fn.__module__ != "litestar.routes.http"]


def test_every_url_is_served_by_the_module_its_table_entry_names() -> None:
    wrong = []
    for path, module, handler in _served():
        entry = route_for(path)
        expected = "litestar" if module.startswith("litestar.") else entry.module
        if module.startswith("litestar.") and entry.framework is None:
            wrong.append(f"{path}: Litestar serves it, the table says {entry.module}")
        elif not module.startswith("litestar.") and (module != expected or not handler.startswith(entry.name)):
            wrong.append(f"{path}: served by {module}.{handler}, the table says {entry.module}.{entry.name}")
    assert wrong == []


def test_every_entry_of_the_table_serves_some_url() -> None:
    served = {path for path, _, _ in _served()}
    unused = [r.prefix for r in ROUTES if not any(route_for(path) is r for path in served)]
    assert unused == []
    assert len({r.prefix for r in ROUTES}) == len(ROUTES)  # a prefix names one module


def test_the_longest_prefix_wins() -> None:
    assert route_for("/supervise/orders/new").module == "server.workorders.supervisor_pages"
    assert route_for("/supervise/map").module == "server.defects.controllers"
    assert route_for("/api/map/zones.geojson").module == "server.workorders.api"
    assert route_for("/contractor/orders/x").module == "server.workorders.contractor_pages"
    assert route_for("/admin").name == "AdminController" and route_for("/admin/users").name == "AdminPages"


def test_the_architecture_document_has_the_current_table() -> None:
    text = DOC.read_text()
    assert document_with_table(text) == text, "run: python -m server.routes --write"


def test_the_table_prints_from_the_command_line() -> None:
    out = subprocess.run([sys.executable, "-m", "server.routes"], capture_output=True, text=True, check=True,
                         cwd=REPO_ROOT, timeout=120).stdout
    assert "| `/supervise/map` | `server.defects.controllers` | `SupervisorPages` |" in out
