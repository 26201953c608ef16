"""Which site's data a user sees: only the sites they work in, one at a time.

Users belong to sites (`user_sites`); admins belong to every site. The top bar's site
switch chooses one of them (the `fc_site` cookie, read with the session in
server/accounts/sessions.py); the map, the defect and work-order lists and exports, the
scores, the /supervise overview and the offline download all show that site only. A user
who belongs to no site sees no site's data — only a message saying so — never every site.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select

from server.core.identity import CurrentUser
from server.sites.models import Zone


def site_zone_ids(user: CurrentUser) -> Select[Any]:
    """The ids of the zones of the user's current site (none when it has no site)."""
    return select(Zone.id).where(Zone.site_id == user.site_id) if user.site_id else select(Zone.id).where(
        Zone.id.is_(None))


def in_current_site(zone_id: Any, user: CurrentUser) -> ColumnElement[bool]:
    """A condition: the row's zone (`zone_id` column) lies in the user's current site."""
    condition: ColumnElement[bool] = zone_id.in_(site_zone_ids(user))
    return condition
