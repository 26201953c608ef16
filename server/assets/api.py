"""The JSON API of the phone's offline side: the bundle it downloads, the same data around
one point (for a phone that has not downloaded it) and whom its outbox sends for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.serialization import encode_json

from server.core.guards import role_in, signed_in
from server.assets.bundle import (
    DownloadEstimate,
    NearbySlice,
    OfflineBundle,
    download_estimate,
    nearby_slice,
    offline_bundle,
)
from server.assets.queries import NearAsset, nearest_assets
from server.assets.service import zone_scope
from server.core.db import utcnow
from server.core.deps import DbSession
from server.core.errors import AppError
from server.core.identity import signed_in_user
from server.core.workorder_settings import get_workorder_settings

BUNDLE_DESCRIPTION = """\
Everything the phone needs to find and inspect the assets of the user's zones with no
network (docs/sync.md §3): zones with their outlines, active assets with their last
inspection, active defects, and the pages to cache. Inspectors get their own zones;
supervisors and admins every zone. With `since` (the `generated_at` of the last bundle)
only what changed is listed — assets changed or inspected, defects changed — with the ids
to drop in `removed`; zones and the form pages are always listed in full.
`duplicate_distance_m` is how close an asset or open defect of the same category must be
to count as a likely duplicate (DUPLICATE_DISTANCE_M).
"""

ESTIMATE_DESCRIPTION = """\
What "download for offline" (`/api/offline/bundle`, same `since`) would store, counted and
weighed before the phone asks for it: zones, assets, open defects and pages, and the bytes of
the bundle as sent, of the standards, and of the pages (`pages` × a typical page's weight).
`bytes` is their sum, the figure the phone shows next to its download button.
"""

NEAREST_DESCRIPTION = """\
The active assets of the user's zones (matching `q` by code or name), nearest `lat`, `lon`
first, sorted by the server over all of them: the first FINDER_LIMIT (50) with their distance
in metres, and `total`, how many match. The finder asks this when the phone has not
downloaded its zones.
"""

NEARBY_DESCRIPTION = """\
The offline bundle's data within `duplicate_distance_m` metres (on the ground) of `lat`,
`lon`, for one `category`: active assets of that category in the user's zones, and the
active defects of that category within the distance or on those assets. A phone without
the bundle judges likely duplicates from this exactly as from the bundle.
"""


def parse_since(value: str | None) -> dt.datetime | None:
    """`since` as an aware datetime, or 422 `bad_since`."""
    if value is None or value == "":
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace(" ", "+"))  # a raw "+" in a query reads as a space
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise AppError("bad_since", field="since")
    return moment


def parse_coordinate(value: str | None, name: str, limit: float) -> float:
    """A latitude or longitude within ±`limit`, or 422 `out_of_range` naming it."""
    try:
        number = float(value or "")
    except ValueError:
        number = float("nan")
    if not -limit <= number <= limit:  # NaN fails too
        raise AppError("out_of_range", field=name, min=-limit, max=limit)
    return number


@dataclass
class NearestAssets:
    total: int
    assets: list[NearAsset]



class OfflineController(Controller):
    path = "/api/offline"
    tags = ["sync"]

    @get("/bundle", guards=[role_in("inspector", "supervisor")], summary="Download the offline data of my zones",
         description=BUNDLE_DESCRIPTION)
    async def bundle(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        since: Annotated[str | None, QueryParameter(description="generated_at of the last bundle")] = None,
    ) -> OfflineBundle:
        return await offline_bundle(db, signed_in_user(request), request.app.state.standards, parse_since(since), utcnow(),
                                    get_workorder_settings().duplicate_distance_m)

    @get("/estimate", guards=[role_in("inspector", "supervisor")], summary="The size of a download, before it is made",
         description=ESTIMATE_DESCRIPTION)
    async def estimate(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        since: Annotated[str | None, QueryParameter(description="generated_at of the last bundle")] = None,
    ) -> DownloadEstimate:
        bundle = await offline_bundle(db, signed_in_user(request), request.app.state.standards, parse_since(since), utcnow(),
                                      get_workorder_settings().duplicate_distance_m)
        # The phone keeps the version in force and every scheduled one (GET /api/standards/set).
        standards_bytes = len(encode_json({"versions": [s.document for s in request.app.state.standards.ahead()]}))
        return download_estimate(bundle, standards_bytes)

    @get("/nearest", guards=[role_in("inspector", "supervisor")], summary="My assets, nearest first",
         description=NEAREST_DESCRIPTION)
    async def nearest(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        lat: Annotated[str | None, QueryParameter(description="latitude, WGS 84")] = None,
        lon: Annotated[str | None, QueryParameter(description="longitude, WGS 84")] = None,
        q: Annotated[str, QueryParameter(description="part of a code or name")] = "",
    ) -> NearestAssets:
        point = parse_coordinate(lat, "lat", 90), parse_coordinate(lon, "lon", 180)
        found, total = await nearest_assets(db, await zone_scope(db, signed_in_user(request)), *point, q[:80])
        return NearestAssets(total=total, assets=found)

    @get("/nearby", guards=[role_in("inspector", "supervisor")], summary="The offline data around one point",
         description=NEARBY_DESCRIPTION)
    async def nearby(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        lat: Annotated[str | None, QueryParameter(description="latitude, WGS 84")] = None,
        lon: Annotated[str | None, QueryParameter(description="longitude, WGS 84")] = None,
        category: Annotated[str, QueryParameter(description="asset category")] = "",
    ) -> NearbySlice:
        standard = request.app.state.standards.catalogue()
        if category not in standard.categories:
            raise AppError("unknown_category", field="category",
                           categories=", ".join(standard.categories))
        point = parse_coordinate(lat, "lat", 90), parse_coordinate(lon, "lon", 180)
        return await nearby_slice(db, signed_in_user(request), *point, category, get_workorder_settings().duplicate_distance_m)

    @get("/me", guards=[signed_in], summary="Who is signed in: the user the phone's outbox sends for")
    async def me(self, request: Request[Any, Any, Any]) -> dict[str, str]:
        """The phone tags every outbox entry with the user who captured it and, before each
        sync run, asks this to send only that user's entries under this session."""
        user = signed_in_user(request)
        return {"id": str(user.id), "username": user.username, "display_name": user.display_name, "role": user.role}
