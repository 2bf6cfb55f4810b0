"""The staff dashboard: signing in, the queue, and working requests."""

from flask import Blueprint

from intake.extensions import csrf

bp = Blueprint("staff", __name__, url_prefix="/staff")
csrf.exempt(bp)  # checked in the blueprint's own guard, after sign-in (see auth.py)

from intake.staff import account, auth, team, views  # noqa: E402,F401  (routes register on import)
