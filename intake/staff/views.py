"""The queue and the request page: thin views over intake.domain.queue and calls."""

from datetime import datetime, time, timedelta

from flask import (
    abort,
    flash,
    g,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import MultiDict

from intake import errors
from intake.app_state import app_state
from intake.caching import Kept
from intake.domain import (
    calls,
    closing,
    handover,
    queue,
    staff_accounts,
    staff_sessions,
    states,
    supervision,
)
from intake.domain.clock import utc_now
from intake.domain.phones import InvalidPhone, parse_phone
from intake.domain.references import normalise_reference
from intake.extensions import db
from intake.formtools import DAYS_WE_TAKE, day_we_take, options
from intake.models import CallbackRequest, StaffMember
from intake.observability import CALL_OUTCOMES
from intake.service import current_service
from intake.staff.auth import supervisor_required
from intake.staff.blueprint import bp
from intake.staff.drafts import restored_forms
from intake.staff.forms import (
    ActionForm,
    AttemptForm,
    CalledUsForm,
    CloseForm,
    DecideForm,
    HandoverForm,
    NoteForm,
    ReassignForm,
    ReopenForm,
    SearchForm,
    TakeForm,
    rights_forms,
)
from intake.staff.presenters import (
    ROW_ANSWERS,
    QueueRow,
    RowAnswers,
    answer_rows,
    contact_instructions,
    hold_ended_words,
    holder_name,
    queue_row,
    request_flags,
    row_answers,
    shown_answers,
)
from intake.templating import local_day_and_time

FILTERS = (
    "state",
    "show",
    "urgent",
    "mine",
    "unassigned",
    "closed_as",
    "closed_since",
    "closed_until",
)
CLOSED_AS = {
    status: label for status, label in states.LABELS.items() if status not in states.OPEN_STATUSES
}


def filters_from(args: MultiDict) -> queue.QueueFilter:
    """The list's filters from the address; dates are whole days in the service's zone."""
    zone = current_service().zone
    return queue.QueueFilter(
        state=args.get("state") or None,
        show=args.get("show") if args.get("show") in queue.SHOWS else None,
        urgent_only=args.get("urgent") == "1",
        mine=args.get("mine") == "1",
        unassigned=args.get("unassigned") == "1",
        reference=normalise_reference(args.get("reference", "")),
        closed_as=args.get("closed_as") if args.get("closed_as") in CLOSED_AS else None,
        closed_since=_day_start(args, "closed_since", zone),
        closed_until=_day_start(args, "closed_until", zone, days_later=1),
    )


# The date filters as the page labels them, for the words when one cannot be used.
DATE_FILTERS = {"closed_since": "Closed from", "closed_until": "Closed up to"}


def _day_start(args: MultiDict, name: str, zone, days_later: int = 0) -> datetime | None:
    """Midnight at the start of the day given (or of the day after), in the service's
    zone. A date we cannot use is a bad request that says so, never the list unfiltered."""
    text = args.get(name, "")
    if not text:
        return None
    try:
        day = day_we_take(text)
    except ValueError:
        raise errors.BadInput(
            f"“{DATE_FILTERS[name]}” must be a date {DAYS_WE_TAKE}, like 2026-11-25."
        ) from None
    return datetime.combine(day + timedelta(days=days_later), time(0), tzinfo=zone)


def queue_page_context(filters: queue.QueueFilter) -> dict:
    """The queue page: the live part, and what only the full page shows."""
    live = queue_context(filters)
    kept = restored_forms(_draft_for(None))
    return {
        **live,
        "handovers": handover.recent(db.session, current_service().vault, utc_now()),
        "handover_form": kept.get("handover") or HandoverForm(formdata=None),
        "for_a_supervisor": supervision.waiting_for_a_supervisor(db.session),
        "handed_to_me": handed_to_me() if live["counts"].held_by_me else [],
        "why_words": supervision.WHY,
    }


def handed_to_me() -> list[tuple[CallbackRequest, RowAnswers]]:
    """The requests a colleague handed this member that they have not opened yet, with
    what their rows show (for the banner: 'Alex handed you N89K-Z5J5: interpreter')."""
    service = current_service()
    query = select(CallbackRequest).where(
        CallbackRequest.held_by_id == current_user.id,
        CallbackRequest.handed_over_by_id.is_not(None),
    )
    kept = kept_row_answers()
    return [(item, shown_answers(item, service.vault, kept)) for item in db.session.scalars(query)]


def kept_row_answers() -> Kept:
    return app_state().store(ROW_ANSWERS)


def queue_context(filters: queue.QueueFilter) -> dict:
    """Everything the queue page and its live updates show."""
    service, now = current_service(), utc_now()
    filter_args = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    after_text = request.values.get("after", "")
    after = queue.Cursor.decode(after_text)
    if after_text and after is None:
        abort(400)
    page = queue.queue_page(db.session, filters, current_user.id, after=after)
    kept = kept_row_answers()
    rows = [
        queue_row(item, shown_answers(item, service.vault, kept), now) for item in page.requests
    ]
    return {
        "rows": rows,
        "rows_html": rows_html(rows),
        "next_cursor": page.next_cursor.encode() if page.next_cursor else None,
        "counts": dashboard_counts(now),
        "filter_args": filter_args,
        "shows": queue.SHOWS,
        "closed_as": CLOSED_AS,
        # What the live refresh asks for: this very view, the page being read included.
        "view_args": {**filter_args, **({"after": after_text} if after_text else {})},
    }


def rows_html(rows: list[QueueRow]) -> Markup:
    """The list's rows as HTML, each row's link from one `url_for`, not fifty."""
    marker = "REFERENCE"
    address = url_for("staff.request_page", reference=marker)
    queue_rows = get_template_attribute("staff/_queue_rows.html", "queue_rows")
    return queue_rows(rows, lambda reference: address.replace(marker, reference))


def dashboard_counts(now) -> queue.QueueCounts:
    """The dashboard's numbers: the team's, shared by every worker for a few seconds
    (INTAKE_TEAM_COUNTS_CACHE_SECONDS), and the agent's own holds, always afresh."""
    team = app_state().team_counts.at(db.engine, now, current_service().zone)
    return queue.with_my_holds(team, queue.held_by(db.session, current_user.id))


@bp.get("/")
def dashboard():
    context = queue_page_context(filters_from(request.args))
    return render_template("staff/queue.html", search_form=SearchForm(), **context)


@bp.post("/handover")
def leave_handover():
    form = HandoverForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "error")
    else:
        handover.leave_note(db.session, current_service().vault, current_user, form.text.data)
        flash("Handover note saved.", "success")
    return redirect(url_for("staff.dashboard"), code=303)


