"""Supervisors' pages: the team's accounts, wallboards and the audit trail."""

import csv
import io

from flask import Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from intake.domain import (
    audit,
    outbox,
    queue,
    sign_in_guesses,
    staff_accounts,
    staff_sessions,
    wallboards,
)
from intake.domain.clock import utc_now
from intake.domain.queue import find_by_reference
from intake.domain.references import normalise_reference
from intake.extensions import db
from intake.formtools import database_id
from intake.models import StaffMember, Wallboard
from intake.service import current_service
from intake.staff.audit_words import detail_words
from intake.staff.auth import supervisor_required
from intake.staff.blueprint import bp
from intake.staff.forms import ActionForm, AddStaffForm, AuditFilterForm, WallboardForm
from intake.staff.spreadsheets import safe_cell
from intake.wallboard import cookie as wallboard_cookie


@bp.route("/team", methods=["GET", "POST"])
@supervisor_required
def team():
    form = AddStaffForm()
    status = 200
    if form.validate_on_submit():
        try:
            member, temporary = staff_accounts.invite_staff(
                db.session,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                created_by=current_user.id,
            )
        except staff_accounts.AccountError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            return render_template(
                "staff/temporary_password.html", member=member, temporary=temporary, new=True
            )
    if form.errors:
        status = 400
    return _team_page(form, WallboardForm(formdata=None), status)


def _team_page(form: AddStaffForm, wallboard_form: WallboardForm, status: int = 200):
    members = staff_accounts.list_staff(db.session)
    return render_template(
        "staff/team.html",
        form=form,
        members=members,
        sign_in_holds=sign_in_guesses.held_back(db.session, utc_now()),
        holdings=queue.holdings(db.session),
        presence=staff_sessions.presence(db.session, utc_now(), current_service().idle_limit),
        failed_emails=outbox.failed_messages(db.session),
        email_kinds=outbox.KIND_LABELS,
        wallboard_form=wallboard_form,
        wallboards=wallboards.in_use(db.session),
        action=ActionForm(),
    ), status


@bp.post("/team/<int:member_id>/disable")
@supervisor_required
def disable_member(member_id: int):
    member = db.get_or_404(StaffMember, member_id)
    if member.id == current_user.id:
        flash("You cannot disable your own account.", "error")
    elif ActionForm().validate_on_submit():
        staff_accounts.disable(db.session, member, by=current_user.id)
        flash(f"{member.name}'s account is disabled.", "success")
    return redirect(url_for("staff.team"), code=303)


@bp.post("/team/<int:member_id>/enable")
@supervisor_required
def enable_member(member_id: int):
    return _account_action(member_id, staff_accounts.enable, "{name} can sign in again.")


@bp.post("/team/<int:member_id>/unlock")
@supervisor_required
def unlock_member(member_id: int):
    unlocked = "{name} may sign in again from every address and device."
    return _account_action(member_id, staff_accounts.unlock, unlocked)


def _account_action(member_id: int, action, done: str):
    member = db.get_or_404(StaffMember, member_id)
    if ActionForm().validate_on_submit():
        try:
            action(db.session, member, by=current_user.id)
        except staff_accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(done.format(name=member.name), "success")
    return redirect(url_for("staff.team"), code=303)


@bp.post("/team/<int:member_id>/reset-sign-in")
@supervisor_required
def reset_member_sign_in(member_id: int):
    """Password and authenticator reset: the temporary password is shown here, once."""
    member = db.get_or_404(StaffMember, member_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("staff.team"), code=303)
    try:
        temporary = staff_accounts.reset_sign_in(db.session, member, by=current_user.id)
    except staff_accounts.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.team"), code=303)
    return render_template("staff/temporary_password.html", member=member, temporary=temporary)


@bp.post("/team/emails/<int:message_id>/try-again")
@supervisor_required
def retry_email(message_id: int):
    """A failed email goes back in the outbox with a fresh set of tries."""
    if ActionForm().validate_on_submit():
        if outbox.try_again(db.session, message_id, utc_now(), by=current_user.id):
            flash("The email will be tried again within a minute.")
        else:
            flash("That email cannot be tried again: it has gone, or its details were removed.")
    return redirect(url_for("staff.team"), code=303)


