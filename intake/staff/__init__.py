"""The staff dashboard: signing in, the queue, and working requests."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from intake.staff import auth, team, views  # noqa: E402,F401  (routes register on import)
