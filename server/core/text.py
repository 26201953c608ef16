"""The one text rule, for every input the app takes (forms, JSON, sync records, queries).

Text is refused, per field, with the stable code `bad_text` (a 4xx, never a 5xx) when it
holds what no database column can hold the same on both backends:

- U+0000: PostgreSQL refuses it in text and JSON; SQLite would store it. Refused on both,
  so the same input has the same answer whatever the deployment runs on.
- a lone UTF-16 surrogate (U+D800–U+DFFF on its own): what JavaScript makes when it cuts an
  emoji in half (`"😀".slice(0, 1)`) and JSON carries as `"\\ud83d"`. No UTF-8 encoder
  writes it, so it would fail deep in the database driver as a 500.

Pairs of surrogates in JSON escapes (`"\\ud83d\\ude00"`) are decoded to the one character
they stand for before this rule sees them, so whole emoji are fine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from server.core.errors import AppError

CODE = "bad_text"
MESSAGE_KEY = "text.bad"  # for sync problems, whose message the field name precedes
FIELD_MESSAGE_KEY = "text.bad_field"  # {name}: the field
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In raw JSON both can only arrive as escapes: \u0000, or \ud800–\udfff.
_RAW_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def unstorable(value: str) -> bool:
    """Whether the string holds U+0000 or a lone surrogate."""
    return _UNSTORABLE.search(value) is not None


def raw_json_may_hold_unstorable(raw: bytes) -> bool:
    """A cheap look at JSON bytes: False means no string in it can break the rule."""
    return _RAW_ESCAPE.search(raw) is not None


def unstorable_paths(value: Any, where: str) -> Iterator[str]:
    """The path of every string (value or key) in a JSON value that breaks the rule."""
    if isinstance(value, str):
        if unstorable(value):
            yield where
    elif isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}" if isinstance(key, str) and not unstorable(key) else f"{where}.{{key}}"
            if isinstance(key, str) and unstorable(key):
                yield path
            yield from unstorable_paths(item, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from unstorable_paths(item, f"{where}[{i}]")


def refusal(field: str) -> AppError:
    """The 422 `bad_text` refusal naming `field`."""
    return AppError(CODE, key=FIELD_MESSAGE_KEY, field=field, name=field)


def check_text(value: Any, field: str) -> Any:
    """`value` unchanged when it is not text breaking the rule; AppError 422 `bad_text` otherwise."""
    if isinstance(value, str) and unstorable(value):
        raise refusal(field)
    return value


async def check_request_text(request: Any) -> None:
    """Litestar `before_request`: the rule for the text in every URL (query and path
    parameters: filters, searches, QR tokens), before any handler runs."""
    check_fields(request.query_params)
    check_fields({k: v for k, v in request.path_params.items() if isinstance(v, str)})


def check_fields(values: Mapping[str, Any] | Any, where: str = "") -> None:
    """Refuse (422 `bad_text`, naming the first field) a form or JSON object breaking the rule anywhere."""
    items = values.multi_items() if hasattr(values, "multi_items") else (
        values.items() if isinstance(values, Mapping) else [])
    for key, item in items:
        name = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and unstorable(key):
            raise refusal(where or "body")
        for path in unstorable_paths(item, name):
            raise refusal(path)
