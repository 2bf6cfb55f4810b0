"""The callback request form. Field names are a public contract: keep them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from wtforms import BooleanField, EmailField, HiddenField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from intake.domain.callback_times import (
    WINDOWS,
    WINDOWS_BY_CODE,
    bookable_days,
    day_label,
    is_bookable,
    open_windows,
)
from intake.domain.callbacks import ASAP, LATER, NEEDS, TOPICS, CallbackAnswers
from intake.domain.country import profile_for
from intake.domain.estimate import wait_words
from intake.domain.phones import InvalidPhone, example_mobile, parse_phone
from intake.formtools import (
    YES_NO,
    CheckboxesField,
    ChoiceField,
    CleanForm,
    RequiredWhen,
    SetAsideWhen,
    Visible,
    normalised_email,
    options,
    yes_no,
)

NAME_MAX = 80
MESSAGE_MAX = 1000
EMAIL_MAX = 254
RELATIONSHIP_MAX = 60
LANGUAGE_MAX = 40
OTHER_NEEDS_MAX = 500

TOPIC_CHOICES = options(*TOPICS.items())
NEED_CHOICES = options(*NEEDS.items())
PERSON_KNOWS_CHOICES = options(("yes", "Yes"), ("no", "No"), ("not_sure", "I'm not sure"))
SOMEONE_ELSE = "someone_else"
INTERPRETER = "interpreter"


def discreet_question(label: str, description: str) -> ChoiceField:
    """An optional yes/no about contacting the visitor; unanswered means the discreet choice."""
    return ChoiceField(
        f"{label} (optional)", description=description, choices=YES_NO, validators=[Optional()]
    )


def asap_label(minutes: int) -> str:
    """The first choice for when to call, with the same aim the confirmation gives."""
    return f"As soon as possible (we aim to call within {wait_words(minutes)}, day or night)"


# Someone in immediate danger is called as soon as possible: a time chosen for later is
# not asked for, checked or kept (CallbackAnswers.as_queued sets it aside).
IF_IN_DANGER = SetAsideWhen("in_danger", "yes")


def phone_format_hint(region: str) -> str:
    """'A UK number, or an international number starting with +.'"""
    words = profile_for(region).number_words
    return f"{words[0].upper()}{words[1:]}, or an international number starting with +."


def phone_format_error(region: str) -> str:
    """The format error, with an example number of the service's own country."""
    example = example_mobile(region)
    if example is None:
        return "Enter a phone number in the correct format, starting with + and the country code"
    return f"Enter a phone number in the correct format, like {example[0]} or {example[1]}"


def too_long(what: str, limit: int) -> Length:
    return Length(max=limit, message=f"{what} must be {limit} characters or fewer")


