"""Audit entries in words a supervisor can read: "Changed the status from waiting to
completed", never "to: completed"."""

from intake.domain import audit, calls, reports, states, supervision


def _status(value: str) -> str:
    return states.LABELS.get(value, value).lower()


# Lines whose "reason" the service itself wrote ("wrong password", "idle"): shown as is.
SYSTEM_REASONS = frozenset(
    {
        audit.SIGN_IN_FAILED,
        audit.SECOND_FACTOR_FAILED,
        audit.PASSWORD_CHANGE_FAILED,
        audit.SESSION_EXPIRED,
    }
)
RELEASED_BECAUSE = {
    "signed_out": "because its holder signed out",
    "disabled": "because its holder's account was disabled",
}


def detail_words(event, names: dict[int, str]) -> str:
    """What an entry's detail says, in a sentence (empty when it says nothing more)."""
    detail = event.detail or {}
    parts = []
    if "from" in detail and "to" in detail:
        parts.append(f"from {_status(detail['from'])} to {_status(detail['to'])}")
    if "outcome" in detail:
        outcome = calls.OUTCOMES.get(detail["outcome"], detail["outcome"])
        result = calls.RESULTS.get(detail.get("result") or "")
        parts.append(outcome + (f": {result}" if result else ""))
    if detail.get("late"):
        parts.append("saved late, after the hold had moved on")
    if "given_to" in detail:
        parts.append(f"given to {names.get(detail['given_to'], 'a former colleague')}")
    if "member" in detail:
        parts.append(f"for {names.get(detail['member'], 'a former colleague')}")
    if "because" in detail:
        parts.append(RELEASED_BECAUSE.get(detail["because"], detail["because"]))
    if "why" in detail:
        parts.append(supervision.WHY.get(detail["why"], detail["why"]).lower())
    if "decision" in detail:
        parts.append(supervision.DECISIONS.get(detail["decision"], detail["decision"]).lower())
    if detail.get("override"):
        parts.append("before the retry time")
    if detail.get(audit.REASON_GIVEN):
        # The words are sealed with the request (and erased with it), not in the trail.
        parts.append("with a reason, kept on the request's page")
    if event.action in SYSTEM_REASONS and "reason" in detail:
        parts.append(detail["reason"])
    if "requests" in detail:
        parts.append(f"{detail['requests']} requests")
    if "entries" in detail:
        parts.append(f"{detail['entries']} entries")
    if "wallboard" in detail:
        parts.append(f"“{detail.get('name', '')}” (wallboard {detail['wallboard']})")
    if "export" in detail:
        export = reports.EXPORTS.get(detail["export"], detail["export"])
        parts.append(f"{export}, {detail.get('start')} to {detail.get('end')}")
    return "; ".join(parts)
