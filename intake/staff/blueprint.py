"""The staff blueprint, which auth, account, team and views add their routes to."""

from flask import Blueprint

from intake.extensions import csrf

bp = Blueprint("staff", __name__, url_prefix="/staff")
csrf.exempt(bp)  # checked in the blueprint's own guard, after sign-in (see auth.py)
