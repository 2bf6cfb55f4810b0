"""The life of a callback request, written down once as data."""

NEW = "new"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
UNREACHABLE = "unreachable"
WITHDRAWN = "withdrawn"
SPAM = "spam"
EXPIRED = "expired"
RESTRICTED = "restricted"

# Every allowed change of status. "in_progress" may go back to "new" when a call
# goes unanswered or a hold is released: the request returns to the queue. A waiting
# request becomes unreachable only by a supervisor's decision (intake.domain.supervision),
# and completed when the visitor rings the line themselves (calls.record_called_in). A
# supervisor may reopen a completed, unreachable or spam request (with a reason);
# a withdrawn one never: the visitor asked us not to call. A request still open
# long after it was due is closed as expired by the retention purge, which removes
# its personal data at once, so it cannot be reopened either. A supervisor may
# restrict a waiting or held request ("do not contact", at the person's word: it
# leaves the queue) and lift that later; erasing a restricted one withdraws it.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({IN_PROGRESS, COMPLETED, UNREACHABLE, WITHDRAWN, SPAM, EXPIRED, RESTRICTED}),
    IN_PROGRESS: frozenset({NEW, COMPLETED, UNREACHABLE, WITHDRAWN, SPAM, EXPIRED, RESTRICTED}),
    COMPLETED: frozenset({NEW}),
    UNREACHABLE: frozenset({NEW}),
    WITHDRAWN: frozenset(),
    SPAM: frozenset({NEW}),
    EXPIRED: frozenset(),
    RESTRICTED: frozenset({NEW, WITHDRAWN}),
}

STATUSES = tuple(TRANSITIONS)
OPEN_STATUSES = frozenset({NEW, IN_PROGRESS})
# Closed requests a supervisor may put back in the queue (a restriction is lifted instead).
REOPENABLE = (
    frozenset(status for status in STATUSES if NEW in TRANSITIONS[status])
    - OPEN_STATUSES
    - {RESTRICTED}
)
LABELS = {
    NEW: "Waiting",
    IN_PROGRESS: "In progress",
    COMPLETED: "Completed",
    UNREACHABLE: "Unreachable",
    WITHDRAWN: "Withdrawn",
    SPAM: "Spam",
    EXPIRED: "Expired",
    RESTRICTED: "Restricted",
}


class TransitionRefused(ValueError):
    """A change of status the state machine does not allow."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"A request that is {current} cannot become {target}.")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> None:
    """Raise TransitionRefused unless `current` may become `target`."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise TransitionRefused(current, target)


def statuses_that_may_become(target: str) -> frozenset[str]:
    """Every status from which `target` is allowed."""
    return frozenset(status for status, targets in TRANSITIONS.items() if target in targets)
