"""Multi-row INSERTs for the sync write path, with SQLAlchemy's per-row work done once per table.

A 200-record batch writes about 1,600 rows. Core's `execute(insert(table), rows)` builds a
parameter dict for every row, looks up each column's bind processor, and serialises JSON
with the standard library: about a quarter of a batch's CPU time. Here the INSERT is
compiled once per table and dialect, the processors are looked up once, JSON columns are
encoded with msgspec (the same JSON values, several times faster), and the driver gets plain
tuples through `exec_driver_sql` — still inside the caller's transaction and SAVEPOINT.

Rows must name every column that has a Python-side default (Core would fill those in;
nothing here does): `BulkInsert` refuses rows that leave one out.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import msgspec
from sqlalchemy import Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import JSON, DateTime, TypeDecorator, Uuid

Processor = Callable[[Any], Any] | None
Prepared = tuple[str, list[tuple[Processor, bool]]]
_json = msgspec.json.Encoder()


def _encode_json(value: Any) -> str:
    return _json.encode(value).decode()


class BulkInsert:
    """`INSERT INTO table (columns) VALUES (...)` for many rows with the same keys."""

    def __init__(self, table: Table) -> None:
        self.table = table
        # Per dialect (one per engine) and per set of keys: the SQL text and, per key, its
        # processor and whether its values are worth remembering.
        self._compiled: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, ...], Prepared]] = (
            weakref.WeakKeyDictionary()
        )

    async def execute(self, connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
        """Insert `rows` (dicts with the same keys) in one executemany."""
        if not rows:
            return
        keys = tuple(rows[0])
        sql, processors = self._prepare(connection.dialect, keys)
        converters = [(i, _remembering(convert) if remember else convert)
                      for i, (convert, remember) in enumerate(processors) if convert is not None]
        values_of = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
        params = []
        for row in rows:
            values = list(values_of(row))
            for i, convert in converters:
                values[i] = convert(values[i])
            params.append(tuple(values))
        await connection.exec_driver_sql(sql, params)

    def _prepare(self, dialect: Dialect, keys: tuple[str, ...]) -> Prepared:
        by_keys = self._compiled.setdefault(dialect, {})
        prepared = by_keys.get(keys)
        if prepared is None:
            prepared = by_keys[keys] = self._compile(dialect, keys)
        return prepared

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> Prepared:
        left_out = [c.key for c in self.table.columns if c.key not in keys and c.default is not None]
        if left_out:
            raise ValueError(f"rows for {self.table.name} leave out {left_out}, which have Python-side defaults")
        compiled = insert(self.table).compile(dialect=dialect, column_keys=list(keys))
        order = list(compiled.positiontup or ())
        if order != list(keys):  # every dialect we use binds in column order; make sure
            raise ValueError(f"unexpected bind order for {self.table.name}: {order}")
        processors: list[tuple[Processor, bool]] = []
        for key in keys:
            column_type = self.table.columns[key].type
            if isinstance(column_type.dialect_impl(dialect), JSON):
                processors.append((_encode_json, False))
            else:
                convert = column_type._cached_bind_processor(dialect)
                # Ids and times repeat within a batch (an inspection's id in each of its clause
                # results, the moment of receipt in every row) and cost microseconds each to
                # convert (SQLite stores them as text).
                base = column_type.impl if isinstance(column_type, TypeDecorator) else column_type
                processors.append((convert, convert is not None and isinstance(base, (Uuid, DateTime))))
        return str(compiled), processors


def _remembering(convert: Processor) -> Callable[[Any], Any]:
    """`convert`, answering a value it has seen in this statement from memory."""
    assert convert is not None
    seen: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = convert(value)
            return result

    return remembered
