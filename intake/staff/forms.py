"""Staff forms: signing in, searching, and working a request."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from intake.domain import supervision
from intake.domain.audit import DESCRIPTIONS
from intake.domain.calls import NOTE_MAX, OUTCOMES, REACHED, RESULTS
from intake.domain.closing import MANUAL_CLOSES
from intake.domain.phones import MAX_PHONE_INPUT, InvalidPhone, display_phone, parse_phone
from intake.domain.reports import DEFAULT_DAYS, MAX_DAYS, Period
from intake.domain.staff_accounts import ROLES
from intake.domain.subject_access import ERASE_BECAUSE
from intake.domain.wallboards import NAME_MAX as SCREEN_NAME_MAX
from intake.formtools import (
    DAYS_WE_TAKE,
    ChoiceField,
    CleanForm,
    DayWeTake,
    normalised_email,
    options,
)
from intake.models import MAX_DATABASE_ID

REASON_MAX = 200
REASON_TOO_LONG = f"Keep the reason to {REASON_MAX} characters"


def optional_note(label: str) -> TextAreaField:
    """A note that may be left blank, within the notes' limit."""
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"Keep notes to {NOTE_MAX} characters"),
        ],
    )


# Reasons are sealed with the request and erased with it; still, colleagues need the why.
NO_PERSONAL_DETAILS = (
    "Write what colleagues need to know. Reasons are kept with the request, encrypted, "
    "and erased with its details."
)
NAME_MAX = 80


class SignInForm(CleanForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class CodeForm(CleanForm):
    code = StringField(
        "Security code",
        description="The 6-digit code from your authenticator app.",
        validators=[DataRequired("Enter the 6-digit code from your authenticator app")],
    )


def _new_password() -> PasswordField:
    return PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words together are easy to "
        "remember and hard to guess.",
        validators=[DataRequired("Enter a new password")],
    )


def _confirmation() -> PasswordField:
    return PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again"),
            EqualTo("new_password", "The two new passwords are not the same"),
        ],
    )


class NewPasswordForm(CleanForm):
    """Choosing one's own password at sign-in, after a supervisor's reset."""

    new_password = _new_password()
    confirm = _confirmation()


class ChangePasswordForm(CleanForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )
    new_password = _new_password()
    confirm = _confirmation()


class SearchForm(CleanForm):
    query = StringField(
        "Find a request",
        description="A reference like K7QM-4Z2P, or a phone number in any common format.",
        validators=[DataRequired("Enter a reference or a phone number"), Length(max=40)],
    )


class ActionForm(CleanForm):
    """A button with nothing to fill in: only its CSRF token."""


class AttemptForm(CleanForm):
    outcome = ChoiceField(
        "What happened on the call?",
        choices=options(*OUTCOMES.items()),
        validators=[InputRequired("Choose what happened on the call")],
    )
    result = ChoiceField(
        "If you reached them: the result",
        choices=options(*RESULTS.items()),
        validators=[Optional()],
    )
    call_again_at = DateTimeLocalField(
        "If they asked us to call at another time: when",
        validators=[Optional()],
    )
    note = optional_note("Note (optional)")
    override_reason = StringField(
        "Supervisors: why call before the retry time?",
        description=(
            f"Only needed to call before the request may be called again. {NO_PERSONAL_DETAILS}"
        ),
        validators=[Optional(), Length(max=REASON_MAX, message=REASON_TOO_LONG)],
    )

    def validate_result(self, field) -> None:
        if self.outcome.data == REACHED and not field.data:
            raise ValidationError("Choose the result of the call")

    def validate_call_again_at(self, field) -> None:
        if self.outcome.data == "call_later" and not field.data:
            raise ValidationError("Choose when to call again")

    def call_again_utc(self, zone: ZoneInfo) -> datetime | None:
        """The chosen time, read in the service's zone."""
        if self.outcome.data != "call_later" or self.call_again_at.data is None:
            return None
        return self.call_again_at.data.replace(tzinfo=zone)


class NoteForm(CleanForm):
    text = TextAreaField(
        "Add a note",
        validators=[
            DataRequired("Write the note before you save it"),
            Length(max=NOTE_MAX, message=f"Keep notes to {NOTE_MAX} characters"),
        ],
    )


