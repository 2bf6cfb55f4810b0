"""Friendly pages for every failure: a help-line number, never a stack trace.

The public blueprint adds its own handlers on top, so that the callback form
keeps what a visitor typed (see intake.public.views).
"""

import logging
import traceback

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, SQLAlchemyError, StatementError
from werkzeug.exceptions import BadRequest, HTTPException, SecurityError, TooManyRequests

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


class BadInput(BadRequest):
    """A request we cannot use, with words for whoever sent it (its description), which
    the 400 page shows: never the data asked for as if nothing had been asked."""


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(SecurityError, foreign_host)
    app.register_error_handler(CSRFError, form_expired)
    app.register_error_handler(TooManyRequests, too_many_requests)
    app.register_error_handler(SQLAlchemyError, database_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)


def error_page(status: int, message: str | None = None, headers: dict | None = None):
    title = TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400])
    page = render_template("errors/error.html", title=title, message=message, status=status)
    return page, status, headers or {}


def foreign_host(error: SecurityError):
    """A Host the app does not answer (TRUSTED_HOSTS). No page: our pages' links are
    built for our own address, and there is none in this request."""
    return Response("This site does not answer to that address.\n", 400, mimetype="text/plain")


def form_expired(error: CSRFError):
    return error_page(400, "This page had been open too long. Go back, reload it and try again.")


def too_many_requests(error: TooManyRequests):
    log.warning("rate limit reached on %s", request.endpoint)
    return error_page(429, "Please wait a minute and try again.", RETRY_SOON)


def refused_as_bad_input(error: SQLAlchemyError) -> bool:
    """The database, or its driver, refused a value it was sent (a NUL byte in text, a
    number or date out of range): the input was bad, and the database is fine."""
    if isinstance(error, DataError):
        return True
    return (
        isinstance(error, StatementError)
        and not isinstance(error, DBAPIError)
        and isinstance(error.orig, ValueError | OverflowError)
    )


def recover_from_database_error(error: SQLAlchemyError) -> None:
    """Roll back, so nothing is half-written, and say which it was: the database down,
    locked or refusing the write, or a value it refused (never the value: it is input)."""
    if refused_as_bad_input(error):
        log.warning("the database refused a value: %s", type(error.orig or error).__name__)
    else:
        log.error("database unavailable: %s", type(error).__name__)
    try:
        db.session.rollback()
    except DBAPIError:
        log.error("rollback failed as well")


def database_error(error: SQLAlchemyError):
    """A value the database refused is a bad request; anything else, the database is
    unavailable for now."""
    if refused_as_bad_input(error):
        recover_from_database_error(error)
        return error_page(400)
    return database_unavailable(error)


def database_unavailable(error: SQLAlchemyError):
    recover_from_database_error(error)
    return error_page(503, "Please try again in a minute.", RETRY_SOON)


def http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return error_page(error.code, error.description if isinstance(error, BadInput) else None)


def unexpected_error(error: Exception):
    """Log where it failed (type and frames), never the message: it may quote input."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("unexpected error: %s\n%s", type(error).__name__, frames)
    return error_page(500, "Please try again, or call us now.")
