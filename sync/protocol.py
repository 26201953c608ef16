"""The sync protocol's envelope (docs/sync.md §2): parsing a batch, record ids, content hashes.

The body is parsed here from raw JSON rather than by the framework, so that every fault
comes back with a stable code, the field at fault and a message in the user's language.
A fault in the envelope (not JSON, not a batch, too many records, an unknown kind, an id
that is not a UUID) refuses the whole request; a fault inside one record's `body` refuses
only that record (see `RecordRefused`).
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec

from server.core.errors import AppError
from server.core.text import raw_json_may_hold_unstorable, unstorable_paths
from sync.registry import kind_names
from server.core.error_codes import lookup
from server.core.validation import Problem

MAX_RECORDS = 200
MAX_BATCH_BYTES = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SyncRecord:
    """One record of a batch: its kind, the phone's UUID and its body (any JSON value)."""

    kind: str
    id: uuid.UUID
    body: Any
    content_hash: str
    # Paths (`body.…`) of text the server cannot store (server/core/text.py): the record is
    # refused per field with `bad_text`, the rest of the batch unaffected.
    bad_text: tuple[str, ...] = ()


def canonical_json(value: Any) -> bytes:
    """Keys sorted, no insignificant whitespace, UTF-8: the form content hashes are taken of."""
    # surrogatepass: a body holding half an emoji still has a hash (it is refused, but its
    # id may be taken, and a conflict is told apart from a repeat by the hash).
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8", "surrogatepass")


def content_hash(body: Any) -> str:
    """SHA-256 hex of the record body's canonical JSON."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class Parsed:
    """A parsed request body, and how its records' content hashes may be taken."""

    document: Any
    # msgspec, keys sorted, writes exactly the bytes of `canonical_json` (same key order,
    # escapes, integers and shortest float digits) except for floats that Python writes
    # with an exponent (1e-05, 1e+16). True when there are none of those.
    msgspec_canonical: bool
    # The raw JSON holds a \u0000 or \ud800–\udfff escape: its strings need a look.
    may_hold_unstorable: bool = False

    def content_hash(self, body: Any) -> str:
        """`content_hash(body)` for a body inside this document, the fast way when it is exact."""
        if self.msgspec_canonical:
            return hashlib.sha256(_SORTED_KEYS.encode(body)).hexdigest()
        return content_hash(body)


_SORTED_KEYS = msgspec.json.Encoder(order="sorted")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400: valid syntax, but no number a record can hold
        raise ValueError(f"{text} is out of range")
    return value


def parse_json(raw: bytes) -> Parsed:
    """Strict JSON (no NaN, Infinity or numbers beyond a double), or 400 `malformed_json`.

    msgspec parses several times faster than `json` and refuses everything `json` is told
    to refuse here; what msgspec refuses goes to `json`, which either accepts it after all
    (UTF-16 text, a lone surrogate) or explains the refusal with the line and column the
    message names.
    """
    exponents = False

    def float_hook(text: str) -> float:
        nonlocal exponents
        value = _finite_float(text)
        exponents = exponents or "e" in repr(value)
        return value

    suspect = raw_json_may_hold_unstorable(raw)
    try:
        return Parsed(msgspec.json.Decoder(float_hook=float_hook).decode(raw), msgspec_canonical=not exponents,
                      may_hold_unstorable=suspect)
    except (msgspec.MsgspecError, ValueError, RecursionError):
        pass
    try:
        return Parsed(json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float), False, suspect)
    except json.JSONDecodeError as exc:
        raise AppError("malformed_json", field="", line=exc.lineno, column=exc.colno) from exc
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, bad UTF-8, absurd nesting
        raise AppError("malformed_json", key="sync.malformed_json_plain", field="") from exc


def parse_kind(kind: Any, where: str) -> str:
    kinds = kind_names()  # registered by the domains at app start (sync/registry.py)
    if not isinstance(kind, str) or kind not in kinds:
        raise AppError("unknown_kind", field=where, kinds=", ".join(kinds))
    return kind


def parse_record_id(value: Any, where: str) -> uuid.UUID:
    """A record id: a UUID in its canonical text form (any case), nothing looser."""
    if isinstance(value, str) and len(value) == 36:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise AppError("bad_record_id", field=where)


def parse_batch(raw: bytes) -> list[SyncRecord]:
    """The records of `POST /api/sync`, in order; AppError for a malformed batch."""
    parsed = parse_json(raw)
    doc = parsed.document
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise AppError("bad_batch", field="records")
    for key in doc:
        if key != "records":
            raise AppError("bad_batch", key="sync.unknown_batch_key", field=str(key))
    items = doc["records"]
    if len(items) > MAX_RECORDS:
        raise AppError("too_many_records", field="records", max=MAX_RECORDS)
    records = []
    for i, item in enumerate(items):
        where = f"records[{i}]"
        if not isinstance(item, dict) or "body" not in item or set(item) - {"kind", "id", "body"}:
            raise AppError("bad_record", field=where)
        kind = parse_kind(item.get("kind"), f"{where}.kind")
        record_id = parse_record_id(item.get("id"), f"{where}.id")
        records.append(SyncRecord(kind, record_id, item["body"], parsed.content_hash(item["body"]),
                                  _bad_text(parsed, item["body"])))
    return records


def _bad_text(parsed: Parsed, body: Any) -> tuple[str, ...]:
    return tuple(unstorable_paths(body, "body")) if parsed.may_hold_unstorable else ()


def parse_single(kind: str, record_id: str, raw: bytes) -> SyncRecord:
    """The record of `PUT /api/sync/{kind}/{id}`; AppError for a bad kind, id or JSON."""
    kind = parse_kind(kind, "kind")
    rid = parse_record_id(record_id, "id")
    parsed = parse_json(raw)
    return SyncRecord(kind, rid, parsed.document, parsed.content_hash(parsed.document), _bad_text(parsed, parsed.document))


# A refused record's status in the batch's answer (docs/sync.md): one of these.
RECORD_STATUSES = (409, 422, 428)


class RecordRefused(Exception):
    """One record refused, the rest of the batch unaffected, by its code in server/core/error_codes.py.

    `status` is the code's: 422 (`problems` names the fields), 428 (`missing` photo hashes)
    or 409; a code the HTTP API answers otherwise (a work order not found, 404) refuses
    the record as invalid, 422.
    """

    def __init__(
        self,
        code: str,
        *,
        key: str | None = None,
        problems: list[Problem] | None = None,
        missing: list[str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        entry = lookup(code, key)
        self.status = entry.status if entry.status in RECORD_STATUSES else 422
        self.code = code
        self.key = key or entry.key
        self.problems = problems or []
        self.missing = missing or []
        self.params = params


def invalid(problems: list[Problem]) -> RecordRefused:
    """The 422 refusal of a body with these faults."""
    return RecordRefused("invalid_record", problems=problems, n=len(problems))
