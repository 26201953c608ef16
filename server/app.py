"""The application factory: `create_app()` wires settings, database, standards and routes."""

from __future__ import annotations

import gc
from typing import Any
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import anyio
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar._asgi.utils import wrap_in_exception_handler
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import YamlRenderPlugin
from litestar.template.config import TemplateConfig

import standards
from server.accounts.middleware import SessionErrorMiddleware, SessionUserMiddleware
from server.core.config import REPO_ROOT, Settings, get_settings
from server.core.db import Database
from server.core.deps import provide_db
from server.core.errors import handle_http_exception, handle_internal_error
from server.core.openapi import document_error_bodies
from server.scoring.rules import load_rules
from server.core.security import add_security_headers
from server.core.web import localtime
from server.standards_admin.registry import LiveStandards, refresh_before_request
from server.core.text import check_request_text
from server.workorders.nav import load_review_count
from server.workorders.jobs import jobs_lifespan
from server.assets.records import ASSET
from server.assets.service import zone_scope
from server.defects.records import DEFECT_INSPECTIONS
from server.inspections.records import HAZARD, INSPECTION
from server.routes import route_handlers
from server.workorders.records import COMPLETION
from sync.registry import register_kinds

WEB = REPO_ROOT / "web"


def _template_engine(directory: Path) -> JinjaTemplateEngine:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = localtime
    return JinjaTemplateEngine.from_environment(env)


async def before_page(request: Any) -> None:
    """Litestar `before_request`: the one text rule for URLs (server/core/text.py), then the count
    of orders to review for a staff member's page (server/workorders/nav.py)."""
    await check_request_text(request)
    await load_review_count(request)


def register_record_kinds() -> None:
    """The sync API's record kinds, each described by its domain (server/<domain>/records.py)."""
    register_kinds(INSPECTION, ASSET, COMPLETION, HAZARD, updates=[DEFECT_INSPECTIONS], reach=zone_scope)


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> Litestar:
    """Build the app. Fails at start-up if the standards data does not validate."""
    settings = settings or get_settings()
    if database_url:
        settings = replace(settings, db=replace(settings.db, url=database_url))
    # Broken standards stop start-up here, with the file and key named in the message.
    # The shipped versions, plus those installed in the database (server/standards_admin/).
    standards_set = LiveStandards(standards.load_standards(settings.standards.directory or None),
                                  settings.standards.recheck_seconds)
    # So does a broken scoring rule (standards/scoring/*.yaml): bad weights or bands, unknown keys.
    scoring_rules = load_rules()
    register_record_kinds()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.db = Database.connect(settings.db)
        # At most two argon2 checks at once per worker (each takes 64 MiB and a core's worth of
        # work): a burst of sign-ins waits its turn instead of starving every other request.
        app.state.password_checks = anyio.CapacityLimiter(2)
        # What start-up built lives as long as the app: spare the garbage collector from
        # walking it again in every full collection (a sixth of the sync path's CPU time,
        # docs/benchmarks.md). Unfrozen at shutdown, so an app made and dropped (tests) frees.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            await app.state.db.dispose()

    app = Litestar(
        route_handlers=route_handlers(),  # every URL prefix and its module: server/routes.py
        dependencies={"db": Provide(provide_db)},
        lifespan=[lifespan, jobs_lifespan],
        state=State({"settings": settings, "standards": standards_set, "scoring_rules": scoring_rules}),
        template_config=TemplateConfig(instance=_template_engine(WEB / "templates")),
        csrf_config=CSRFConfig(
            secret=settings.server.effective_secret(),
            cookie_name="fc_csrf",
            cookie_secure=settings.server.secure_cookies,
            cookie_samesite="lax",
            header_name="x-csrftoken",
            exclude=["/static", "/health"],
        ),
        middleware=[DefineMiddleware(SessionErrorMiddleware)],
        before_send=[add_security_headers],
        # The text rule for URLs and the staff's review count; then the standards installed by any worker.
        before_request=refresh_before_request(before_page),
        exception_handlers={HTTPException: handle_http_exception, Exception: handle_internal_error},
        # Phones on weak signal: text goes gzipped (photos are JPEG and gain nothing). The
        # defect GeoJSON (megabytes for a city's map) gzips itself, faster (workorders/api.py).
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=500, gzip_compress_level=6,
            exclude=["^/photos/", "^/api/photos/", r"^/api/defects\.geojson"],
        ),
        # The document only (JSON and YAML): Litestar's viewer pages load scripts from a CDN and
        # inline, which the CSP refuses, and the app must not depend on a CDN.
        openapi_config=OpenAPIConfig(title="fieldcheck", version="0.1.0", path="/schema",
                                     render_plugins=[YamlRenderPlugin(path=["/openapi.yaml", "/openapi.yml"])]),
        debug=settings.server.debug,
    )
    document_error_bodies(app.openapi_schema)  # errors are {code, message, field, errors}, not Litestar's
    # The session is resolved before routing, not per route: a path no route matches (the 404
    # page) still knows who is signed in and shows their navigation (issue 12).
    app.asgi_handler = wrap_in_exception_handler(app=SessionUserMiddleware(app.asgi_router))
    return app
