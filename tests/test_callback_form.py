"""The callback form field by field: what it accepts, what it refuses and what it says."""

import pytest
import time_machine

from tests.conftest import page
from tests.factories import utc


def errors_by_field(response) -> dict[str, str]:
    """The error summary as {field id: message}."""
    summary = page(response).select(".error-summary a")
    return {link["href"].lstrip("#"): link.get_text(strip=True) for link in summary}


def test_the_form_names_every_field_of_the_public_contract(visitor):
    form = visitor.open_form()
    names = {field["name"] for field in form.select("form [name]")}
    contract = {
        "name", "phone", "email", "when", "day", "window", "for_whom", "topics",
        "voicemail_ok", "say_who_we_are", "text_first", "in_danger", "message", "consent",
    }  # fmt: skip
    assert contract <= names


def test_every_input_has_a_label_and_every_group_a_legend(visitor):
    form = visitor.open_form()
    for control in form.select("form input:not([type=hidden]), form select, form textarea"):
        assert form.select_one(f"label[for='{control['id']}']"), control["id"]
    assert len(form.select("fieldset legend")) >= 8


def test_fields_carry_autocomplete_and_input_modes(visitor):
    form = visitor.open_form()
    assert form.select_one("#name")["autocomplete"] == "name"
    assert form.select_one("#phone")["autocomplete"] == "tel"
    assert form.select_one("#phone")["inputmode"] == "tel"
    assert form.select_one("#email")["autocomplete"] == "email"


def test_the_form_names_the_time_zone_of_the_call_times(visitor):
    assert "Times are UK time" in visitor.open_form().get_text()


def test_a_valid_request_is_stored_and_redirects(stored, visitor):
    response = visitor.submit()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/callback/received")
    assert stored.count() == 1


def test_the_phone_is_stored_in_e164(stored, visitor):
    visitor.submit(phone="+44 (0)7400 123456")
    assert stored.answers()["phone"] == "+447400123456"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name we can use when we call"),
        ({"name": "   "}, "name", "Enter a name we can use when we call"),
        ({"name": "x" * 81}, "name", "Name must be 80 characters or fewer"),
        ({"phone": ""}, "phone", "Enter the phone number we should call"),
        ({"phone": "12345"}, "phone", "Enter a phone number in the right format"),
        ({"phone": "call me"}, "phone", "Enter a phone number in the right format"),
        ({"email": "not-an-email"}, "email", "Enter an email address in the right format"),
        ({"email": "a@b"}, "email", "Enter an email address in the right format"),
        ({"when": None}, "when-0", "Choose when we should call you"),
        ({"when": "tomorrow"}, "when-0", "Choose one of the options shown"),
        ({"when": "later"}, "day", "Choose the day you would like us to call"),
        ({"for_whom": None}, "for_whom-0", "Choose who the call is about"),
        ({"topics": ["alcohol", "gambling"]}, "topics-0", "Choose only from the options"),
        ({"voicemail_ok": "maybe"}, "voicemail_ok-0", "Choose one of the options shown"),
        ({"in_danger": None}, "in_danger-0", "Tell us if anyone is in immediate danger"),
        ({"message": "x" * 1001}, "message", "Message must be 1000 characters or fewer"),
        ({"consent": None}, "consent", "Tick the box to agree"),
    ],
)
def test_a_mistake_is_named_in_the_summary_and_nothing_is_stored(
    stored, visitor, overrides, field, message
):
    response = visitor.submit(**overrides)
    assert response.status_code == 400
    assert message in errors_by_field(response)[field]
    assert stored.count() == 0


def test_errors_show_beside_their_field_and_in_the_title(visitor):
    response = visitor.submit(name="", phone="12")
    html = page(response)
    assert html.title.get_text().startswith("Error: ")
    assert "Enter a name" in html.select_one("#name-error").get_text()
    assert html.select_one("#name")["aria-invalid"] == "true"
    assert "name-error" in html.select_one("#name")["aria-describedby"]


def test_every_typed_value_is_kept_after_a_mistake(visitor):
    response = visitor.submit(
        name="Zoë",
        phone="12",
        email="zoe@example.org",
        topics=["cocaine", "other"],
        voicemail_ok="yes",
        message="Evenings are best",
        for_whom="someone_else",
    )
    html = page(response)
    assert html.select_one("#name")["value"] == "Zoë"
    assert html.select_one("#phone")["value"] == "12"
    assert html.select_one("#email")["value"] == "zoe@example.org"
    assert html.select_one("#message").get_text().removeprefix("\r\n") == "Evenings are best"
    checked = {(box["name"], box["value"]) for box in html.select("input[checked]")}
    assert {("topics", "cocaine"), ("topics", "other"), ("voicemail_ok", "yes")} <= checked
    assert ("for_whom", "someone_else") in checked


