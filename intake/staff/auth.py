"""Signing staff in (password, then a TOTP code) and out; every staff route is guarded here.

After a supervisor's reset, the password step leads to choosing a new password
first, then to setting up a new authenticator: both done by the member alone.

Each sign-in leaves a device cookie naming the member and a random nonce, signed with
the app's secret key (nothing stored can forge one): failed guesses are counted per
account and client, and a browser showing a member's cookie is a client of its own,
held back by nobody else's guesses (intake.domain.sign_in_guesses).

The guard runs before every request to the blueprint, so a new route is
protected by default: only the sign-in steps are open.
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

import segno
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup

from intake.domain import second_factor, sign_in_guesses, staff_accounts, staff_sessions
from intake.domain.clock import utc_now
from intake.extensions import csrf, db, limiter, login_manager
from intake.models import StaffMember
from intake.service import current_service
from intake.staff.blueprint import bp
from intake.staff.drafts import KEEP_ENDPOINT, typed_draft
from intake.staff.forms import ActionForm, CodeForm, NewPasswordForm, SignInForm

PENDING_KEY = "staff_pending"
SESSION_KEY = "staff_session"
# After a session ends, its token (and the CSRF token of the pages it showed) stay in
# the cookie, so a call or note sent from a page left open is still kept for the member.
ENDED_KEY = "staff_session_ended"
CSRF_KEY = "csrf_token"
PENDING_LIMIT = timedelta(minutes=5)
OPEN_ENDPOINTS = frozenset(
    {"staff.sign_in", "staff.choose_password", "staff.sign_in_code", "staff.set_up_code"}
)
# Background requests the guard does not count as activity: polling must not keep an
# idle session alive. A hold renewal counts only once the view has renewed the hold.
PASSIVE_ENDPOINTS = frozenset(
    {"staff.queue_data", "staff.renew_hold", "staff.session_status", KEEP_ENDPOINT}
)
SIGN_IN_REFUSED = (
    "The email address or password is not right. After 5 failed attempts from one device "
    "or network, it must wait a minute before trying again, and longer after each further "
    "failure (up to 15 minutes)."
)
# The device cookie: HttpOnly, SameSite=Lax, Secure like the session cookie, sent only
# to the staff pages. A browser several members share keeps one entry for each.
DEVICE_COOKIE = "intake_device"
DEVICE_PATH = "/staff"
DEVICE_LIFETIME = timedelta(days=180)
DEVICES_PER_BROWSER = 10
DEVICE_SALT = "intake.staff.device"
SESSION_ENDED = {
    "idle": "You were signed out because you had not used the dashboard for a while.",
    "lifetime": "You were signed out because you had been signed in for a long time.",
}
DRAFT_KEPT = " What you were typing is kept: sign in again to find it, then save it."
SAVED_AFTER_SIGN_OUT = (
    "You had been signed out, so nothing was saved yet. What you sent is kept: sign in "
    "again to find it, then save it."
)
# The idle warning comes this long before the session would end (or at half the idle
# limit, if that is shorter).
WARN_BEFORE = timedelta(minutes=2)
CODE_REFUSED = "That code is not right, or it has been used already. Wait for a new code."
ISSUER = "Intake admissions"


@login_manager.user_loader
def load_staff(session_id: str) -> StaffMember | None:
    member_id, _, version = session_id.partition(":")
    if not member_id.isdigit():
        return None
    staff = db.session.get(StaffMember, int(member_id))
    if staff is None or not staff.active or str(staff.session_version) != version:
        return None
    if staff.password_change_required:
        return None  # a reset account reaches nothing until its member chooses a password
    return staff


@login_manager.unauthorized_handler
def not_signed_in():
    if request.endpoint in PASSIVE_ENDPOINTS:
        return jsonify(error="signed out", kept=g.get("draft_kept", False)), 401
    return redirect(url_for("staff.sign_in"))


@bp.before_request
def require_signed_in_staff():
    """Sign-in first, then CSRF (the blueprint is exempt from the app-wide check for
    this), so a signed-out request learns nothing but the way to the sign-in page."""
    if request.endpoint in OPEN_ENDPOINTS:
        csrf.protect()
        return None
    # First the session's row, which brings its member: Flask-Login's loader then finds
    # the member already loaded, so signing a page in costs one query, not two.
    row = staff_sessions.find(db.session, session.get(SESSION_KEY))
    if row is None:
        _keep_what_was_sent_after_the_end()
    if not current_user.is_authenticated:
        return not_signed_in()
    csrf.protect()
    service, now = current_service(), utc_now()
    if row is None or row.staff_id != current_user.id:
        _forget_session()
        return not_signed_in()
    reason = staff_sessions.why_ended(row, now, service.session_limits)
    if reason:
        draft = typed_draft()
        staff_sessions.end(db.session, row, reason, now, service.vault, draft)
        g.draft_kept = draft is not None
        _forget_session()
        flash(SESSION_ENDED[reason] + (DRAFT_KEPT if draft else ""))
        return not_signed_in()
    if request.endpoint not in PASSIVE_ENDPOINTS:
        staff_sessions.seen(db.session, row, now, service.session_limits)
    g.staff_session = row
    return None


def _keep_what_was_sent_after_the_end() -> None:
    """A form sent from a page whose session has ended: keep what was typed for the
    next sign-in, once the page's CSRF token shows it came from our own page."""
    draft = typed_draft()
    if draft is None:
        return
    try:
        csrf.protect()
    except CSRFError:
        return  # not sent from a page of ours: nothing is kept
    token = session.get(SESSION_KEY) or session.get(ENDED_KEY)
    service = current_service()
    if staff_sessions.keep_draft_after_end(db.session, service.vault, token, draft, utc_now()):
        g.draft_kept = True
        if request.endpoint != KEEP_ENDPOINT:
            flash(SAVED_AFTER_SIGN_OUT)


