"""Input pieces shared by every audience: text hygiene, the field types we use, and ids."""

import unicodedata
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask import request
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms import RadioField, SelectChoice, SelectMultipleField, widgets
from wtforms.validators import StopValidation, ValidationError

from intake.models import MAX_DATABASE_ID

# Characters that can reorder or hide text on a colleague's screen.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
LINE_BREAKS = frozenset("\n")


def clean_text(value: object) -> object:
    """Normalise typed text: NFC, no control or bidi-override characters, no outer spaces.

    Line breaks survive (a textarea needs them); everything else invisible goes.
    """
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept = (
        char
        for char in text
        if char in LINE_BREAKS or (unicodedata.category(char) != "Cc" and char not in BIDI_CONTROLS)
    )
    return "".join(kept).strip()


# Letters that render as nothing although they are not spaces or format characters.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def has_visible_character(text: str) -> bool:
    """Whether anything in `text` shows on screen: a name of zero-width joiners, blank
    Hangul fillers or combining marks alone would be an empty line on the queue."""
    return any(
        char not in BLANK_LETTERS and unicodedata.category(char) not in INVISIBLE_CATEGORIES
        for char in text
    )


class Visible:
    """A validator: the answer must show something, not only invisible characters."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and field.data and not has_visible_character(field.data):
            raise StopValidation(self.message)


class CleanForm(FlaskForm):
    """A FlaskForm whose every text field is cleaned (see clean_text) before validation,
    and which reads only typed fields: nothing here uploads a file or takes JSON."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            options["filters"] = (clean_text, *options.get("filters", ()))
            return unbound_field.bind(form=form, **options)

        def wrap_formdata(self, form, formdata):
            """A field sent as a file part, or a form sent as JSON, counts as not sent,
            so it gets the field's own clear message instead of a server error."""
            wrapped = super().wrap_formdata(form, formdata)
            if wrapped is None or wrapped is formdata:
                return wrapped
            return request.form


class ChoiceField(RadioField):
    """Radios whose 'not a valid choice' message reads like the rest of the form.

    With `validate_choice=False` the form's own validate_<name> checks the answer
    (for choices that depend on the moment, such as the days that can be booked).
    """

    def pre_validate(self, form) -> None:
        if self.validate_choice and self.data not in {choice.value for choice in self.choices}:
            raise ValidationError("Select one of the options shown")


class RequiredWhen:
    """A validator for a question revealed by another answer (GOV.UK's conditional
    reveal): required when `other` has `value` (among its answers, for checkboxes),
    otherwise ignored entirely, whatever it holds."""

    def __init__(self, other: str, value: str, message: str) -> None:
        self.other, self.value, self.message = other, value, message

    def applies(self, form) -> bool:
        answer = form[self.other].data
        return self.value in answer if isinstance(answer, list) else answer == self.value

    def __call__(self, form, field) -> None:
        if not self.applies(form):
            field.errors[:] = []
            raise StopValidation()
        if not field.data:
            field.errors[:] = []
            raise StopValidation(self.message)


class SetAsideWhen:
    """A validator for a question that does not apply when `other` has `value`: the
    answer is neither required nor checked (put it first in the field's validators)."""

    def __init__(self, other: str, value: str) -> None:
        self.other, self.value = other, value

    def __call__(self, form, field) -> None:
        if form[self.other].data == self.value:
            field.errors[:] = []
            raise StopValidation()


def options(*pairs: tuple[str, str]) -> list[SelectChoice]:
    """Choices for a field, as (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


YES_NO = options(("yes", "Yes"), ("no", "No"))


def yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; unknown values are refused, not ignored."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        """Each choice counts once, however often it was sent; with unknown values
        refused, there can be no more answers than options."""
        super().process_formdata(list(dict.fromkeys(valuelist)))

    def pre_validate(self, form) -> None:
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError("Select only from the options shown")


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: a number a database id can be, or the route does not
    match (404), instead of an overflow deep in the database driver."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_DATABASE_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def database_id(text: str) -> int:
    """An id typed in a query string; ValueError unless a database could hold it."""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_DATABASE_ID:
        raise ValueError(f"not an id: {text[:20]!r}")
    return int(text)


# The days a form or an address may name: any a person could mean, and far from the
# calendar's ends (year 1, year 9999), where a day added or a time zone applied would
# overflow instead of answering.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
DAYS_WE_TAKE = "between 1 January 2000 and 31 December 2099"


class DayWeTake:
    """A validator for a date field: its day, if any, is between FIRST_DAY and LAST_DAY."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data is not None and not FIRST_DAY <= field.data <= LAST_DAY:
            raise ValidationError(self.message)


def day_we_take(text: str) -> date:
    """A day typed in a query string, as 2026-11-25; ValueError unless it is one, between
    FIRST_DAY and LAST_DAY."""
    if not text.isascii() or len(text) != len("2026-11-25"):
        raise ValueError(f"not a day: {text[:20]!r}")
    day = date.fromisoformat(text)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"not a day we take: {text!r}")
    return day


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"


def normalised_email(text: str) -> str:
    """The address as email-validator writes it (no DNS lookup), or ValidationError."""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError(EMAIL_FORMAT) from None
