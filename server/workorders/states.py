"""The work order's state machine: which step leads from which state to which, and who takes it.

    issued ──accept──▶ accepted ──start──▶ in_progress ──complete──▶ completed ──verify──▶ verified
                                              ▲                           │
                                              └──────start── returned ◀──return (reason)
    issued, accepted, in_progress, returned ──cancel (reason)──▶ cancelled

Completing an accepted or returned order (the contractor finished on site without tapping
"start" first, perhaps with no signal) takes the start step implicitly, recorded as its own
audit event. Any other move is refused with 409 `illegal_transition`.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.core.errors import AppError


@dataclass(frozen=True)
class Step:
    action: str
    source: tuple[str, ...]
    target: str
    role: str  # "contractor" or "supervisor" (admins may take either)
    needs_reason: bool = False


STEPS: dict[str, Step] = {
    s.action: s
    for s in (
        Step("accept", ("issued",), "accepted", "contractor"),
        Step("start", ("accepted", "returned"), "in_progress", "contractor"),
        Step("complete", ("in_progress",), "completed", "contractor"),
        Step("verify", ("completed",), "verified", "supervisor"),
        Step("return", ("completed",), "returned", "supervisor", needs_reason=True),
        Step("cancel", ("issued", "accepted", "in_progress", "returned"), "cancelled", "supervisor", needs_reason=True),
    )
}

# Every legal (from, to) pair, for tests and documentation.
LEGAL = frozenset((src, s.target) for s in STEPS.values() for src in s.source)
OPEN_STATUSES = ("issued", "accepted", "in_progress", "returned")
# Orders in these states still owe work; past their due time they are overdue.
OWING_STATUSES = OPEN_STATUSES
COMPLETABLE = ("accepted", "in_progress", "returned")


def step_for(action: str) -> Step:
    """The step named `action`; 404 for an unknown action name."""
    step = STEPS.get(action)
    if step is None:
        raise AppError("unknown_action", field="action")
    return step


def check_step(step: Step, current: str) -> None:
    """Refuse (409) a step that does not start from the order's current state."""
    if current not in step.source:
        # One message per action, naming the states it may start from, in the user's language.
        raise AppError("illegal_transition", key=f"wo.illegal.{step.action}", field="status")
