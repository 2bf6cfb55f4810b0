"""The callback form's submission token: a resend is harmless, for its own visitor only.

The token makes a double click, a refresh or a retry after a dropped answer store one
request and reach the same confirmation (intake.domain.callbacks.submit_callback).
Whoever sends it again reaches that confirmation, so it works only in the browser
session it was given to, and for two hours. A token copied from a shared or watched
device, or sent from a form left open too long, gets the form back with the answers
just sent and a new token: nothing of any request the old one made, not even
whether there was one.

A token is a random value signed, with the time it was made, by the app's secret key
and a random key kept in the visitor's session (itsdangerous, the session's key in
the signer's salt). Checking it needs no database: a foreign or expired token never
reaches one.
"""

import secrets
from datetime import timedelta

from flask import current_app, session
from itsdangerous import BadSignature, TimestampSigner

LIFETIME = timedelta(hours=2)
LIFETIME_WORDS = "2 hours"  # as the form says it when a token has run out
SESSION_KEY = "submission_key"


def _signer(session_key: str) -> TimestampSigner:
    return TimestampSigner(current_app.secret_key, salt=f"callback-submission.{session_key}")


def new_token() -> str:
    """A token for a form shown to this visitor now (their session gets its key)."""
    key = session.get(SESSION_KEY)
    if not isinstance(key, str):
        key = session[SESSION_KEY] = secrets.token_urlsafe(16)
    return _signer(key).sign(secrets.token_urlsafe(24)).decode()


def is_this_visitors(token: object) -> bool:
    """Given to this session, in the last two hours (and never a made-up one)."""
    key = session.get(SESSION_KEY)
    if not isinstance(key, str) or not isinstance(token, str) or not token.isascii():
        return False
    try:
        _signer(key).unsign(token, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:  # SignatureExpired included
        return False
    return True
