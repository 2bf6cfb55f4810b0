"""The wallboard's screen and the numbers its script fetches (issue 14).

No staff sign-in is asked for or used here: the pairing cookie (cookie.py) is the
only key, and without a valid, unrevoked one both routes answer 403 with nothing but
"this screen is not a wallboard", and clear the cookie. What they show is counts and
times only, never a reference, a name or a number, so the screen may stay on all day.

- `/wallboard` is the page: large numbers for across a room. Its script
  (static/wallboard.js) fetches `/wallboard/data.json` every 15 seconds; without
  JavaScript a `<noscript>` meta refresh reloads the page every 30 seconds.
- `/wallboard/data.json` sits under /wallboard because the cookie is sent only to
  that path and below it (a cookie's path `/wallboard` does not cover
  `/wallboard.json`).

Neither route is rate limited: the limiter skips every GET (intake.extensions), so
refreshing screens are never turned away. Every answer is `no-store`, the default in
intake.security. Views are audited at most once an hour (intake.domain.wallboards).
"""

from dataclasses import asdict
from datetime import timedelta

from flask import Blueprint, jsonify, make_response, render_template

from intake.app_state import app_state
from intake.domain import wallboards
from intake.domain.clock import utc_now
from intake.extensions import db
from intake.service import current_service
from intake.templating import local_time
from intake.wallboard import cookie

bp = Blueprint("wallboard", __name__)
NO_JAVASCRIPT_REFRESH_SECONDS = 30


@bp.get("/wallboard")
def screen():
    return _answer(
        lambda figures: render_template(
            "wallboard/screen.html",
            figures=figures,
            poll_seconds=current_service().wallboard_poll_seconds,
            refresh_seconds=NO_JAVASCRIPT_REFRESH_SECONDS,
            page_version=page_version(),
        ),
        refused=lambda: render_template("wallboard/not_a_wallboard.html"),
    )


@bp.get("/wallboard/data.json")
def data():
    """The same figures as the page, for its script; 403 once it is not a wallboard
    (the script then reloads, to show the page saying so)."""
    return _answer(
        lambda figures: jsonify(**figures, page_version=page_version()),
        refused=lambda: jsonify(error="This screen is not a wallboard."),
    )


def _answer(show, refused):
    token = cookie.token()
    wallboard = wallboards.find(db.session, token)
    if wallboard is None:
        response = make_response(refused(), 403)
        return cookie.unpair(response) if token is not None else response
    now = utc_now()
    audited = wallboards.viewed(db.session, wallboard, now)
    counts = app_state().team_counts.at(db.engine, now, _zone())
    response = make_response(show(figures(wallboards.numbers(db.session, counts, now))))
    if audited:
        cookie.pair(response, token)  # renewed hourly: a screen in use keeps its cookie
    return response


def figures(numbers: wallboards.Numbers) -> dict:
    """What the page and the JSON both show, made once, so they cannot disagree."""
    return {
        "numbers": {
            **asdict(numbers.counts),
            "staff_active": numbers.staff_active,
            "needs_supervisor": numbers.needs_supervisor,
        },
        "oldest_wait": {
            "seconds": int(numbers.oldest_wait.total_seconds()),
            "text": wait_words(numbers.oldest_wait),
        },
        "updated": {"at": numbers.at.isoformat(timespec="seconds"), "text": local_time(numbers.at)},
    }


def wait_words(wait: timedelta) -> str:
    """'None', 'Under 1 min', '12 min' or '1 h 5 min': short enough to read across a
    room (the JSON gives the seconds too)."""
    if wait <= timedelta(0):
        return "None"
    minutes = int(wait.total_seconds() // 60)
    if minutes < 1:
        return "Under 1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def page_version() -> str:
    """Changes when the page's stylesheet or script does: a screen left on for weeks
    reloads itself after a release, and only when the server has just answered."""
    fingerprinted = app_state().assets.fingerprinted
    return "+".join(fingerprinted[name] for name in ("intake.css", "wallboard.js"))


def _zone():
    return current_service().zone
