"""Dependencies shared by every domain's handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.db import Database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_db(request: Request[Any, Any, Any], state: State) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    GETs read; anything else writes, and on SQLite takes the write lock up front.
    """
    database: Database = state.db
    async with database.session(write=request.method not in SAFE_METHODS) as session:
        yield session


# Handlers declare `db: DbSession` so the dependency is named explicitly (Litestar 3 style).
DbSession = NamedDependency[AsyncSession]
