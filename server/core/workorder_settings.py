"""Settings of defects, work orders, proof of fix, webhooks and the overdue job.

Same pattern as `server/core/config.py` (one small dataclass, each field read from a named
environment variable, documented in its docstring). In the core, not in work orders:
assets (the duplicate distance), defects and rounds read it too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from server.core.config import _env, _env_bool, _env_float, _env_int

H = dt.timedelta(hours=1)


def _parse_response_times(raw: str) -> dict[str, dt.timedelta]:
    """`urgent=24h,high=72h,normal=7d,low=30d` → severity → timedelta (h or d units)."""
    times: dict[str, dt.timedelta] = {}
    for part in raw.split(","):
        name, _, value = part.strip().partition("=")
        value = value.strip().lower()
        if not name or not value or value[-1] not in "hd":
            raise ValueError(f"RESPONSE_TIMES: cannot read {part!r} (write e.g. urgent=24h or low=30d)")
        amount = float(value[:-1])
        times[name.strip()] = amount * (H if value[-1] == "h" else 24 * H)
    missing = {"urgent", "high", "normal", "low"} - set(times)
    if missing:
        raise ValueError(f"RESPONSE_TIMES: no time for {', '.join(sorted(missing))}")
    return times


@dataclass(frozen=True)
class WorkOrderSettings:
    """How work orders are judged and how contractors are told."""

    response_times: dict[str, dt.timedelta] = field(
        default_factory=lambda: _parse_response_times(_env("RESPONSE_TIMES", "urgent=24h,high=72h,normal=7d,low=30d"))
    )
    """RESPONSE_TIMES: time to respond per severity, e.g. urgent=24h,high=72h,normal=7d,low=30d."""
    proof_distance_m: float = field(default_factory=lambda: _env_float("PROOF_DISTANCE_M", 25.0))
    """PROOF_DISTANCE_M: an "after" photo must be taken within this many metres (on the ground) of its defect."""
    duplicate_distance_m: float = field(default_factory=lambda: _env_float("DUPLICATE_DISTANCE_M", 10.0))
    """DUPLICATE_DISTANCE_M: an open defect of the same category this close is a likely duplicate."""
    webhook_timeout_s: float = field(default_factory=lambda: _env_float("WEBHOOK_TIMEOUT_S", 10.0))
    """WEBHOOK_TIMEOUT_S: how long one webhook delivery attempt may take."""
    webhook_max_attempts: int = field(default_factory=lambda: _env_int("WEBHOOK_MAX_ATTEMPTS", 8))
    """WEBHOOK_MAX_ATTEMPTS: attempts before a webhook delivery is given up (and logged as failed)."""
    webhook_backoff_s: float = field(default_factory=lambda: _env_float("WEBHOOK_BACKOFF_S", 30.0))
    """WEBHOOK_BACKOFF_S: wait before the first retry; doubled after each failure (capped at 6 h), with jitter."""
    webhook_allow_private: bool = field(default_factory=lambda: _env_bool("WEBHOOK_ALLOW_PRIVATE", False))
    """WEBHOOK_ALLOW_PRIVATE: let webhooks reach loopback, private and link-local addresses (off: only public ones)."""
    jobs_interval_s: float = field(default_factory=lambda: _env_float("JOBS_INTERVAL_S", 60.0))
    """JOBS_INTERVAL_S: how often the app runs its scheduled jobs (overdue marking, webhook retries, abandoned partial uploads); 0 = never."""


@lru_cache(maxsize=1)
def get_workorder_settings() -> WorkOrderSettings:
    """The process's work-order settings (tests clear the cache after changing the environment)."""
    return WorkOrderSettings()
