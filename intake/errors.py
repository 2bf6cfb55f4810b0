"""Friendly pages for every failure: a help-line number, never a stack trace.

The public blueprint adds its own handlers on top, so that the callback form
keeps what a visitor typed (see intake.public.views).
"""

import logging
import traceback

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, TooManyRequests

from intake.extensions import db

log = logging.getLogger(__name__)

RETRY_SOON = {"Retry-After": "60"}

TITLES = {
    400: "Something went wrong with that request",
    403: "You cannot see this page",
    404: "Page not found",
    405: "That did not work",
    413: "That was too much to send",
    429: "Please wait a moment",
    500: "Sorry, something went wrong on our side",
    503: "Sorry, the service is busy",
}


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(TooManyRequests, too_many_requests)
    app.register_error_handler(SQLAlchemyError, database_unavailable)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def error_page(status: int, message: str | None = None, headers: dict | None = None):
    title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    page = render_template("errors/error.html", title=title, message=message, status=status)
    return page, status, headers or {}


def form_expired(error: CSRFError):
    return error_page(400, "This page had been open too long. Go back, reload it and try again.")


def too_many_requests(error: TooManyRequests):
    log.warning("rate limit reached on %s", request.endpoint)
    return error_page(429, "Please wait a minute and try again.", RETRY_SOON)


def recover_from_database_error(error: SQLAlchemyError) -> None:
    """The database is down, locked or refused the write: roll back, so nothing is half-written."""
    log.error("database unavailable: %s", type(error).__name__)
    try:
        db.session.rollback()
    except DBAPIError:
        log.error("rollback failed as well")


def database_unavailable(error: SQLAlchemyError):
    recover_from_database_error(error)
    return error_page(503, "Please try again in a minute.", RETRY_SOON)


def http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return error_page(error.code)


def unexpected_error(error: Exception):
    """Log where it failed (type and frames), never the message: it may quote input."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("unexpected error: %s\n%s", type(error).__name__, frames)
    return error_page(500, "Please try again, or call us now.")
