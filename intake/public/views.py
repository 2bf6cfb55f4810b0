"""The public site: the guide, the privacy page and the callback request."""

from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import TooManyRequests

from intake import errors
from intake.app_state import app_state
from intake.caching import declare
from intake.domain import estimate
from intake.domain.callbacks import show_confirmation, submit_callback, withdraw_callback
from intake.domain.clock import utc_now
from intake.extensions import db, limiter
from intake.observability import SUBMISSIONS
from intake.pages import MOVED_GUIDE_PAGES, SERVICE_PAGES
from intake.public import form_page, submission_token
from intake.public.forms import CallbackForm, WithdrawForm
from intake.security import same_for_everyone
from intake.service import current_service
from intake.templating import public_url

bp = Blueprint("public", __name__)

RECEIPT_KEY = "receipt"
WITHDRAWN_KEY = "withdrawn"


def render_same_for_everyone(template: str, **context) -> str:
    """Render a page that holds nothing personal. The guide, home and privacy pages carry
    no form, session or visitor data, and their links come from configuration (never the
    Host asked for): after its first answer, each is answered from memory before Flask
    (intake.prepared_pages)."""
    return render_template(template, **context)


@bp.get("/")
@same_for_everyone
def home():
    return render_same_for_everyone("public/home.html", page=current_service().pages.home)


@bp.get("/guide/")
@same_for_everyone
def guide_contents():
    pages = current_service().pages.guide
    return render_same_for_everyone("public/guide_contents.html", pages=pages)


@bp.get("/guide/<slug>")
@same_for_everyone
def guide_page(slug: str):
    pages = current_service().pages
    page = pages.guide_page(slug)
    if page is None:
        return moved_guide_page(slug)
    previous, following = pages.neighbours(page)
    return render_same_for_everyone(
        "public/guide_page.html", page=page, previous=previous, following=following
    )


def moved_guide_page(slug: str):
    """Old guide addresses lead, permanently, to where their words are now."""
    moved_to = MOVED_GUIDE_PAGES.get(slug) or abort(404)
    target, _, section = moved_to.partition("#")
    return redirect(url_for(".guide_page", slug=target, _anchor=section or None), code=301)


@bp.get(f"/<any({', '.join(map(repr, SERVICE_PAGES))}):slug>")
@same_for_everyone
def service_page(slug: str):
    """About this service, accessibility, cookies, complaints, privacy, leaving quickly."""
    page = current_service().pages.service[slug]
    return render_same_for_everyone("public/service_page.html", page=page)


@bp.get("/robots.txt")
@same_for_everyone
def robots_txt():
    """Crawlers may read the guide; staff pages and confirmations are not for them."""
    lines = ["User-agent: *", "Disallow: /staff/", "Disallow: /callback/"]
    lines.append(f"Sitemap: {public_url('/sitemap.xml')}")
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/sitemap.xml")
@same_for_everyone
def sitemap_xml():
    pages = current_service().pages
    page = render_template("public/sitemap.xml", guide=pages.guide, service=pages.service)
    return Response(page, mimetype="application/xml")


ASAP_ESTIMATE = declare(
    "public.asap_estimate",
    holds='the form\'s "we aim to call within N minutes", by minute',
    size=4,
    lifetime=timedelta(minutes=1),
    cleared_by="time: each minute asks the queue again",
    earns="a miss asks the queue: about 1 ms, on every form and confirmation page (bench.caches)",
)


def asap_minutes(now: datetime) -> int:
    """The "we aim to call within N minutes" of the form and confirmation, reused by this
    worker for a minute. If the database cannot answer, the target: the form must show
    whatever the queue does."""
    target = current_service().policy.target

    def from_the_queue() -> int:
        try:
            return estimate.asap_minutes(db.session, now, target)
        except SQLAlchemyError:
            db.session.rollback()
            return estimate.rounded_minutes(target)

    minute = now.replace(second=0, microsecond=0)
    return app_state().store(ASAP_ESTIMATE).get(minute, from_the_queue)


def callback_form(now: datetime | None = None) -> CallbackForm:
    """The form, bound to what was posted (if anything), for this moment."""
    service = current_service()
    now = now or utc_now()
    return CallbackForm(
        now=now, zone=service.zone, region=service.country.code, asap_minutes=asap_minutes(now)
    )


def source_page() -> str:
    """The guide page the visitor came from (`?from=`), if it is one of ours."""
    source = request.args.get("from", "")
    return source if source in current_service().pages.guide_slugs else ""


def blank_callback_form() -> str:
    """The form before anything is typed: shared by everyone in this minute who came
    from the same page, with their own tokens put in (see intake.public.form_page)."""
    now = utc_now()
    source = source_page()
    tokens = {"csrf": generate_csrf(), "submission": submission_token.new_token()}
    key = (source, now.replace(second=0, microsecond=0))
    pages = app_state().store(form_page.BLANK_FORM_PAGES)
    shared = pages.get(key, lambda: shared_blank_form(source, now))
    return form_page.with_tokens(shared, tokens)


def shared_blank_form(source: str, now: datetime) -> str:
    """The blank form with slots where each visitor's tokens go, and nothing else of
    any visitor's (tests/test_callback_form.py renders it for two and compares)."""
    form = callback_form(now=now)
    form.source_page.data = source
    page, _ = render_callback_form(form, tokens=form_page.SLOTS)
    return form_page.shared(page)


