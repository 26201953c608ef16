"""The `completion` record kind of the sync API: a contractor's proof of fix (sync/registry.py)."""

from __future__ import annotations

from server.workorders.sync_completion import KIND, CompletionResult, plan_completion
from sync.registry import RecordKind

# Written at once, in a SAVEPOINT, by the work-order service: its plan carries only the result.
COMPLETION = RecordKind(KIND, plan_completion, CompletionResult, for_contractors=True)
