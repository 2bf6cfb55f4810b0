"""The staff blueprint, which auth, account, team and views add their routes to."""

from flask import Blueprint, abort

from intake.app_state import app_state
from intake.domain import cache_generation
from intake.domain.clock import utc_now
from intake.domain.references import PATTERN
from intake.extensions import csrf, db

bp = Blueprint("staff", __name__, url_prefix="/staff")
csrf.exempt(bp)  # checked in the blueprint's own guard, after sign-in (see auth.py)


@bp.url_value_preprocessor
def only_a_reference_we_could_have_made(endpoint: str | None, values: dict | None) -> None:
    """`/staff/requests/<reference>/…`: anything but a reference's shape (K7QM-4Z2P) names
    no request, so it is not found before any view or query: a NUL byte or the like
    never reaches the database, whose refusal would read as an outage."""
    reference = (values or {}).get("reference")
    if reference is not None and not PATTERN.fullmatch(reference):
        abort(404)


@bp.before_request
def drop_answers_another_worker_erased() -> None:
    """What this worker keeps of the visitors' answers goes once any worker has erased,
    corrected, purged or re-sealed personal data (intake.domain.cache_generation)."""
    app_state().drop_personal_if_stale(lambda: cache_generation.current(db.session), utc_now())