class CallbackForm(CleanForm):
    """Fields are declared in page order, which is also the error summary's order.

    Questions revealed by another answer (for someone else, a chosen time, an
    interpreter) are asked only with that answer, and ignored without it.
    """

    in_danger = ChoiceField(
        "Is anyone in immediate danger right now?",
        description="For example, someone has taken too much, is hurt or is at risk of harm.",
        choices=YES_NO,
        validators=[InputRequired("Select yes if anyone is in immediate danger")],
    )
    for_whom = ChoiceField(
        "Who is the call about?",
        choices=options(("me", "Me"), (SOMEONE_ELSE, "Someone else, such as a friend or relative")),
        validators=[InputRequired("Select who the call is about")],
    )
    relationship = StringField(
        "What is your relationship to them?",
        description="For example, partner, parent, friend or colleague.",
        validators=[
            RequiredWhen("for_whom", SOMEONE_ELSE, "Enter your relationship to them"),
            Visible("Enter your relationship to them, in letters we can read"),
            too_long("Relationship", RELATIONSHIP_MAX),
        ],
    )
    person_knows = ChoiceField(
        "Do they know we will call?",
        choices=PERSON_KNOWS_CHOICES,
        validators=[RequiredWhen("for_whom", SOMEONE_ELSE, "Select if they know we will call")],
    )
    ask_for = StringField(
        "Who should we ask for when we call?",
        description=(
            "We will call the number you give below and ask for this person: you or them. "
            "Any name is fine."
        ),
        validators=[
            RequiredWhen("for_whom", SOMEONE_ELSE, "Enter the name we should ask for"),
            Visible("Enter the name we should ask for, in letters we can read"),
            too_long("The name to ask for", NAME_MAX),
        ],
    )
    name = StringField(
        "What should we call you?",
        description="Any name is fine. It does not have to be your full or real name.",
        validators=[
            DataRequired("Enter a name we can use when we call"),
            Visible("Enter a name we can use when we call, in letters we can read"),
            too_long("Name", NAME_MAX),
        ],
    )
    phone = TelField(
        "Which phone number should we call?",
        description=(
            "Your number, or theirs if the call is about someone else and we should speak to them."
        ),
        validators=[DataRequired("Enter the phone number we should call")],
    )
    voicemail_ok = discreet_question(
        "If nobody answers this number, can we leave a voicemail?",
        "If you leave this blank, we will not leave one.",
    )
    say_who_we_are = discreet_question(
        "If someone else answers this number, can we say who we are?",
        "If you leave this blank, we will not say.",
    )
    text_first = discreet_question(
        "Can we send a text to this number before we call?",
        "If you leave this blank, we will not text.",
    )
    email = EmailField(
        "Email address (optional)",
        description="We will email your reference and when we will call. Nothing else.",
        validators=[Optional(), too_long("Email address", EMAIL_MAX)],
    )
    when = ChoiceField(
        "When should we call?",
        description=(
            "We call 24 hours a day, so as soon as possible may be during the night. "
            "If someone is in immediate danger, we call as soon as possible, whatever you "
            "choose here."
        ),
        validators=[IF_IN_DANGER, InputRequired("Select when we should call you")],
    )
    day = ChoiceField(
        "Which day?",
        validate_choice=False,
        validators=[
            IF_IN_DANGER,
            RequiredWhen("when", LATER, "Select the day you would like us to call"),
        ],
    )
    window = ChoiceField(
        "What time?",
        validate_choice=False,
        validators=[
            IF_IN_DANGER,
            RequiredWhen("when", LATER, "Select the time you would like us to call"),
        ],
    )
    topics = CheckboxesField(
        "What would you like to talk about? (optional)",
        description="Select all that apply.",
        choices=TOPIC_CHOICES,
        validators=[Optional()],
    )
    message = TextAreaField(
        "Anything else you would like us to know? (optional)",
        description=f"Up to {MESSAGE_MAX} characters.",
        validators=[Optional(), too_long("Message", MESSAGE_MAX)],
    )
    needs = CheckboxesField(
        "Do you need any of these to talk with us? (optional)",
        description="Select all that apply.",
        choices=NEED_CHOICES,
        validators=[Optional()],
    )
    interpreter_language = StringField(
        "Which language do you need an interpreter for?",
        validators=[
            RequiredWhen("needs", INTERPRETER, "Enter the language you need an interpreter for"),
            Visible("Enter the language you need an interpreter for, in letters we can read"),
            too_long("Language", LANGUAGE_MAX),
        ],
    )
    other_needs = TextAreaField(
        "Is there anything else that would help us talk with you? (optional)",
        description=(
            "For example, you find it hard to hear on the phone, or would like us to speak "
            f"slowly. Up to {OTHER_NEEDS_MAX} characters."
        ),
        validators=[Optional(), too_long("Other communication needs", OTHER_NEEDS_MAX)],
    )
    consent = BooleanField(
        "I agree that you can keep these details, including anything about health, "
        "drinking or drug use, to call me back",
        validators=[DataRequired("Select the box to agree, so that we can call you back")],
    )
    website = StringField("Leave this box empty")
    # The form's own id, given to one visitor for a while (intake.public.submission_token):
    # sent again, it makes no second request.
    submission_token = HiddenField()
    source_page = HiddenField()

    def __init__(
        self, *args, now: datetime, zone: ZoneInfo, region: str, asap_minutes: int, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.now, self.zone, self.region = now, zone, region
        self.asap_minutes = asap_minutes
        self.phone.description = f"{self.phone.description} {phone_format_hint(region)}"
        today = now.astimezone(zone).date()
        self.when.choices = options((ASAP, asap_label(asap_minutes)), (LATER, "At a time I choose"))
        self.day.choices = options(
            *((day.isoformat(), self._day_choice(day, today)) for day in bookable_days(now, zone))
        )
        self.window.choices = options(*((w.code, w.label) for w in WINDOWS))
        self.e164: str | None = None

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def first_window_today(self) -> str | None:
        """The code of today's first window still open (site.js offers none before it)."""
        still_open = open_windows(self.today, self.now, self.zone)
        return still_open[0].code if still_open else None

    def _day_choice(self, day: date, today: date) -> str:
        """A day's label; today's says from when, as earlier times have gone."""
        label = day_label(day, today)
        if day != today:
            return label
        first = open_windows(day, self.now, self.zone)[0]
        return label if first == WINDOWS[0] else f"{label}, from {first.start_label}"

    def validate_phone(self, field) -> None:
        try:
            self.e164 = parse_phone(field.data, self.region)
        except InvalidPhone:
            raise ValidationError(phone_format_error(self.region)) from None

    def validate_email(self, field) -> None:
        field.data = normalised_email(field.data)

    def validate_website(self, field) -> None:
        if field.data:
            raise ValidationError("Leave the box labelled 'Leave this box empty' empty")

    def validate_day(self, field) -> None:
        """Reached only with a chosen time (RequiredWhen stops it otherwise)."""
        if self._chosen_day() not in bookable_days(self.now, self.zone):
            raise ValidationError("Select one of the days shown")

    def validate_window(self, field) -> None:
        window = WINDOWS_BY_CODE.get(field.data)
        if window is None:
            raise ValidationError("Select one of the times shown")
        day = self._chosen_day()
        if day and not is_bookable(day, window, self.now, self.zone):
            raise ValidationError("That time has passed. Select a later time or another day")

    def _chosen_day(self) -> date | None:
        try:
            return date.fromisoformat(self.day.data or "")
        except ValueError:
            return None

    def answers(self, source_pages: frozenset[str]) -> CallbackAnswers:
        """The validated answers, as the domain takes them; a revealed question
        counts only with the answer that reveals it."""
        later = self.when.data == LATER
        return CallbackAnswers(
            name=self.name.data,
            phone=self.e164 or "",
            email=self.email.data or None,
            when=self.when.data or ASAP,
            day=self._chosen_day() if later else None,
            window=self.window.data if later else None,
            for_whom=self.for_whom.data,
            topics=tuple(self.topics.data or ()),
            voicemail_ok=yes_no(self.voicemail_ok.data),
            say_who_we_are=yes_no(self.say_who_we_are.data),
            text_first=yes_no(self.text_first.data),
            in_danger=yes_no(self.in_danger.data) is True,
            message=self.message.data or None,
            source_page=self.source_page.data if self.source_page.data in source_pages else None,
            **self._third_party(),
            **self._communication(),
        )

    def _third_party(self) -> dict[str, str | None]:
        if self.for_whom.data != SOMEONE_ELSE:
            return {}
        return {
            "relationship": self.relationship.data,
            "person_knows": self.person_knows.data,
            "ask_for": self.ask_for.data,
        }

    def _communication(self) -> dict[str, object]:
        needs = tuple(self.needs.data or ())
        language = self.interpreter_language.data if INTERPRETER in needs else None
        return {
            "needs": needs,
            "interpreter_language": language,
            "other_needs": self.other_needs.data or None,
        }


class WithdrawForm(CleanForm):
    secret = HiddenField(validators=[InputRequired(), Length(max=100)])