@bp.get("/handover")
def handover_log():
    """The handover notes older than the dashboard's 24 hours, a page at a time."""
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    notes, more = handover.older(db.session, current_service().vault, utc_now(), number)
    return render_template("staff/handover.html", notes=notes, page=number, more=more)


@bp.post("/search")
def search():
    """Search by reference or phone. A POST, so a phone number never appears in a URL."""
    form = SearchForm()
    filters = None
    if form.validate_on_submit():
        filters = _search_filters(form)
    if filters is None:
        context = queue_page_context(filters_from(MultiDict()))
        return render_template("staff/queue.html", search_form=form, **context), 400
    context = queue_page_context(filters)
    return render_template("staff/queue.html", search_form=form, searched=True, **context)


def _search_filters(form: SearchForm) -> queue.QueueFilter | None:
    reference = normalise_reference(form.query.data)
    if reference:
        return queue.QueueFilter(reference=reference, include_closed=True)
    service = current_service()
    try:
        e164 = parse_phone(form.query.data, service.country.code)
    except InvalidPhone:
        form.query.errors.append("Enter a reference like K7QM-4Z2P or a full phone number")
        return None
    return queue.search_by_phone(db.session, service.vault, current_user, e164)


@bp.get("/queue.json")
def queue_data():
    """The live queue, for the dashboard's own script to poll."""
    context = queue_context(filters_from(request.args))
    counts = context["counts"]
    return jsonify(
        counts=counts.__dict__,
        rows=context["rows_html"],
        urgent=[row.reference for row in context["rows"] if row.urgent],
    )


@bp.post("/take-next")
def take_next():
    if not ActionForm().validate_on_submit():
        abort(400)
    reference = queue.take_next(db.session, current_user, hold_limit=current_service().hold_limit)
    if reference is None:
        flash(nobody_ready_message(queue.next_callable_at(db.session)))
        return redirect(url_for("staff.dashboard"), code=303)
    return redirect(url_for("staff.request_page", reference=reference), code=303)


def nobody_ready_message(next_at) -> str:
    if next_at is None:
        return "Nobody is waiting to be called right now."
    return (
        "Nobody may be called right now. The next request may be called "
        f"{local_day_and_time(next_at)} ({current_service().zone_label})."
    )


def load_request(reference: str) -> CallbackRequest:
    return db.first_or_404(select(CallbackRequest).where(CallbackRequest.reference == reference))


@bp.get("/requests/<reference>")
def request_page(reference: str):
    """Everything the visitor gave, decrypted. Every view of it is audited."""
    return show_request(load_request(reference))