@bp.post("/team/wallboards")
@supervisor_required
def create_wallboard():
    """Make the browser this is sent from a wallboard (intake.domain.wallboards).

    Done on the screen's own browser, so the pairing travels in a cookie set here and
    never in an address. The supervisor's sign-in on this browser ends at the same
    time: a screen anyone can walk up to must hold no staff session.
    """
    form = WallboardForm()
    if not form.validate_on_submit():
        return _team_page(AddStaffForm(formdata=None), form, 400)
    try:
        _, token = wallboards.create(
            db.session,
            form.screen_name.data,
            created_by=current_user.id,
            now=utc_now(),
            staff_session=g.staff_session,
        )
    except wallboards.WallboardRefused as error:
        form.screen_name.errors.append(str(error))
        return _team_page(AddStaffForm(formdata=None), form, 400)
    logout_user()
    session.clear()
    response = redirect(url_for("wallboard.screen"), code=303)
    return wallboard_cookie.pair(response, token)


@bp.post("/team/wallboards/<int:wallboard_id>/revoke")
@supervisor_required
def revoke_wallboard(wallboard_id: int):
    """Unpair a screen: from its next refresh it shows only "not a wallboard"."""
    wallboard = db.get_or_404(Wallboard, wallboard_id)
    name = wallboard.name
    if ActionForm().validate_on_submit():
        if wallboards.revoke(db.session, wallboard, by=current_user.id, now=utc_now()):
            flash(
                f"The wallboard “{name}” is revoked: from its next refresh it shows nothing.",
                "success",
            )
        else:
            flash(f"The wallboard “{name}” was revoked already.")
    return redirect(url_for("staff.team", _anchor="wallboards"), code=303)


@bp.get("/audit")
@supervisor_required
def audit_trail():
    """The trail, filtered by request, member, kind and dates, a page at a time."""
    form = AuditFilterForm(request.args, meta={"csrf": False})
    filters, problem = _trail_filters(form)
    page = None
    older_than = request.args.get("older", type=database_id)
    if request.args.get("older") and older_than is None:
        abort(400)
    if problem is None:
        page = audit.trail(db.session, filters, older_than=older_than)
    return render_template(
        "staff/audit.html",
        form=form,
        problem=problem,
        page=page,
        names=_member_names(),
        descriptions=audit.DESCRIPTIONS,
        detail_words=detail_words,
        export_form=ActionForm(),
        query=request.args.to_dict(),
    ), _trail_status(form, problem)


def _trail_status(form: AuditFilterForm, problem: str | None) -> int:
    """200; 400 for a date that cannot be used; 404 for a request or member not found."""
    if problem is None:
        return 200
    return 400 if form.since.errors or form.until.errors else 404


@bp.post("/audit.csv")
@supervisor_required
def audit_csv():
    """The filtered trail as a CSV file (no personal data is in the trail); audited."""
    form = AuditFilterForm(request.args, meta={"csrf": False})
    filters, problem = _trail_filters(form)
    if problem is not None or not ActionForm().validate_on_submit():
        abort(400)
    events = audit.export(db.session, filters, by=current_user.id)
    names = _member_names()
    return Response(
        trail_csv(events, names),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-trail.csv"},
    )


def _member_names() -> dict[int, str]:
    return {member.id: member.name for member in staff_accounts.list_staff(db.session)}


def _trail_filters(form: AuditFilterForm) -> tuple[audit.TrailFilter, str | None]:
    """The form's filters, or the reason they cannot be used (never 'show everything')."""
    if not form.validate():
        return audit.TrailFilter(), next(iter(form.errors.values()))[0]
    typed = (form.reference.data or "").strip()
    request_id = None
    if typed:
        reference = normalise_reference(typed)
        if reference is None:
            return audit.TrailFilter(), f"“{typed}” is not a reference like K7QM-4Z2P."
        found = find_by_reference(db.session, reference)
        if found is None:
            return audit.TrailFilter(), f"No request has the reference {reference}."
        request_id = found.id
    if form.member.data and db.session.get(StaffMember, form.member.data) is None:
        return audit.TrailFilter(), "No member of staff has that number."
    zone = current_service().zone
    return audit.TrailFilter(
        request_id=request_id,
        staff_id=form.member.data or None,
        action=form.action.data or None,
        since=form.start_of(form.since.data, zone),
        until=form.start_of(form.until.data, zone, next_day=True),
    ), None


def trail_csv(events, names: dict[int, str]) -> str:
    zone = current_service().zone
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["when", "who", "what", "request", "detail"])
    for event in events:
        cells = [
            event.occurred_at.astimezone(zone).isoformat(timespec="seconds"),
            names.get(event.staff_id, ""),
            audit.DESCRIPTIONS[event.action],
            event.request.reference if event.request else "",
            detail_words(event, names),
        ]
        writer.writerow([safe_cell(cell) for cell in cells])
    return out.getvalue()
