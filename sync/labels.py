"""A refused record's field in words: what the phone shows instead of `body.asset_id`.

`field_words("body.damages[0].depth_mm", "zh", standard)` is "第 1 处破损 · 坑洼深度": the
fixed fields of a body by name, observations and damage measurements by the standards'
own labels. `reason_only` is the message without the path the server's words start with,
so the phone shows the field once ("设施：该设施已停用。", not "body.asset_id: body.asset_id:…").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from server.core.i18n import pick, translate
from standards import Standard

# Fields of a record body → the i18n key of their name (server/core/i18n/en.json, zh.json).
FIXED = {
    "asset_id": "fieldname.asset_id", "observed_at": "fieldname.observed_at", "position": "fieldname.position",
    "notes": "fieldname.notes", "photos": "fieldname.photos", "damages": "fieldname.damages",
    "not_applicable": "fieldname.not_applicable", "standards_version": "fieldname.standards_version",
    "observations": "fieldname.observations", "category": "fieldname.category", "name": "fieldname.name",
    "code": "fieldname.code", "zone_id": "fieldname.zone_id", "lat": "fieldname.lat", "lon": "fieldname.lon",
    "accuracy_m": "fieldname.accuracy_m", "work_order_id": "fieldname.work_order_id",
    "compliant": "fieldname.compliant", "clauses": "fieldname.clauses", "id": "fieldname.id",
}
_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?")


def _observation_label(standard: Standard, key: str) -> Mapping[str, str] | None:
    for category in standard.document["categories"].values():
        spec = category.get("observations", {}).get(key)
        if spec:
            label: Mapping[str, str] | None = spec.get("label")
            return label
    return None


def _damage_field_label(standard: Standard, key: str) -> Mapping[str, str] | None:
    for category in standard.document["categories"].values():
        for damage in category.get("damage_types", {}).values():
            spec = damage.get("fields", {}).get(key)
            if spec:
                label: Mapping[str, str] | None = spec.get("label")
                return label
    return None


def field_words(field: str, lang: str, standard: Standard | None) -> str | None:
    """`field` (a body path) in words in `lang`, or None when it is not a field one can name."""
    path = field.removeprefix("body").lstrip(".")
    if not path:
        return None
    parts = [_PART.fullmatch(p) for p in path.split(".")]
    if not all(parts):
        return None
    head, index = parts[0].group(1), parts[0].group(2)  # type: ignore[union-attr]
    rest = [p.group(1) for p in parts[1:]]  # type: ignore[union-attr]
    if head == "observations" and rest and standard is not None:
        label = _observation_label(standard, rest[0])
        return pick(lang, label) if label else rest[0]
    if head == "damages" and index is not None:
        words = translate(lang, "fieldname.damage_n", n=int(index) + 1)
        if rest and rest[0] == "type":
            return f"{words} · {translate(lang, 'fieldname.damage_type')}"
        if rest and standard is not None:
            label = _damage_field_label(standard, rest[0])
            return f"{words} · {pick(lang, label) if label else rest[0]}"
        return words
    if head == "photos" and index is not None:
        return translate(lang, "fieldname.photo_n", n=int(index) + 1)
    key = FIXED.get(head)
    if key is None:
        return None
    words = translate(lang, key)
    if head == "position" and rest and rest[0] in FIXED:
        words = f"{words} · {translate(lang, FIXED[rest[0]])}"
    return words


def reason_only(message: str, field: str) -> str:
    """`message` without the field path it starts with (`body.x: …`, `x:…`)."""
    for prefix in (field, field.removeprefix("body.")):
        if prefix and message.startswith(prefix):
            rest = message[len(prefix):]
            return rest.lstrip(":：").lstrip() or message
    return message


def error_words(field: str, message: str, lang: str, standard: Standard | None) -> dict[str, Any]:
    """The `label` and `text` of one field error (both absent when the field has no name)."""
    label = field_words(field, lang, standard)
    if label is None:
        return {}
    return {"label": label, "text": reason_only(message, field)}
