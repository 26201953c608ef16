"""The record kinds the sync API takes, filled by the domains at app start.

`sync/` is the protocol (envelope, receipts, batching, bulk writes) and knows no domain:
each domain describes its own kind in `server/<domain>/records.py` — how to plan one
record, the result it answers with, what a batch's records of that kind refer to — and
`server.app.create_app` registers them (`register_kinds`). An unknown kind is refused
with `unknown_kind`, naming the registered ones in the order they were registered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar.exceptions import PermissionDeniedException
from sqlalchemy.ext.asyncio import AsyncSession

from server.core.identity import CurrentUser

if TYPE_CHECKING:
    from sqlalchemy.sql import Executable

    from sync.context import BatchState, Plan
    from sync.protocol import SyncRecord

PlanRecord = Callable[[AsyncSession, "BatchState", "SyncRecord", str], Awaitable["Plan"]]
Prepare = Callable[[AsyncSession, "BatchState", list[Any]], Awaitable[None]]
Reach = Callable[[AsyncSession, CurrentUser], Awaitable[frozenset[Any] | None]]


@dataclass(frozen=True)
class RecordKind:
    """One kind of record the phone's outbox sends (docs/sync.md)."""

    name: str
    plan: PlanRecord
    """Check one record and plan what it stores (rows, audit events, result); RecordRefused otherwise."""
    result: type[Any]
    """The msgspec Struct of its result, kept in the receipt and answered again for a duplicate."""
    prepare: Prepare | None = None
    """Load, once per batch, what the batch's bodies of this kind refer to into the BatchState."""
    stored_as: type[Any] | None = None
    """The model whose rows carry the record's id: an id stored without a receipt (demo data) is a conflict."""
    for_contractors: bool = False
    """Contractors may send this kind; a contractor's batch with any other kind is refused whole (403)."""


@dataclass(frozen=True)
class RowUpdate:
    """An UPDATE plans may ask for (`Plan.update(name, row)`), run once per batch with every
    plan's rows, sorted by `order` so that concurrent batches lock rows in one order."""

    name: str
    statement: Executable
    order: Callable[[dict[str, Any]], Any]


_KINDS: dict[str, RecordKind] = {}
_UPDATES: dict[str, RowUpdate] = {}
_REACH: list[Reach] = []


def register_kinds(*kinds: RecordKind, updates: Iterable[RowUpdate] = (), reach: Reach) -> None:
    """Register the domains' record kinds, their row updates, and the zones a caller may reach
    (`reach`: None for every zone). Called by create_app; again with the same kinds is harmless."""
    _KINDS.clear()
    _KINDS.update((kind.name, kind) for kind in kinds)
    _UPDATES.clear()
    _UPDATES.update((update.name, update) for update in updates)
    _REACH[:] = [reach]


def kind_names() -> tuple[str, ...]:
    """The registered kinds, in the order they were registered."""
    return tuple(_KINDS)


def record_kind(name: str) -> RecordKind:
    return _KINDS[name]


def record_kinds() -> tuple[RecordKind, ...]:
    return tuple(_KINDS.values())


def row_updates() -> tuple[RowUpdate, ...]:
    return tuple(_UPDATES.values())


async def reach(db: AsyncSession, user: CurrentUser) -> frozenset[Any] | None:
    """The zones `user` may reach, as the registered domain decides."""
    return await _REACH[0](db, user)


def refuse_kinds_not_for(user: CurrentUser, records: list[SyncRecord]) -> None:
    """A contractor's phone sends only kinds open to contractors: anything else refuses the whole request (403)."""
    if user.role == "contractor" and any(not _KINDS[r.kind].for_contractors for r in records):
        raise PermissionDeniedException("auth.forbidden")
