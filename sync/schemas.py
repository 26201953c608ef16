"""The shapes of the sync API, for the answers it gives and for the OpenAPI schema.

Answers are msgspec Structs. Requests are parsed by hand (sync.protocol, sync.fields and
the domain services) to give per-field errors in the user's language; the request
Structs below only document the shapes in the OpenAPI schema (see `inline_schema`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from server.core.sha256 import PATTERN as SHA256_PATTERN

# -- answers --------------------------------------------------------------------------------


class InspectionResult(Struct, tag_field="kind", tag="inspection"):
    """The server's judgement of an inspection it stored."""

    inspection_id: uuid.UUID
    verdict: Literal["compliant", "non_compliant", "undetermined"]
    compliant: bool | None
    standards_version: Annotated[str, Meta(description="the version the server judged with")]
    clauses: Annotated[dict[str, str], Meta(description="clause id → pass, fail, exempt, n/a or unknown")]
    defects_opened: list[uuid.UUID]
    defects_updated: Annotated[list[uuid.UUID], Meta(description="defects given evidence or marked passed")]


class AssetResult(Struct, tag_field="kind", tag="asset"):
    """A new asset as the server placed it."""

    asset_id: uuid.UUID
    code: str
    zone_id: uuid.UUID
    qr_token: str


class FieldError(Struct, omit_defaults=True):
    field: Annotated[str, Meta(description="dotted path, e.g. body.observations.damage_pct")]
    code: str
    message: Annotated[str, Meta(description="in the user's language")]
    label: Annotated[str | None, Meta(description="the field in words, in the user's language")] = None
    text: Annotated[str | None, Meta(description="the message without the field: shown after `label`")] = None


class RecordResult(Struct, omit_defaults=True):
    """The answer for one record; `status` is what PUT /api/sync/{kind}/{id} answers with."""

    id: uuid.UUID
    kind: Annotated[str, Meta(description="the record's kind, as sent (sync/registry.py)")]
    status: Annotated[int, Meta(description="201 created, 200 duplicate, 409, 422 or 428")]
    outcome: Literal["created", "duplicate", "conflict", "invalid", "photos_missing"]
    result: InspectionResult | AssetResult | None = None  # work orders: a completion answers with its CompletionResult
    code: str | None = None
    message: str | None = None
    field: str | None = None
    errors: list[FieldError] = []
    missing: Annotated[list[str], Meta(description="SHA-256 of photos to upload first (428)")] = []


class SyncBatchResult(Struct):
    results: Annotated[list[RecordResult], Meta(description="one per record, in the order sent")]


# -- requests (documentation only) ------------------------------------------------------------


class PositionIn(Struct):
    lat: Annotated[float, Meta(ge=-90, le=90)]
    lon: Annotated[float, Meta(ge=-180, le=180)]
    accuracy_m: Annotated[float, Meta(ge=0)] | None = None


class PhotoRefIn(Struct):
    sha256: Annotated[str, Meta(pattern=SHA256_PATTERN)]
    damage_index: Annotated[int | None, Meta(description="index into damages, or null")] = None


class InspectionBody(Struct):
    """An inspection as the phone recorded it; judged like a case of `python -m standards evaluate`."""

    asset_id: uuid.UUID
    observed_at: Annotated[dt.datetime, Meta(description="with its offset; not in the future, not before 2000",
                                             extra_json_schema={"format": "date-time"})]
    position: PositionIn | None = None
    observations: dict[str, float | bool | None] = {}
    damages: Annotated[list[dict[str, Any]], Meta(description="damage instances: {type, area_m2, ...}")] = []
    not_applicable: list[str] = []
    notes: str = ""
    photos: list[PhotoRefIn] = []
    standards_version: Annotated[str | None, Meta(description="the version the phone judged with")] = None
    compliant: Annotated[bool | None, Meta(description="the phone's verdict: audit only")] = None
    clauses: Annotated[dict[str, str] | None, Meta(description="the phone's clause results: audit only")] = None


class AssetBody(Struct):
    """A new asset where the inspector stands; the record's id becomes the asset's id."""

    category: str
    name: Annotated[str, Meta(max_length=160)]
    position: PositionIn
    notes: str = ""


class InspectionRecordIn(Struct, tag_field="kind", tag="inspection"):
    id: Annotated[uuid.UUID, Meta(description="made by the phone: the idempotency key")]
    body: InspectionBody


class AssetRecordIn(Struct, tag_field="kind", tag="asset"):
    id: Annotated[uuid.UUID, Meta(description="made by the phone: the idempotency key and the asset's id")]
    body: AssetBody


class SyncBatchIn(Struct):
    records: Annotated[list[InspectionRecordIn | AssetRecordIn], Meta(max_length=200)]


def inline_schema(tp: Any) -> dict[str, Any]:
    """The JSON schema of `tp` with its definitions inlined (for an OpenAPI request body)."""
    schema = msgspec.json.schema(tp)
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    inlined: dict[str, Any] = resolve(schema)
    return inlined
