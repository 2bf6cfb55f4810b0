"""The life of a callback request, written down once as data."""

NEW = "new"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
UNREACHABLE = "unreachable"
WITHDRAWN = "withdrawn"
SPAM = "spam"

# Every allowed change of status. "in_progress" may go back to "new" when a call
# goes unanswered or a hold is released: the request returns to the queue.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({IN_PROGRESS, WITHDRAWN, SPAM}),
    IN_PROGRESS: frozenset({NEW, COMPLETED, UNREACHABLE, WITHDRAWN, SPAM}),
    COMPLETED: frozenset(),
    UNREACHABLE: frozenset(),
    WITHDRAWN: frozenset(),
    SPAM: frozenset(),
}

STATUSES = tuple(TRANSITIONS)
LABELS = {
    NEW: "Waiting",
    IN_PROGRESS: "In progress",
    COMPLETED: "Completed",
    UNREACHABLE: "Unreachable",
    WITHDRAWN: "Withdrawn",
    SPAM: "Spam",
}
OPEN_STATUSES = frozenset(status for status, targets in TRANSITIONS.items() if targets)


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