class CloseForm(CleanForm):
    target = ChoiceField(
        "Close without a call",
        choices=options(*MANUAL_CLOSES.items()),
        validators=[InputRequired("Choose how to close the request")],
    )
    reason = StringField(
        "Reason",
        description=(
            f"Needed to close an urgent request as spam (supervisors only). {NO_PERSONAL_DETAILS}"
        ),
        validators=[Optional(), Length(max=REASON_MAX, message=REASON_TOO_LONG)],
    )


class HandoverForm(CleanForm):
    text = TextAreaField(
        "Leave a note for the next shift",
        description="Say what is going on. Callers' names and numbers belong in a request's notes.",
        validators=[
            DataRequired("Write the handover note before you save it"),
            Length(max=NOTE_MAX, message=f"Keep the note to {NOTE_MAX} characters"),
        ],
    )


class ReopenForm(CleanForm):
    reason = StringField(
        "Why reopen it?",
        description=NO_PERSONAL_DETAILS,
        validators=[
            DataRequired("Give the reason for reopening the request"),
            Length(max=REASON_MAX, message=REASON_TOO_LONG),
        ],
    )


class CalledUsForm(CleanForm):
    """The visitor rang the line with their reference: recorded by anyone, at any time."""

    PREFIX = "called"
    result = ChoiceField(
        "What came of the call?",
        choices=options(*RESULTS.items()),
        validators=[InputRequired("Choose the result of the call")],
    )
    note = optional_note("Note (optional)")


class TakeForm(CleanForm):
    """Taking a request; during its retry wait only a supervisor may, with a reason."""

    PREFIX = "take"
    override_reason = StringField(
        "Supervisors: why take it before it may be called?",
        description=NO_PERSONAL_DETAILS,
        validators=[Optional(), Length(max=REASON_MAX, message=REASON_TOO_LONG)],
    )


class DecideForm(CleanForm):
    """A supervisor's decision on an urgent request left open for them."""

    PREFIX = "decide"  # its fields' ids stay apart from the close and reopen forms' reason

    decision = ChoiceField(
        "What should happen to this request?",
        choices=options(*supervision.DECISIONS.items()),
        validators=[InputRequired("Choose what should happen to the request")],
    )
    reason = StringField(
        "Why?",
        description=NO_PERSONAL_DETAILS,
        validators=[
            DataRequired("Give the reason for your decision"),
            Length(max=REASON_MAX, message=REASON_TOO_LONG),
        ],
    )


class ReassignForm(CleanForm):
    """Giving a held request to a colleague, with a note for them."""

    PREFIX = "reassign"  # its note's id stays apart from the call form's note
    to = SelectField("Give this request to", validators=[InputRequired("Choose a colleague")])
    note = optional_note("Note for them (optional)")


class AddStaffForm(CleanForm):
    name = StringField("Name", validators=[DataRequired("Enter their name"), Length(max=80)])
    email = EmailField("Email address", validators=[DataRequired("Enter their email address")])
    role = ChoiceField(
        "Role",
        choices=options(*((role, role.capitalize()) for role in ROLES)),
        validators=[InputRequired("Choose a role")],
    )


class WallboardForm(CleanForm):
    """Naming the screen this browser is on, as it is made a wallboard."""

    screen_name = StringField(
        "Name of this screen",
        description="So you can tell the screens apart, for example Office TV.",
        validators=[
            DataRequired("Enter a name for the screen"),
            Length(
                max=SCREEN_NAME_MAX,
                message=f"Keep the screen's name to {SCREEN_NAME_MAX} characters",
            ),
        ],
    )


class AuditFilterForm(CleanForm):
    """Filters for the audit trail, read from the address (nothing personal in them)."""

    member = IntegerField(
        "Staff member",
        validators=[
            Optional(),
            NumberRange(1, MAX_DATABASE_ID, "No member of staff has that number."),
        ],
    )
    reference = StringField("Request reference", validators=[Optional(), Length(max=20)])
    action = SelectField(
        "Kind of entry",
        choices=options(("", "Every kind"), *sorted(DESCRIPTIONS.items(), key=lambda kv: kv[1])),
        validators=[Optional()],
    )
    since = DateField(
        "From (date)",
        validators=[Optional(), DayWeTake(f"“From” must be a date {DAYS_WE_TAKE}")],
    )
    until = DateField(
        "To (date, inclusive)",
        validators=[Optional(), DayWeTake(f"“To” must be a date {DAYS_WE_TAKE}")],
    )

    @staticmethod
    def start_of(day: date | None, zone: ZoneInfo, next_day: bool = False) -> datetime | None:
        """Midnight at the start of `day` (or of the day after) in the service's zone."""
        if day is None:
            return None
        day = day + timedelta(days=1) if next_day else day
        return datetime.combine(day, time(0), tzinfo=zone)


