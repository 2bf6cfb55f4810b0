"""The callback request form. Field names are a public contract: keep them."""

import secrets
from datetime import date, datetime
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from wtforms import BooleanField, EmailField, HiddenField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from intake.domain.callback_times import (
    WINDOWS,
    WINDOWS_BY_CODE,
    bookable_days,
    day_label,
    is_bookable,
)
from intake.domain.callbacks import TOPICS, CallbackAnswers
from intake.domain.phones import InvalidPhone, parse_phone
from intake.formtools import (
    YES_NO,
    CheckboxesField,
    ChoiceField,
    CleanForm,
    DependentSelectField,
    Visible,
    options,
    yes_no,
)

NAME_MAX = 80
MESSAGE_MAX = 1000
EMAIL_MAX = 254

TOPIC_CHOICES = options(*TOPICS.items())


def discreet_question(label: str, description: str) -> ChoiceField:
    """An optional yes/no about contacting the visitor; unanswered means the discreet choice."""
    return ChoiceField(label, description=description, choices=YES_NO, validators=[Optional()])


class CallbackForm(CleanForm):
    """Fields are declared in page order, which is also the error summary's order."""

    in_danger = ChoiceField(
        "Is anyone in immediate danger right now?",
        description="For example, someone has taken too much, is hurt or is at risk of harm.",
        choices=YES_NO,
        validators=[InputRequired("Tell us if anyone is in immediate danger")],
    )
    name = StringField(
        "What should we call you?",
        description="Any name is fine. It does not have to be your full or real name.",
        validators=[
            DataRequired("Enter a name we can use when we call"),
            Visible("Enter a name we can use when we call, in letters we can read"),
            Length(max=NAME_MAX, message=f"Name must be {NAME_MAX} characters or fewer"),
        ],
    )
    phone = TelField(
        "Phone number",
        description="A UK number, or an international number starting with +.",
        validators=[DataRequired("Enter the phone number we should call")],
    )
    email = EmailField(
        "Email address (optional)",
        description="Only if you would like an email as well. We will never send marketing.",
        validators=[
            Optional(),
            Length(max=EMAIL_MAX, message=f"Email address must be {EMAIL_MAX} characters or fewer"),
        ],
    )
    when = ChoiceField(
        "When should we call?",
        choices=options(("asap", "As soon as possible"), ("later", "At a time I choose")),
        validators=[InputRequired("Choose when we should call you")],
    )
    day = DependentSelectField("Day")
    window = DependentSelectField("Time")
    for_whom = ChoiceField(
        "Who is the call about?",
        choices=options(
            ("me", "Me"), ("someone_else", "Someone else, such as a friend or relative")
        ),
        validators=[InputRequired("Choose who the call is about")],
    )
    topics = CheckboxesField(
        "What would you like to talk about? (optional)",
        description="Select all that apply.",
        choices=TOPIC_CHOICES,
        validators=[Optional()],
    )
    voicemail_ok = discreet_question(
        "If you miss our call, can we leave a voicemail?",
        "If you leave this blank, we will not leave one.",
    )
    say_who_we_are = discreet_question(
        "If someone else answers, can we say who we are?",
        "If you leave this blank, we will not say.",
    )
    text_first = discreet_question(
        "Should we send you a text before we call?",
        "If you leave this blank, we will not text.",
    )
    message = TextAreaField(
        "Anything else you would like us to know? (optional)",
        description=f"Up to {MESSAGE_MAX} characters.",
        validators=[
            Optional(),
            Length(max=MESSAGE_MAX, message=f"Message must be {MESSAGE_MAX} characters or fewer"),
        ],
    )
    consent = BooleanField(
        "I agree that you can keep these details, including anything about health, "
        "drinking or drug use, to call me back",
        validators=[DataRequired("Tick the box to agree so that we can call you back")],
    )
    website = StringField("Leave this box empty")
    submission_token = HiddenField()
    source_page = HiddenField()

    def __init__(self, *args, now: datetime, zone: ZoneInfo, region: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now, self.zone, self.region = now, zone, region
        today = now.astimezone(zone).date()
        self.day.choices = options(
            ("", "Choose a day"),
            *((day.isoformat(), day_label(day, today)) for day in bookable_days(now, zone)),
        )
        self.window.choices = options(("", "Choose a time"), *((w.code, w.label) for w in WINDOWS))
        if not self.submission_token.data:
            self.submission_token.data = secrets.token_urlsafe(24)
        self.e164: str | None = None

    def validate_phone(self, field) -> None:
        try:
            self.e164 = parse_phone(field.data, self.region)
        except InvalidPhone:
            raise ValidationError(
                "Enter a phone number in the right format, like 07400 123 456 or +44 7400 123 456"
            ) from None

    def validate_email(self, field) -> None:
        try:
            field.data = validate_email(field.data, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(
                "Enter an email address in the right format, like name@example.com"
            ) from None

    def validate_website(self, field) -> None:
        if field.data:
            raise ValidationError("Leave the box labelled 'Leave this box empty' empty")

    def validate_day(self, field) -> None:
        if self.when.data != "later":
            return
        if not field.data:
            raise ValidationError("Choose the day you would like us to call")
        if self._chosen_day() not in bookable_days(self.now, self.zone):
            raise ValidationError("Choose one of the days shown")

    def validate_window(self, field) -> None:
        if self.when.data != "later":
            return
        if not field.data:
            raise ValidationError("Choose the time you would like us to call")
        window = WINDOWS_BY_CODE.get(field.data)
        if window is None:
            raise ValidationError("Choose one of the times shown")
        day = self._chosen_day()
        if day and not is_bookable(day, window, self.now, self.zone):
            raise ValidationError("That time has passed. Choose a later time or another day")

    def _chosen_day(self) -> date | None:
        try:
            return date.fromisoformat(self.day.data or "")
        except ValueError:
            return None

    def answers(self, source_pages: frozenset[str]) -> CallbackAnswers:
        """The validated answers, as the domain takes them."""
        later = self.when.data == "later"
        return CallbackAnswers(
            name=self.name.data,
            phone=self.e164 or "",
            email=self.email.data or None,
            when=self.when.data,
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
        )


class WithdrawForm(CleanForm):
    secret = HiddenField(validators=[InputRequired(), Length(max=100)])
