from flask import Blueprint

bp = Blueprint("public", __name__)

from intake.public import views  # noqa: E402,F401  (routes register on import)
