"""Supervisors' pages: the team's accounts and the audit trail."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from intake.domain import audit, queue, staff_accounts
from intake.domain.clock import utc_now
from intake.domain.references import normalise_reference
from intake.extensions import db
from intake.models import StaffMember
from intake.security import no_store
from intake.staff import bp
from intake.staff.auth import supervisor_required
from intake.staff.forms import ActionForm, AddStaffForm
from intake.staff.views import load_request


@bp.route("/team", methods=["GET", "POST"])
@supervisor_required
@no_store
def team():
    form = AddStaffForm()
    status = 200
    if form.validate_on_submit():
        try:
            member = staff_accounts.create_staff(
                db.session,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data,
                created_by=current_user.id,
            )
        except staff_accounts.AccountError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            flash(f"{member.name} can now sign in and set up their security code.")
            return redirect(url_for("staff.team"), code=303)
    if form.errors:
        status = 400
    now = utc_now()
    members = staff_accounts.list_staff(db.session)
    return render_template(
        "staff/team.html",
        form=form,
        members=members,
        locked={member.id for member in members if staff_accounts.is_locked(member, now)},
        holdings=queue.holdings(db.session),
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
        flash(f"{member.name}'s account is disabled.")
    return redirect(url_for("staff.team"), code=303)


@bp.post("/team/<int:member_id>/enable")
@supervisor_required
def enable_member(member_id: int):
    return _account_action(member_id, staff_accounts.enable, "{name} can sign in again.")


@bp.post("/team/<int:member_id>/unlock")
@supervisor_required
def unlock_member(member_id: int):
    return _account_action(member_id, staff_accounts.unlock, "{name}'s account is unlocked.")


def _account_action(member_id: int, action, done: str):
    member = db.get_or_404(StaffMember, member_id)
    if ActionForm().validate_on_submit():
        try:
            action(db.session, member, by=current_user.id)
        except staff_accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(done.format(name=member.name))
    return redirect(url_for("staff.team"), code=303)


@bp.post("/team/<int:member_id>/reset-second-factor")
@supervisor_required
def reset_member_second_factor(member_id: int):
    member = db.get_or_404(StaffMember, member_id)
    if ActionForm().validate_on_submit():
        staff_accounts.reset_second_factor(db.session, member, by=current_user.id)
        flash(f"{member.name} will set up a new security code at their next sign-in.")
    return redirect(url_for("staff.team"), code=303)


@bp.get("/audit")
@supervisor_required
@no_store
def audit_trail():
    """The trail for one request (?reference=) or one member (?member=), or everyone's."""
    reference = normalise_reference(request.args.get("reference", ""))
    member_id = request.args.get("member", type=int)
    item = load_request(reference) if reference else None
    member = db.get_or_404(StaffMember, member_id) if member_id else None
    events = audit.trail(
        db.session,
        request_id=item.id if item else None,
        staff_id=member.id if member else None,
    )
    return render_template(
        "staff/audit.html",
        events=events,
        item=item,
        member=member,
        descriptions=audit.DESCRIPTIONS,
        members=staff_accounts.list_staff(db.session),
    )
