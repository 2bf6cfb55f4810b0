"""A member's own account: changing their password."""

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user, login_user

from intake.domain import staff_accounts
from intake.extensions import db
from intake.models import StaffMember
from intake.staff.blueprint import bp
from intake.staff.forms import ChangePasswordForm

CHANGED = "Your password is changed. You are signed out everywhere else."


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Current password, then the new one twice; this session goes on, every other ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        member = db.session.get(StaffMember, current_user.id)
        try:
            staff_accounts.change_password(
                db.session,
                member,
                form.current_password.data,
                form.new_password.data,
                keep=g.staff_session,
            )
        except staff_accounts.WrongPassword as error:
            form.current_password.errors.append(str(error))
        except staff_accounts.AccountError as error:
            form.new_password.errors.append(str(error))
        else:
            login_user(member)  # the cookie takes the new session version
            flash(CHANGED, "success")
            return redirect(url_for("staff.dashboard"), code=303)
    return render_template("staff/change_password.html", form=form), (400 if form.errors else 200)