def test_email_is_optional_and_normalised(stored, visitor):
    visitor.submit(email="Sam@Example.ORG")
    assert stored.answers()["email"] == "Sam@example.org"


def test_optional_answers_left_blank_are_stored_as_not_given(stored, visitor):
    visitor.submit(email=None, topics=None, voicemail_ok=None, say_who_we_are=None, message=None)
    answers = stored.answers()
    assert answers["email"] is None
    assert answers["topics"] == []
    assert answers["voicemail_ok"] is None
    assert answers["say_who_we_are"] is None


def test_all_topics_can_be_chosen_together(stored, visitor):
    topics = ["alcohol", "cocaine", "opioids", "prescription", "other", "prefer_not_to_say"]
    visitor.submit(topics=topics)
    assert stored.answers()["topics"] == topics


def test_discreet_contact_choices_are_stored_as_answered(stored, visitor):
    visitor.submit(voicemail_ok="yes", say_who_we_are="no", text_first="no")
    answers = stored.answers()
    assert (answers["voicemail_ok"], answers["say_who_we_are"], answers["text_first"]) == (
        True,
        False,
        False,
    )


@time_machine.travel(utc(2026, 11, 25, 10, 0), tick=False)
def test_a_chosen_day_and_time_is_stored_and_due_then(stored, visitor):
    visitor.submit(when="later", day="2026-11-27", window="18-20")
    answers = stored.answers()
    assert (answers["day"], answers["window"]) == ("2026-11-27", "18-20")
    assert stored.only().due_at == utc(2026, 11, 27, 18, 0)


@time_machine.travel(utc(2026, 11, 25, 10, 0), tick=False)
def test_the_day_list_offers_today_and_the_next_six_days(visitor):
    options = [o["value"] for o in visitor.open_form().select("#day option") if o["value"]]
    assert options[0] == "2026-11-25"
    assert options[-1] == "2026-12-01"
    assert len(options) == 7


@time_machine.travel(utc(2026, 11, 25, 15, 0), tick=False)
@pytest.mark.parametrize(
    ("day", "window", "field", "message"),
    [
        ("2026-11-25", "08-10", "window", "That time has passed"),
        ("2026-12-02", "10-12", "day", "Choose one of the days shown"),
        ("2026-11-24", "10-12", "day", "Choose one of the days shown"),
        ("yesterday", "10-12", "day", "Choose one of the days shown"),
        ("2026-11-26", "03-05", "window", "Choose one of the times shown"),
        ("2026-11-26", "", "window", "Choose the time you would like us to call"),
    ],
)
def test_a_time_that_cannot_be_booked_is_refused(stored, visitor, day, window, field, message):
    response = visitor.submit(when="later", day=day, window=window)
    assert message in errors_by_field(response)[field]
    assert stored.count() == 0


def test_a_day_and_time_are_ignored_when_asap_is_chosen(stored, visitor):
    visitor.submit(when="asap", day="not-a-day", window="nonsense")
    answers = stored.answers()
    assert (answers["when"], answers["day"], answers["window"]) == ("asap", None, None)


def test_the_page_it_came_from_travels_with_the_request(stored, visitor):
    visitor.submit(query="?from=side-effects")
    assert stored.only().source_page == "side-effects"


def test_an_unknown_source_page_is_not_stored(stored, visitor):
    visitor.submit(query="?from=https://evil.example")
    assert stored.only().source_page is None


def test_the_danger_question_points_to_the_emergency_number_at_once(visitor):
    form = visitor.open_form()
    note = form.select_one("#in_danger-0").find_parent("div", class_="field").find_next_sibling()
    assert note.select_one("a[href='tel:999']")
    assert "Do not wait for our call" in note.get_text()


def test_the_error_summary_lists_mistakes_in_page_order(visitor):
    response = visitor.submit(name="", in_danger=None, consent=None, for_whom=None)
    summary_order = list(errors_by_field(response))
    page_order = [
        control["id"]
        for control in page(response).select("form input, form select, form textarea")
        if control.get("id") in summary_order
    ]
    assert summary_order == page_order == ["in_danger-0", "name", "for_whom-0", "consent"]
