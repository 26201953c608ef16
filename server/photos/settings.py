"""Settings of photo uploads beyond those of `server/config.py`'s MediaSettings.

Same pattern as `server/config.py` (one small dataclass, each field read from a named
environment variable, documented in its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from server.config import _env_float


@dataclass(frozen=True)
class UploadSettings:
    """How long the server keeps what arrived of an upload that never finished."""

    partial_upload_max_age_h: float = field(default_factory=lambda: _env_float("PARTIAL_UPLOAD_MAX_AGE_H", 72.0))
    """PARTIAL_UPLOAD_MAX_AGE_H: pieces of an upload that no byte has reached for this many hours are deleted (the phone then sends that photo again from the start)."""


@lru_cache(maxsize=1)
def get_upload_settings() -> UploadSettings:
    """The process's upload settings (tests clear the cache after changing the environment)."""
    return UploadSettings()
