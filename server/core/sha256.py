"""The one SHA-256 pattern: photos are named by the lowercase hex SHA-256 of their bytes."""

from __future__ import annotations

import re
from typing import TypeGuard

PATTERN = "^[0-9a-f]{64}$"  # as a JSON Schema / msgspec pattern
SHA256_HEX = re.compile(PATTERN[1:-1])  # use with fullmatch


def is_sha256(value: object) -> TypeGuard[str]:
    """Whether `value` is a lowercase hex SHA-256 (64 characters)."""
    return isinstance(value, str) and SHA256_HEX.fullmatch(value) is not None
