"""The staff dashboard (routes arrive with the staff issue)."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