class ReportPeriodForm(CleanForm):
    """The days a report covers, read from the address (`start`, `end`), in the
    service's zone. Left blank: the last 7 days, ending today; with one date given,
    the other is today (for a start) or 7 days back (for an end)."""

    start = DateField(
        "From",
        description="For example, 2026-11-19",
        validators=[Optional(), DayWeTake(f"The start date must be {DAYS_WE_TAKE}")],
        invalid_value_message="The start date must be a real date, like 2026-11-19",
    )
    end = DateField(
        "To (included)",
        description="For example, 2026-11-25. Leave both blank for the last 7 days.",
        validators=[Optional(), DayWeTake(f"The end date must be {DAYS_WE_TAKE}")],
        invalid_value_message="The end date must be a real date, like 2026-11-25",
    )

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_start(self, field) -> None:
        if field.data is not None and field.data > self.today:
            raise ValidationError("The start date must be today or in the past")

    def validate_end(self, field) -> None:
        if field.data is not None and field.data > self.today:
            raise ValidationError("The end date must be today or in the past")

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        period = self.period()
        if period.end < period.start:
            self.end.errors.append("The end date must be the same as or after the start date")
        elif period.length > MAX_DAYS:
            self.start.errors.append(f"The period must be {MAX_DAYS} days or fewer")
        return not self.errors

    def fill_in(self) -> Period:
        """The period asked for, written into both fields, so the page says which it is."""
        period = self.period()
        for field, day in ((self.start, period.start), (self.end, period.end)):
            field.data, field.raw_data = day, []
        return period

    def period(self) -> Period:
        """The period asked for (call after validating)."""
        end = self.end.data or self.today
        if self.start.data is None:
            return Period.ending(end, DEFAULT_DAYS)
        return Period(self.start.data, end)


class FindPersonForm(CleanForm):
    """Whom a person's rights are for: their phone number or email address (a POST, so
    neither appears in a URL)."""

    phone = StringField(
        "Their phone number",
        description="In any common format.",
        validators=[Optional(), Length(max=MAX_PHONE_INPUT)],
    )
    email = EmailField("Or their email address", validators=[Optional(), Length(max=254)])

    def __init__(self, *args, region: str = "GB", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.region = region

    def validate_phone(self, field) -> None:
        if field.data:
            try:
                field.data = parse_phone(field.data, self.region)
            except InvalidPhone:
                raise ValidationError("Enter a phone number in the correct format") from None

    def validate_email(self, field) -> None:
        if field.data:
            field.data = normalised_email(field.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not (self.phone.data or self.email.data):
            self.phone.errors.append("Enter their phone number or their email address")
            return False
        return valid


class CorrectDetailsForm(CleanForm):
    PREFIX = "correct"

    name = StringField(
        "Name", validators=[DataRequired("Enter the person's name"), Length(max=NAME_MAX)]
    )
    phone = StringField(
        "Phone number",
        validators=[DataRequired("Enter the phone number to call"), Length(max=MAX_PHONE_INPUT)],
    )
    email = EmailField("Email address (optional)", validators=[Optional(), Length(max=254)])
    region = "GB"

    validate_phone = FindPersonForm.validate_phone
    validate_email = FindPersonForm.validate_email


class EraseForm(CleanForm):
    PREFIX = "erase"

    because = ChoiceField(
        "Why are the details being erased?",
        choices=options(*ERASE_BECAUSE.items()),
        validators=[InputRequired("Choose why the details are being erased")],
    )
    sure = BooleanField(
        "I understand this cannot be undone: the answers, notes and reasons go now",
        validators=[DataRequired("Confirm that the details should be erased now")],
    )


def rights_forms(
    personal: dict | None,
    region: str,
    correct: CorrectDetailsForm | None = None,
    erase: EraseForm | None = None,
) -> dict:
    """A supervisor's forms on the request page: correct (filled in with the details
    as kept), erase, restrict. `correct` and `erase` are given back when refused."""
    if correct is None and personal:
        phone = display_phone(personal["phone"], region)
        data = {"name": personal.get("name"), "phone": phone, "email": personal.get("email")}
        correct = CorrectDetailsForm(formdata=None, data=data, prefix=CorrectDetailsForm.PREFIX)
    if correct is not None:
        correct.region = region
    return {"correct": correct, "erase": erase or EraseForm(prefix=EraseForm.PREFIX)}