def keeps_its_token(form: CallbackForm) -> bool:
    """Whether the form sent carries a submission token given to this visitor in the
    last two hours. If not, it gets a new one, so the form shown again works, and
    nothing of a request the old token may have made is shown (intake.public.
    submission_token). A token kept is what makes sending the form again harmless."""
    if submission_token.is_this_visitors(form.submission_token.data):
        return True
    form.submission_token.data = submission_token.new_token()
    return False


def render_callback_form(
    form: CallbackForm,
    notice: str | None = None,
    status: int = 200,
    tokens: dict[str, str] | None = None,
):
    """The form page: shared by the view and the error handlers that must keep typed
    values. The template writes the visitor's own tokens where `tokens` says: theirs,
    or the slots of the shared blank form."""
    tokens = tokens or {"csrf": generate_csrf(), "submission": form.submission_token.data or ""}
    page = render_template("public/callback.html", form=form, notice=notice, visitor_tokens=tokens)
    return page, status


def callback_rate_limit() -> str:
    return current_app.config["INTAKE_CALLBACK_RATE_LIMIT"]


@bp.route("/callback", methods=["GET", "POST"])
@limiter.limit(callback_rate_limit, methods=["POST"])
def callback():
    if request.method != "POST":
        return blank_callback_form()
    form = callback_form()
    valid = form.validate_on_submit()
    if not keeps_its_token(form):
        return render_callback_form(form, notice=SEND_AGAIN_NOTICE, status=400)
    if not valid:
        return render_callback_form(form, status=400 if form.errors else 200)
    service = current_service()
    receipt = submit_callback(
        db.session,
        service.vault,
        form.answers(service.pages.guide_slugs),
        form.submission_token.data,
        service.policy,
        aim=timedelta(minutes=form.asap_minutes),
    )
    SUBMISSIONS.labels("repeat" if receipt.repeated else "stored").inc()
    if receipt.token is None:  # sent again after its confirmation was shown
        session.pop(RECEIPT_KEY, None)
    else:
        session[RECEIPT_KEY] = receipt.token
    return redirect(url_for(".callback_received"), code=303)


@bp.get("/callback/received")
def callback_received():
    """Shows the request's details once, to one browser; later, from history on a shared
    device or with a copied cookie, the page says nothing personal."""
    token = session.pop(RECEIPT_KEY, None)
    details = None
    if isinstance(token, str):
        details = show_confirmation(db.session, current_service().vault, token)
    withdraw_form = None
    if details and details.withdraw_secret:
        withdraw_form = WithdrawForm(secret=details.withdraw_secret)
    aim, aim_at = None, None
    if details and details.created_at:  # the same aim the form showed a moment ago
        aim = asap_minutes(utc_now())
        aim_at = details.created_at + timedelta(minutes=aim)
    return render_template(
        "public/callback_received.html",
        details=details,
        withdraw_form=withdraw_form,
        aim_minutes=aim,
        aim_at=aim_at,
    )


@bp.post("/callback/withdraw")
def callback_withdraw():
    form = WithdrawForm()
    reference = withdraw_callback(db.session, form.secret.data) if form.validate() else None
    if reference is None:
        return render_template("public/withdraw_failed.html"), 400
    session[WITHDRAWN_KEY] = reference
    return redirect(url_for(".callback_withdrawn"), code=303)


@bp.get("/callback/withdrawn")
def callback_withdrawn():
    return render_template("public/withdrawn.html", reference=session.pop(WITHDRAWN_KEY, None))


EXPIRED_NOTICE = (
    "For your safety, this form stops working after a while. "
    "Your answers are still here: check them and send the form again."
)
# The same words whether the form was opened in another browser or too long ago: they
# say nothing of a request the form may already have made.
SEND_AGAIN_NOTICE = (
    f"For your safety, this form works for {submission_token.LIFETIME_WORDS}, and only in "
    "the browser where it was opened. Your answers are still here: check them and send "
    "the form again. If we already gave you a reference for this request, you do not "
    "need to send it again."
)
LIMITED_NOTICE = (
    "The form has been sent many times from here in a short time. "
    "Your answers are still here: please wait a few minutes and send it again, "
    "or call us now."
)
REFUSED_NOTICE = (
    "We could not save your request as it was sent. Your answers are still here: "
    "check them and send the form again, or call us now."
)
UNAVAILABLE_NOTICE = (
    "We could not save your request just now. Your answers are still here: "
    "please send the form again in a minute (it will never make a second request), "
    "or call us now."
)


def _posting_callback() -> bool:
    return request.endpoint == "public.callback" and request.method == "POST"


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    if not _posting_callback():
        return errors.form_expired(error)
    return render_callback_form(form_sent_back(), notice=EXPIRED_NOTICE, status=400)


@bp.errorhandler(TooManyRequests)
def too_many_requests(error: TooManyRequests):
    if not _posting_callback():
        return errors.too_many_requests(error)
    page, status = render_callback_form(form_sent_back(), notice=LIMITED_NOTICE, status=429)
    return page, status, errors.RETRY_SOON


@bp.errorhandler(SQLAlchemyError)
def database_error(error: SQLAlchemyError):
    if not _posting_callback():
        return errors.database_error(error)
    errors.recover_from_database_error(error)
    if errors.refused_as_bad_input(error):
        return render_callback_form(form_sent_back(), notice=REFUSED_NOTICE, status=400)
    page, status = render_callback_form(form_sent_back(), notice=UNAVAILABLE_NOTICE, status=503)
    return page, status, errors.RETRY_SOON


def form_sent_back() -> CallbackForm:
    """The form as it was sent, shown again: with its token if it was this visitor's
    (sending it again stays harmless), else a new one."""
    form = callback_form()
    keeps_its_token(form)
    return form
