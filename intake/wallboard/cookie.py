"""The cookie that pairs a screen's browser with its wallboard.

Set by the staff side when a supervisor makes their browser a wallboard
(intake.staff.team), read and renewed by the wallboard's pages (views.py); it is the
only key a wallboard has. It is a cookie rather than a token in the address because
access logs record paths, and an address leaks through history, bookmarks and a
photo of the screen.

HttpOnly (no script reads it), SameSite=Strict (no other site's page can make the
screen's browser send it), Secure in production like the session cookie, and sent
only to /wallboard and the paths below it. Browsers keep a cookie at most 400 days,
so the screen renews it whenever a view is audited (hourly): one in use never
loses it.
"""

from datetime import timedelta

from flask import Response, current_app, request

NAME = "intake_wallboard"
PATH = "/wallboard"
MAX_AGE = timedelta(days=400)


def token() -> str | None:
    """The token this browser holds, if any."""
    return request.cookies.get(NAME)


def pair(response: Response, token: str) -> Response:
    response.set_cookie(
        NAME,
        token,
        max_age=int(MAX_AGE.total_seconds()),
        path=PATH,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )
    return response


def unpair(response: Response) -> Response:
    """Clear the cookie: a revoked or unknown token is not kept."""
    response.delete_cookie(
        NAME,
        path=PATH,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )
    return response
