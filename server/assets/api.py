"""The JSON API around assets: the offline bundle an inspector's phone downloads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter

from server.accounts.guards import role_in
from server.assets.service import OfflineBundle, offline_bundle
from server.db import utcnow
from server.deps import DbSession
from server.errors import AppError
from server.web import current_user

BUNDLE_DESCRIPTION = """\
Everything the phone needs to find and inspect the assets of the user's zones with no
network (docs/sync.md §3): zones with their outlines, active assets with their last
inspection, active defects, and the pages to cache. Inspectors get their own zones;
supervisors and admins every zone. With `since` (the `generated_at` of the last bundle)
only what changed is listed — assets changed or inspected, defects changed — with the ids
to drop in `removed`; zones and the form pages are always listed in full.
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
        raise AppError(422, "bad_since", "sync.bad_since", field="since")
    return moment


class OfflineController(Controller):
    path = "/api/offline"
    guards = [role_in("inspector", "supervisor")]
    tags = ["sync"]

    @get("/bundle", summary="Download the offline data of my zones", description=BUNDLE_DESCRIPTION)
    async def bundle(
        self,
        request: Request[Any, Any, Any],
        db: DbSession,
        since: Annotated[str | None, QueryParameter(description="generated_at of the last bundle")] = None,
    ) -> OfflineBundle:
        user = current_user(request)
        assert user is not None
        return await offline_bundle(db, user, request.app.state.standards, parse_since(since), utcnow())
