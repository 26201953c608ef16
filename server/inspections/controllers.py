"""The inspector's pages: home, asset finder, asset page, new asset, the inspection form.

These pages are cached by the service worker and must work with the network off, so
nothing on them depends on the query string: the form page is the same for every asset
of a category (the phone fills in the asset from `?asset=` out of IndexedDB), and the
finder's list is only the starting point the phone re-sorts by distance.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from server.core.guards import role_in
from server.assets.queries import (
    asset_detail,
    asset_id_for_qr,
    asset_summary,
    clause_labels,
    find_assets,
    last_inspections_of,
    open_defects_of,
)
from server.assets.service import zone_scope
from server.core.deps import DbSession
from server.core.errors import AppError
from server.inspections.queries import recent_inspections, zones_of_inspector
from server.core.web import render
from server.core.identity import signed_in_user



def _asset_not_found() -> AppError:
    return AppError("asset_not_found", field="asset_id")


class InspectorController(Controller):
    path = "/inspect"
    guards = [role_in("inspector")]
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any], db: DbSession) -> Template:
        user = signed_in_user(request)
        return render(
            request,
            "inspect/home.html",
            title_key="inspect.home_title",
            zones=await zones_of_inspector(db, user.id),
            inspections=await recent_inspections(db, inspector_id=user.id, limit=10),
        )

    @get("/assets")
    async def finder(self, request: Request[Any, Any, Any], db: DbSession, q: FromQuery[str] = "") -> Template:
        zone_ids = await zone_scope(db, signed_in_user(request))
        found = await find_assets(db, zone_ids, q[:80])
        return render(request, "inspect/assets.html", title_key="inspect.finder_title", q=q, found=found)

    @get("/assets/new")
    async def new_asset(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "inspect/asset_new.html", title_key="inspect.new_asset_title")

    @get("/assets/shell")
    async def asset_shell(self, request: Request[Any, Any, Any]) -> Template:
        """The asset page filled on the phone from its stored bundle: kept once, served offline for every asset."""
        standard = request.app.state.standards.catalogue()
        return render(
            request, "inspect/asset_shell.html", title_key="inspect.asset_title",
            clause_labels={k: dict(v) for k, v in clause_labels(standard).items()},
            shell_categories={k: dict(c.label) for k, c in standard.categories.items()},
        )

    @get("/hazard")  # hazards: a problem no clause covers (web/static/js/hazard.js, docs/sync.md "hazard")
    async def hazard(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "inspect/hazard.html", title_key="hazard.title")

    @get("/assets/{asset_id:uuid}")
    async def asset(self, request: Request[Any, Any, Any], db: DbSession, asset_id: FromPath[uuid.UUID]) -> Template:
        asset = await asset_detail(db, asset_id, await zone_scope(db, signed_in_user(request)))
        if asset is None:
            raise _asset_not_found()
        return render(
            request,
            "inspect/asset.html",
            title_key="inspect.asset_title",
            asset=asset,
            inspections=await last_inspections_of(db, asset.id),
            defects=await open_defects_of(db, asset.id),
            clause_labels=clause_labels(request.app.state.standards.catalogue()),
        )

    @get("/assets/{asset_id:uuid}/summary")
    async def asset_summary(self, request: Request[Any, Any, Any], db: DbSession, asset_id: FromPath[uuid.UUID]) -> dict[str, Any]:
        """One asset in the shape of the offline bundle, for a phone that has not downloaded it."""
        summary = await asset_summary(db, asset_id, await zone_scope(db, signed_in_user(request)))
        if summary is None:
            raise _asset_not_found()
        return summary

    @get("/qr/{token:str}")
    async def qr(self, request: Request[Any, Any, Any], db: DbSession, token: FromPath[str]) -> Redirect:
        """A scanned QR label (`/inspect/qr/<token>`) opens its asset's page."""
        asset_id = await asset_id_for_qr(db, token, await zone_scope(db, signed_in_user(request)))
        if asset_id is None:
            raise _asset_not_found()
        return Redirect(path=f"/inspect/assets/{asset_id}", status_code=303)

    @get("/form/{category:str}")
    async def form(self, request: Request[Any, Any, Any], category: FromPath[str]) -> Template:
        """The inspection form of a category, built from its standard (the asset comes from `?asset=`)."""
        # The form of the version in force, or of the first scheduled one adding the category; the
        # phone judges each record with the version in force when it is observed (form.js).
        try:
            standard = request.app.state.standards.with_category(category)
        except KeyError:
            raise AppError("category_not_found", field="category") from None
        return render(
            request,
            "inspect/form.html",
            title_key="inspect.form_title",
            category=category,
            cat=standard.document["categories"][category],
            standard=standard,
        )

