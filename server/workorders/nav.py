"""The count in the staff's top bar: work orders completed and waiting for review.

Loaded before a page is rendered (a Litestar `before_request`, GET pages only, for
supervisors and admins) and put in the request's scope, where `server.core.web.render` finds it.
The full page shows it in the navigation; an htmx fragment carries it out of band
(web/templates/layout/_nav_count.html), so verifying or returning an order in place updates
the top bar without a reload. The contractor's pages are stored on the phone for offline
use, so they carry no live count.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from server.workorders.filters import order_scope
from server.core.web import NAV_COUNT_KEY
from server.core.identity import current_user
from server.workorders.models import WorkOrder

# What is not a page: JSON, files, photos, the schema, the app shell.
NOT_A_PAGE = re.compile(r"^/(api|static|photos|schema)(/|$)|^/(sw\.js|manifest\.webmanifest|health)$|"
                        r"\.(csv|pdf|svg|geojson|json)$")


async def load_review_count(request: Any) -> None:
    """Count the orders to review for a staff member's page (one COUNT on work_orders)."""
    user = current_user(request)
    if user is None or user.role not in ("supervisor", "admin") or request.method != "GET" \
            or NOT_A_PAGE.search(request.url.path):
        return
    async with request.app.state.db.session(write=False) as db:
        query = select(func.count()).select_from(WorkOrder).where(WorkOrder.status == "completed", order_scope(user))
        request.scope[NAV_COUNT_KEY] = int((await db.execute(query)).scalar_one())