def supervisor_required(view):
    """Agents get 403 from supervisor routes (the blueprint guard has signed them in)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_supervisor:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _forget_session(ended: bool = True) -> None:
    """Sign the browser out. After a session ended under the member (not a sign-out),
    its token and CSRF token stay, so what an open page sends later is still kept."""
    token, csrf_token = session.get(SESSION_KEY), session.get(CSRF_KEY)
    logout_user()
    session.clear()
    if ended and token:
        session[ENDED_KEY] = token
        if csrf_token:
            session[CSRF_KEY] = csrf_token


def sign_in_rate_limit() -> str:
    return current_app.config["INTAKE_SIGN_IN_RATE_LIMIT"]


def sign_in_address_rate_limit() -> str:
    return current_app.config["INTAKE_SIGN_IN_ADDRESS_RATE_LIMIT"]


def account_at_address() -> str:
    """Sign-in steps count per account and address together, so a whole shift signing
    in behind one office address is not turned away; the address alone has its own,
    wider limit. The email is hashed: the limiter's store never holds it."""
    pending = session.get(PENDING_KEY) or {}
    account = str(pending.get("id") or request.form.get("email", "").strip().lower())
    digest = hashlib.sha256(account.encode()).hexdigest()[:16]
    return f"{get_remote_address()}/{digest}"


def _device_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=DEVICE_SALT)


def _remembered_devices() -> list[list]:
    """This browser's device cookie, as [member id, nonce, when given (Unix time)] for
    each member who signed in on it in the last DEVICE_LIFETIME; nothing if the cookie
    is missing, altered, or signed with another key."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return []
    try:
        entries = _device_signer().loads(value)
    except BadSignature:
        return []
    oldest = utc_now().timestamp() - DEVICE_LIFETIME.total_seconds()
    return [entry for entry in entries if entry[2] > oldest]


def _origin() -> sign_in_guesses.Origin:
    """Where this sign-in comes from: the address and the devices it shows."""
    devices = {member_id: nonce for member_id, nonce, _ in _remembered_devices()}
    # Keyed: a copy of the database cannot be searched for an address by trying each.
    address = current_service().vault.keyed_digest(f"address:{get_remote_address()}")
    return sign_in_guesses.Origin(address, devices)


def _remember_device(response: Response, staff: StaffMember) -> Response:
    """Both factors passed: this browser is one of the member's devices, with a new
    nonce, beside the colleagues who signed in on it lately."""
    entry = [staff.id, secrets.token_urlsafe(16), int(utc_now().timestamp())]
    others = [other for other in _remembered_devices() if other[0] != staff.id]
    response.set_cookie(
        DEVICE_COOKIE,
        _device_signer().dumps([entry, *others][:DEVICES_PER_BROWSER]),
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        path=DEVICE_PATH,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def sign_in_limits(view):
    """Both sign-in limits on a step's POST."""
    by_account = limiter.limit(sign_in_rate_limit, key_func=account_at_address, methods=["POST"])
    by_address = limiter.limit(sign_in_address_rate_limit, methods=["POST"])
    return by_address(by_account(view))


@bp.route("/sign-in", methods=["GET", "POST"])
@sign_in_limits
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("staff.dashboard"))
    form = SignInForm()
    if form.validate_on_submit():
        email, password = form.email.data, form.password.data
        staff = staff_accounts.check_password(db.session, email, password, _origin())
        if staff is not None:
            session.clear()
            session[PENDING_KEY] = {
                "id": staff.id,
                "version": staff.session_version,
                "at": utc_now().timestamp(),
            }
            return redirect(url_for(_step_for(staff)), code=303)
        form.email.errors.append(SIGN_IN_REFUSED)
    return render_template("staff/sign_in.html", form=form)