def show_request(item: CallbackRequest, forms: dict | None = None, status: int = 200):
    """The request page; `forms` keeps what the agent typed when something was refused."""
    service, now = current_service(), utc_now()
    personal = calls.open_for_staff(db.session, service.vault, item, current_user, now)
    if forms is None:
        forms = restored_forms(_draft_for(item.reference))
    page = render_template(
        "staff/request.html",
        item=item,
        why_words=supervision.WHY,
        personal=personal,
        instructions=contact_instructions(personal) if personal else [],
        flags=request_flags(personal) if personal else None,
        answers=answer_rows(personal, service.country.code) if personal else [],
        history=calls.history(db.session, service.vault, item),
        same_number=queue.same_number(db.session, item),
        holder=holder_name(item),
        forms=_action_forms(personal or {}, **(forms or {})),
        may_call_now=item.callable_from <= now,
        renew_seconds=hold_renewal_seconds(service),
        row=queue_row(item, row_answers(personal or {}), now),
    )
    return page, status


# The page's script renews the hold this often, and at least four times within the hold
# and the idle limit, so neither runs out on a long call while the page is open.
RENEW_AT_MOST_EVERY = 60


def hold_renewal_seconds(service) -> int:
    shortest = min(service.hold_limit, service.idle_limit).total_seconds()
    return max(5, min(RENEW_AT_MOST_EVERY, int(shortest // 4)))


def _draft_for(reference: str | None) -> dict | None:
    """What the member typed on this page (a request's, or the queue: None) before their
    session ended under them, given back once."""
    service = current_service()
    draft = staff_sessions.take_draft(db.session, service.vault, g.staff_session, reference)
    if draft is not None:
        flash("What you typed before you were signed out is back below: check it, then save it.")
    return draft


def _action_forms(personal: dict, **given) -> dict:
    """The request page's forms: blank, or as `given` (typed, refused or kept)."""
    forms = {
        "action": ActionForm(),
        "attempt": AttemptForm(),
        "note": NoteForm(),
        "close": CloseForm(),
        "reassign": ReassignForm(prefix=ReassignForm.PREFIX),
        "reopen": ReopenForm(),
        "decide": DecideForm(prefix=DecideForm.PREFIX),
        "take": TakeForm(prefix=TakeForm.PREFIX),
        "called_us": CalledUsForm(prefix=CalledUsForm.PREFIX),
        **{name: form for name, form in given.items() if form is not None},
    }
    forms["attempt"].outcome.choices = options(*calls.outcomes_for(personal).items())
    forms["reassign"].to.choices = colleague_choices()
    rights = rights_forms(
        personal, current_service().country.code, given.get("correct"), given.get("erase")
    )
    return {**forms, **rights}


def colleague_choices() -> list:
    """Everyone signed in now but the member asking, to give a request to."""
    members = staff_accounts.signed_in_colleagues(
        db.session, current_user.id, utc_now(), current_service().idle_limit
    )
    return options(*((str(member.id), member.name) for member in members))


def back_to_request(item: CallbackRequest):
    return redirect(url_for("staff.request_page", reference=item.reference), code=303)


def _refused(item: CallbackRequest, message: str):
    flash(message, "error")
    return back_to_request(item)


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@bp.post("/requests/<reference>/take")
def take(reference: str):
    item = load_request(reference)
    form = TakeForm(prefix=TakeForm.PREFIX)
    if form.validate_on_submit():
        queue.take(
            db.session,
            item,
            current_user,
            override_reason=form.override_reason.data,
            vault=current_service().vault,
        )
    return back_to_request(item)


@bp.post("/requests/<reference>/hold")
def renew_hold(reference: str):
    """The request page's script keeps its agent's hold while the page is open."""
    item = load_request(reference)
    service, now = current_service(), utc_now()
    if not queue.renew_hold(db.session, item, current_user, now):
        said = hold_ended_words(db.session, item, current_user)
        return jsonify(held=False, status=states.LABELS[item.status], said=said)
    # A member on a long call with the request open is active: the session stays.
    staff_sessions.seen(db.session, g.staff_session, now, service.session_limits)
    return jsonify(held=True, seconds_left=int(service.hold_limit.total_seconds()))


@bp.post("/requests/<reference>/release")
def release(reference: str):
    item = load_request(reference)
    if ActionForm().validate_on_submit():
        queue.release(db.session, item, current_user)
        flash("The request is back in the queue.", "success")
    return redirect(url_for("staff.dashboard"), code=303)


@bp.post("/requests/<reference>/attempts")
def record_attempt(reference: str):
    service = current_service()
    item = load_request(reference)
    form = AttemptForm()
    if not form.validate_on_submit():
        return show_request(item, {"attempt": form}, status=400)
    try:
        attempt = _record(service, item, form)
    except queue.QueueRefused as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return show_request(item, {"attempt": form}, status=400)
    CALL_OUTCOMES.labels(form.outcome.data).inc()
    now_status = states.LABELS[item.status].lower()
    if item.needs_supervisor:
        flash(f"Call recorded. {LEFT_FOR_A_SUPERVISOR}", "success")
    elif attempt.late:
        holder = holder_name(item)
        flash(
            "Your hold had ended, so your call was saved in the history as a late call. "
            f"The request is now {now_status}{f', held by {holder}' if holder else ''}.",
            "error",
        )
    else:
        flash(f"Call recorded. The request is now: {now_status}.", "success")
    return back_to_request(item)


def _record(service, item: CallbackRequest, form: AttemptForm):
    return calls.record_attempt(
        db.session,
        service.vault,
        item,
        current_user,
        outcome=form.outcome.data,
        result=form.result.data or None,
        call_again_at=form.call_again_utc(service.zone),
        note=form.note.data or None,
        override_reason=form.override_reason.data or None,
        policy=service.calls,
        channels=service.alerts,
    )


LEFT_FOR_A_SUPERVISOR = (
    "Someone said a person is in immediate danger, so the request stays open in the queue "
    "until a supervisor decides. The supervisors have been told."
)


@bp.post("/requests/<reference>/notes")
def add_note(reference: str):
    item = load_request(reference)
    form = NoteForm()
    if not form.validate_on_submit():
        return _refused(item, _first_error(form))
    calls.add_note(db.session, current_service().vault, item, current_user, form.text.data)
    flash("Note saved.", "success")
    return back_to_request(item)


@bp.post("/requests/<reference>/close")
def close(reference: str):
    item = load_request(reference)
    form = CloseForm()
    if not form.validate_on_submit():
        return _refused(item, _first_error(form))
    service = current_service()
    closed = closing.close_without_call(
        db.session,
        service.vault,
        item,
        current_user,
        form.target.data,
        reason=form.reason.data or None,
        channels=service.alerts,
    )
    flash("The request is closed." if closed else LEFT_FOR_A_SUPERVISOR)
    return back_to_request(item)


@bp.post("/requests/<reference>/reopen")
@supervisor_required
def reopen(reference: str):
    item = load_request(reference)
    form = ReopenForm()
    if not form.validate_on_submit():
        return _refused(item, _first_error(form))
    retention = timedelta(days=current_service().retention_days)
    closing.reopen(
        db.session, current_service().vault, item, current_user, form.reason.data, retention
    )
    flash("The request is back in the queue, due now.", "success")
    return back_to_request(item)


@bp.post("/requests/<reference>/called-us")
def called_us(reference: str):
    """The visitor rang the line with their reference: any member of staff records it."""
    service = current_service()
    item = load_request(reference)
    form = CalledUsForm(prefix=CalledUsForm.PREFIX)
    if not form.validate_on_submit():
        return show_request(item, {"called_us": form}, status=400)
    calls.record_called_in(
        db.session,
        service.vault,
        item,
        current_user,
        result=form.result.data,
        note=form.note.data or None,
    )
    CALL_OUTCOMES.labels(calls.CALLED_US).inc()
    flash("Recorded: they called us. The request is now completed.", "success")
    return back_to_request(item)


@bp.post("/requests/<reference>/decide")
@supervisor_required
def decide(reference: str):
    """A supervisor decides on an urgent request an agent could not close or put off."""
    item = load_request(reference)
    form = DecideForm(prefix=DecideForm.PREFIX)
    if not form.validate_on_submit():
        return show_request(item, {"decide": form}, status=400)
    supervision.decide(
        db.session,
        current_service().vault,
        item,
        current_user,
        form.decision.data,
        form.reason.data,
        utc_now(),
    )
    flash(f"Decided: {supervision.DECISIONS[form.decision.data].lower()}.", "success")
    return back_to_request(item)


@bp.post("/requests/<reference>/reassign")
def reassign(reference: str):
    """Its holder, or a supervisor, gives the request to a named colleague with a note."""
    item = load_request(reference)
    form = ReassignForm(prefix=ReassignForm.PREFIX)
    form.to.choices = colleague_choices()
    if not form.validate_on_submit():
        return _refused(item, _first_error(form))
    colleague = db.get_or_404(StaffMember, int(form.to.data))
    service = current_service()
    calls.give_to_colleague(
        db.session,
        service.vault,
        item,
        colleague,
        current_user,
        form.note.data or None,
        idle_limit=service.idle_limit,
    )
    flash(f"Given to {colleague.name}.", "success")
    return back_to_request(item)


@bp.errorhandler(queue.QueueRefused)
def refused(error: queue.QueueRefused):
    db.session.rollback()
    reference = (request.view_args or {}).get("reference")
    flash(str(error), "error")
    if reference:
        return redirect(url_for("staff.request_page", reference=reference), code=303)
    return redirect(url_for("staff.dashboard"), code=303)


@bp.errorhandler(StaleDataError)
def changed_meanwhile(error: StaleDataError):
    return refused(
        queue.QueueRefused("Someone changed this request while you were working. Check it again.")
    )
