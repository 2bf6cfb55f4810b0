"""Form pieces shared by every audience: text hygiene and the field types we use."""

import unicodedata

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField, widgets
from wtforms.validators import ValidationError

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


class CleanForm(FlaskForm):
    """A FlaskForm whose every text field is cleaned (see clean_text) before validation."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            options["filters"] = (clean_text, *options.get("filters", ()))
            return unbound_field.bind(form=form, **options)


class ChoiceField(RadioField):
    """Radios whose 'not a valid choice' message reads like the rest of the form."""

    def pre_validate(self, form) -> None:
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError("Choose one of the options shown")


class DependentSelectField(SelectField):
    """A select that matters only with some other answer: the form validates it then."""

    def pre_validate(self, form) -> None:
        """Checked by the form's own validate_<name>, only when it applies."""


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

    def pre_validate(self, form) -> None:
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError("Choose only from the options shown")