def _pending_staff() -> StaffMember | None:
    """The member who gave the right password a moment ago, before their code."""
    pending = session.get(PENDING_KEY)
    if not pending or utc_now().timestamp() - pending["at"] > PENDING_LIMIT.total_seconds():
        return None
    staff = db.session.get(StaffMember, pending["id"])
    if staff is None or not staff.active or staff.session_version != pending["version"]:
        return None
    return staff


def _step_for(staff: StaffMember) -> str:
    """The step after the password: a new password after a reset, then the code."""
    if staff.password_change_required:
        return "staff.choose_password"
    return "staff.sign_in_code" if staff.totp_enrolled_at else "staff.set_up_code"


def pending_step(view: Callable) -> Callable:
    """A step after the password: only for the member who gave it, and only the step
    they are at (no setting up a code before choosing a password)."""

    @wraps(view)
    def wrapper():
        staff = _pending_staff()
        if staff is None:
            return redirect(url_for("staff.sign_in"))
        if _step_for(staff) != request.endpoint:
            return redirect(url_for(_step_for(staff)))
        return view(staff)

    return wrapper


@bp.route("/sign-in/new-password", methods=["GET", "POST"])
@sign_in_limits
@pending_step
def choose_password(staff: StaffMember):
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            staff_accounts.choose_new_password(db.session, staff, form.new_password.data)
        except staff_accounts.AccountError as error:
            form.new_password.errors.append(str(error))
        else:
            return redirect(url_for(_step_for(staff)), code=303)
    return render_template("staff/new_password.html", form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@sign_in_limits
@pending_step
def sign_in_code(staff: StaffMember):
    return _second_factor(staff, enrolment=None)


@bp.route("/sign-in/set-up-code", methods=["GET", "POST"])
@sign_in_limits
@pending_step
def set_up_code(staff: StaffMember):
    enrolment = second_factor.start_enrolment(db.session, current_service().vault, staff, ISSUER)
    return _second_factor(staff, enrolment)


def _second_factor(staff: StaffMember, enrolment: second_factor.Enrolment | None):
    form = CodeForm()
    if form.validate_on_submit():
        client, vault = _origin().client_for(staff), current_service().vault
        if second_factor.check_code(db.session, vault, staff, form.code.data, client):
            staff_accounts.complete_sign_in(db.session, staff, client=client)
            token = staff_sessions.start(db.session, staff, utc_now())
            session.clear()
            login_user(staff)
            session[SESSION_KEY] = token
            return _remember_device(redirect(_after_sign_in(staff, token), code=303), staff)
        form.code.errors.append(CODE_REFUSED)
    qr_code = None
    if enrolment:
        svg = segno.make(enrolment.uri, error="m").svg_inline(scale=5, title="QR code")
        qr_code = Markup(svg)  # noqa: S704  (drawn by segno from our own URI)
    return render_template("staff/code.html", form=form, enrolment=enrolment, qr_code=qr_code)


def _after_sign_in(staff: StaffMember, token: str) -> str:
    """Back to the request whose typed call was kept, or to the queue."""
    row = staff_sessions.find(db.session, token)
    reference = staff_sessions.pending_draft_reference(current_service().vault, row)
    if reference:
        return url_for("staff.request_page", reference=reference)
    return url_for("staff.dashboard")


@bp.get("/session")
def session_status():
    """How long this sign-in has left, for the pages' idle warning. Asking is not
    activity."""
    return _time_left()


@bp.post("/session/stay")
def stay_signed_in():
    """The warning's "Stay signed in": the guard has counted it as activity."""
    return _time_left()


def _time_left():
    return jsonify(session_timing(g.staff_session))


@bp.context_processor
def page_session_timing() -> dict:
    """Every signed-in page knows when its session would end, for the idle warning."""
    row = g.get("staff_session")
    return {"session_timing": session_timing(row) if row else None}


def session_timing(row) -> dict:
    service = current_service()
    left, ends = staff_sessions.time_left(row, utc_now(), service.session_limits)
    warn = min(WARN_BEFORE, service.idle_limit / 2)
    return {
        "seconds_left": int(left.total_seconds()),
        "ends": ends,
        "warn_seconds": int(warn.total_seconds()),
    }


@bp.post("/drafts")
def keep_draft():
    """Where a page's script sends what a form holds once the session has ended; the
    guard keeps it. A session still going keeps nothing: the page should carry on."""
    return jsonify(kept=False, signed_in=True), 409


@bp.post("/sign-out")
def sign_out():
    if ActionForm().validate_on_submit():
        released = staff_accounts.sign_out(db.session, current_user)
        _forget_session(ended=False)
        back = f" The {released} request{'s' * (released != 1)} you held went back in the queue."
        flash("You have signed out." + (back if released else ""), "success")
    return redirect(url_for("staff.sign_in"), code=303)
