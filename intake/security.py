"""Security headers on every response, and no-store for pages with personal data."""

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


def register_security_headers(app: Flask) -> None:
    production = app.config["INTAKE_ENV"] == "production"

    headers = {**HEADERS, **({"Strict-Transport-Security": HSTS} if production else {})}

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.update(headers)
        return response


def no_store(view: Callable) -> Callable:
    """Keep the page out of every cache, the browser's history cache included."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapper
