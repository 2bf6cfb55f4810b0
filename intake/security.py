"""Security headers on every response, and no caching unless a response opts in.

`Cache-Control: no-store` is the default, so a page that echoes personal data (a
form sent back after an error, a staff page, the queue's JSON) can never be kept
by a browser or a proxy, whichever code path made it. Only fingerprinted assets and
the public pages that are the same for everyone say otherwise.
"""

from collections.abc import Callable
from functools import wraps

from flask import Flask, Response, make_response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
HSTS = "max-age=63072000; includeSubDomains"
NO_STORE = "no-store"
# Public pages hold nothing personal: browsers and proxies may keep them a few minutes.
SAME_FOR_EVERYONE = "public, max-age=300"


def register_security_headers(app: Flask) -> None:
    production = app.config["INTAKE_ENV"] == "production"

    headers = {**HEADERS, **({"Strict-Transport-Security": HSTS} if production else {})}

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.update(headers)
        response.headers.setdefault("Cache-Control", NO_STORE)
        return response


def same_for_everyone(view: Callable) -> Callable:
    """Let caches keep this page: it must carry no form, session or visitor data."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = SAME_FOR_EVERYONE
        return response

    return wrapper
