"""Supervisors carry out a person's rights (intake.domain.subject_access): find their
requests, export everything, correct, erase and restrict. Every route is a
supervisor's, and a phone number or address only ever travels in a POST body."""

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from intake.domain import subject_access
from intake.domain.clock import utc_now
from intake.extensions import db
from intake.models import CallbackRequest
from intake.service import current_service
from intake.staff.auth import supervisor_required
from intake.staff.blueprint import bp
from intake.staff.forms import ActionForm, CorrectDetailsForm, EraseForm, FindPersonForm
from intake.staff.views import back_to_request, load_request, show_request


def find_form(**kwargs) -> FindPersonForm:
    return FindPersonForm(region=current_service().country.code, **kwargs)


@bp.route("/people", methods=["GET", "POST"])
@supervisor_required
def find_person():
    """Look for one person's requests by phone number or email address."""
    form = find_form()
    if request.method == "GET":
        return render_template("staff/person.html", form=form, found=None)
    if not form.validate_on_submit():
        return render_template("staff/person.html", form=form, found=None), 400
    lookup = subject_access.Lookup(phone=form.phone.data or None, email=form.email.data or None)
    found = subject_access.find(
        db.session, current_service().vault, lookup, current_user, utc_now()
    )
    return render_template("staff/person.html", form=form, found=found, export=ActionForm())


@bp.post("/people/export")
@supervisor_required
def export_person():
    """Everything about the requests found: a page to print or save, or JSON."""
    form = ActionForm()
    references = request.form.getlist("reference")[: subject_access.FIND_LIMIT]
    if not form.validate_on_submit() or not references:
        flash("Look the person up first, then export what was found.", "error")
        return redirect(url_for("staff.find_person"), code=303)
    found = list(
        db.session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.reference.in_(references))
            .order_by(CallbackRequest.created_at.desc())
        )
    )
    now = utc_now()
    exported = subject_access.export(db.session, current_service().vault, found, current_user, now)
    if request.form.get("as") == "json":
        name = f"subject-access-{now:%Y-%m-%d}.json"
        return Response(
            json.dumps(exported, indent=2, ensure_ascii=False),
            mimetype="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return render_template("staff/person_export.html", exported=exported)


@bp.post("/requests/<reference>/correct")
@supervisor_required
def correct_details(reference: str):
    item = load_request(reference)
    form = CorrectDetailsForm(prefix=CorrectDetailsForm.PREFIX)
    form.region = current_service().country.code
    if not form.validate_on_submit():
        return show_request(item, {"correct": form}, status=400)
    changes = {"name": form.name.data, "phone": form.phone.data, "email": form.email.data}
    changed = subject_access.correct(
        db.session, current_service().vault, item, changes, current_user, utc_now()
    )
    words = ", ".join(subject_access.CORRECTABLE[field].lower() for field in changed)
    flash(f"Corrected: {words}. The old details are not kept.", "success")
    return back_to_request(item)


@bp.post("/requests/<reference>/erase")
@supervisor_required
def erase(reference: str):
    item = load_request(reference)
    form = EraseForm(prefix=EraseForm.PREFIX)
    if not form.validate_on_submit():
        return show_request(item, {"erase": form}, status=400)
    subject_access.erase(
        db.session, current_service().vault, item, form.because.data, current_user, utc_now()
    )
    flash(
        "Erased: the person's details, notes and reasons are gone. The request stays, anonymous.",
        "success",
    )
    return back_to_request(item)


@bp.post("/requests/<reference>/restrict")
@supervisor_required
def restrict(reference: str):
    item = load_request(reference)
    if ActionForm().validate_on_submit():
        subject_access.restrict(db.session, item, current_user, utc_now())
        flash("Restricted: nobody will call until a supervisor lifts this.", "success")
    return back_to_request(item)


@bp.post("/requests/<reference>/lift-restriction")
@supervisor_required
def lift_restriction(reference: str):
    item = load_request(reference)
    if ActionForm().validate_on_submit():
        subject_access.lift_restriction(
            db.session, current_service().vault, item, current_user, utc_now()
        )
        flash("The restriction is lifted: the request is back in the queue.", "success")
    return back_to_request(item)
