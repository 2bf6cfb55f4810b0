"""Friendly pages for every failure: a help-line number, never a stack trace.

The public blueprint adds its own handlers on top, so that the callback form
keeps what a visitor typed (see intake.public.views).
"""

import logging
import re
import traceback

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.engine import URL
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException, SecurityError, TooManyRequests

from intake.extensions import db

log = logging.getLogger(__name__)

RETRY_SOON = {"Retry-After": "60"}
# libpq says where each connection attempt went and why it failed: 'connection to server
# at "127.0.0.1", port 5432 failed: FATAL:  password authentication failed for user ...'.
CONNECTION_ATTEMPT = re.compile(
    r'connection to server (?:at "(?P<host>[^"]*)"(?: \([^)]*\))?, port (?P<port>\d+)'
    r'|on socket "(?P<socket>[^"]*)") failed: (?:(?:FATAL|ERROR): +)?(?P<reason>[^\n]*)'
)
# No driver is known to quote them; should one ever, they go no further.
CREDENTIALS = re.compile(r"(?i)(://[^/:@\s]*:)[^@\s]*@|(password\s*=\s*)\S+")

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


def database_problem(error: SQLAlchemyError, url: URL | None = None) -> str:
    """What went wrong with the database, and where (`url`'s host and port, socket or
    file, unless the driver names the address it tried): "connection refused
    (127.0.0.1:5432)". The driver's own reason when the connection or the server failed
    (refused, a wrong user or password, a timeout, a lock); for any other error only its
    kind and SQLSTATE, as its words may quote a value. Never a password, a URL, a value
    or a parameter."""
    driver_error = getattr(error, "orig", None)
    if isinstance(error, OperationalError | InterfaceError) and driver_error is not None:
        said = str(driver_error)
        attempts = dict.fromkeys(map(_attempt, CONNECTION_ATTEMPT.finditer(said)))
        if attempts:
            return _without_credentials("; ".join(attempts), url)
        diagnosis = getattr(driver_error, "diag", None)
        said = getattr(diagnosis, "message_primary", None) or said
        reason = _reason(said) or type(driver_error).__name__
    elif isinstance(error, PoolTimeout):
        reason = "no connection free in the pool"
    else:
        reason = type(driver_error or error).__name__
        if code := getattr(driver_error, "sqlstate", None):
            reason += f" (SQLSTATE {code})"
    where = _where(url)
    return _without_credentials(f"{reason} ({where})" if where else reason, url)


def _attempt(found: re.Match) -> str:
    where = found["socket"] or _address(found["host"], found["port"])
    return f"{_reason(found['reason'])} ({where})"


def _reason(said: str) -> str:
    """The first line of what the driver said, starting in lower case."""
    first = said.strip().split("\n", 1)[0].strip().removeprefix("connection failed: ")
    return first[:1].lower() + first[1:300]


def _address(host: str, port: str | int | None) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _where(url: URL | None) -> str | None:
    """The database's host and port, socket folder or file: never the whole URL."""
    if url is None:
        return None
    if url.get_backend_name() == "sqlite":
        return url.database or "memory"
    host = url.host or url.query.get("host")
    if isinstance(host, tuple):
        host = ",".join(host)
    return _address(host or "local socket", url.port or 5432)


def _without_credentials(said: str, url: URL | None) -> str:
    said = CREDENTIALS.sub(
        lambda found: f"{found[1]}[hidden]@" if found[1] else f"{found[2]}[hidden]", said
    )
    if url is not None and url.password:
        said = said.replace(str(url.password), "[hidden]")
    return said


def recover_from_database_error(error: SQLAlchemyError) -> None:
    """Roll back, so nothing is half-written, and say which it was: the database down,
    locked or refusing the write, with where and why, or a value it refused (never the
    value: it is input)."""
    url = db.engine.url
    if refused_as_bad_input(error):
        log.warning("the database refused a value: %s", type(error.orig or error).__name__)
    else:
        log.error("database unavailable: %s", database_problem(error, url))
    try:
        db.session.rollback()
    except DBAPIError as failed:
        log.error("rollback failed as well: %s", database_problem(failed, url))


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
