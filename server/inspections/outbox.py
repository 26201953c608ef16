"""`/inspect/outbox`: the entries waiting on this phone and those the server refused.

The list itself lives in the phone's IndexedDB, so the page is a frame that
`web/static/js/outbox-page.js` fills in; the server knows nothing about unsent entries.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from server.core.guards import role_in
from server.core.web import render


@get("/inspect/outbox", guards=[role_in("inspector")], include_in_schema=False)
async def outbox_page(request: Request[Any, Any, Any]) -> Template:
    """The outbox page (rendered client-side from IndexedDB)."""
    return render(request, "inspect/outbox.html", title_key="offline.outbox_title")
