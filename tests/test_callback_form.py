"""The callback form field by field: what it accepts, what it refuses and what it says."""

import pytest
import time_machine

from intake.public import form_page
from intake.public import views as public_views
from tests.conftest import CallbackVisitor, page
from tests.factories import FORM_FIELDS, utc

NOW = utc(2026, 11, 25, 14, 0)

pytestmark = pytest.mark.pages_only


def errors_by_field(response) -> dict[str, str]:
    """The error summary as {field id: message}."""
    summary = page(response).select(".error-summary a")
    return {link["href"].lstrip("#"): link.get_text(strip=True) for link in summary}


def test_the_form_names_every_field_of_the_public_contract(visitor):
    form = visitor.open_form()
    names = {field["name"] for field in form.select("form [name]")}
    assert set(FORM_FIELDS) <= names


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
        ({"phone": "12345"}, "phone", "Enter a phone number in the correct format"),
        ({"phone": "call me"}, "phone", "Enter a phone number in the correct format"),
        ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
        ({"email": "a@b"}, "email", "Enter an email address in the correct format"),
        ({"when": None}, "when-0", "Select when we should call you"),
        ({"when": "tomorrow"}, "when-0", "Select one of the options shown"),
        ({"when": "later"}, "day-0", "Select the day you would like us to call"),
        ({"for_whom": None}, "for_whom-0", "Select who the call is about"),
        ({"topics": ["alcohol", "gambling"]}, "topics-0", "Select only from the options"),
        ({"voicemail_ok": "maybe"}, "voicemail_ok-0", "Select one of the options shown"),
        ({"in_danger": None}, "in_danger-0", "Select yes if anyone is in immediate danger"),
        ({"message": "x" * 1001}, "message", "Message must be 1000 characters or fewer"),
        ({"consent": None}, "consent", "Select the box to agree, so that we can call you back"),
        ({"for_whom": "someone_else"}, "relationship", "Enter your relationship to them"),
        ({"for_whom": "someone_else"}, "person_knows-0", "Select if they know we will call"),
        ({"for_whom": "someone_else"}, "ask_for", "Enter the name we should ask for"),
        (
            {"for_whom": "someone_else", "person_knows": "perhaps"},
            "person_knows-0",
            "Select one of the options shown",
        ),
        (
            {"for_whom": "someone_else", "relationship": "x" * 61},
            "relationship",
            "Relationship must be 60 characters or fewer",
        ),
        (
            {"for_whom": "someone_else", "ask_for": "\u3164"},
            "ask_for",
            "Enter the name we should ask for, in letters we can read",
        ),
        (
            {"needs": ["interpreter"]},
            "interpreter_language",
            "Enter the language you need an interpreter for",
        ),
        (
            {"needs": ["interpreter"], "interpreter_language": "x" * 41},
            "interpreter_language",
            "Language must be 40 characters or fewer",
        ),
        ({"needs": ["semaphore"]}, "needs-0", "Select only from the options"),
        (
            {"other_needs": "x" * 501},
            "other_needs",
            "Other communication needs must be 500 characters or fewer",
        ),
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
    options = [o["value"] for o in visitor.open_form().select("input[name=day]")]
    assert options[0] == "2026-11-25"
    assert options[-1] == "2026-12-01"
    assert len(options) == 7


@time_machine.travel(utc(2026, 11, 25, 15, 0), tick=False)
@pytest.mark.parametrize(
    ("day", "window", "field", "message"),
    [
        ("2026-11-25", "08-10", "window-0", "That time has passed. Select a later time"),
        ("2026-12-02", "10-12", "day-0", "Select one of the days shown"),
        ("2026-11-24", "10-12", "day-0", "Select one of the days shown"),
        ("yesterday", "10-12", "day-0", "Select one of the days shown"),
        ("2026-11-26", "03-05", "window-0", "Select one of the times shown"),
        ("2026-11-26", "", "window-0", "Select the time you would like us to call"),
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


@time_machine.travel(utc(2026, 12, 7, 14, 0), tick=False)
@pytest.mark.parametrize(
    "chosen",
    [
        {"when": "later", "day": "2026-12-11", "window": "20-22"},
        {"when": "later", "day": "yesterday", "window": "nonsense"},
        {"when": None, "day": None, "window": None},
    ],
    ids=["a time next week", "a time that could not be booked", "no answer"],
)
def test_someone_in_danger_is_always_asked_for_as_soon_as_possible(stored, visitor, chosen):
    response = visitor.submit(in_danger="yes", **chosen)
    assert response.status_code == 303, errors_by_field(response)
    answers = stored.answers()
    assert (answers["when"], answers["day"], answers["window"]) == ("asap", None, None)
    assert answers["chosen_time_set_aside"] is (chosen["when"] == "later")
    assert stored.only().due_at == utc(2026, 12, 7, 14, 15)


def test_the_form_tells_a_visitor_in_danger_to_call_the_emergency_number_above_the_button(
    visitor,
):
    form = visitor.open_form()
    button = form.select_one("form button[type=submit]")
    warning = button.find_previous_sibling()
    assert warning.has_attr("data-if-in-danger")
    assert "If anyone is in immediate danger, call 999 now" in warning.get_text(" ", strip=True)
    assert "we call as soon as possible, whatever you choose here" in form.select_one(
        "#when-hint"
    ).get_text(" ", strip=True)


def test_every_question_that_may_be_left_blank_says_optional_in_its_label(visitor):
    form = visitor.open_form()
    blank_ok = {
        "voicemail_ok",
        "say_who_we_are",
        "text_first",
        "email",
        "topics",
        "message",
        "needs",
        "other_needs",
    }
    for name in blank_ok:
        control = form.select_one(f"[name={name}]")
        group = control.find_parent(class_="field")
        label = group.select_one("legend, label").get_text(" ", strip=True)
        assert label.endswith("(optional)"), label
    response = visitor.submit(**{name: None for name in blank_ok})
    assert response.status_code == 303, errors_by_field(response)


@time_machine.travel(utc(2026, 12, 5, 15, 30), tick=False)
def test_today_says_from_when_and_marks_the_times_gone_for_the_script(visitor):
    form = visitor.open_form()
    today = form.select_one("input[name=day][value='2026-12-05']")
    label = form.select_one(f"label[for={today['id']}]").get_text(" ", strip=True)
    assert label == "Today (Saturday 5 December), from 2pm"
    times = form.select_one("[data-first-window-today]")
    assert (times["data-today"], times["data-first-window-today"]) == ("2026-12-05", "14-16")


def test_calling_about_someone_else_says_whose_number_we_call_and_whom_we_ask_for(visitor):
    form = visitor.open_form()
    ask_for = form.select_one("#ask_for-hint").get_text(" ", strip=True)
    phone_label = form.select_one("label[for=phone]").get_text(" ", strip=True)
    phone_hint = form.select_one("#phone-hint").get_text(" ", strip=True)
    assert "We will call the number you give below and ask for this person" in ask_for
    assert phone_label == "Which phone number should we call?"
    assert "or theirs if the call is about someone else" in phone_hint


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
    response = visitor.submit(
        name="",
        in_danger=None,
        consent=None,
        for_whom="someone_else",
        when=None,
        needs=["interpreter"],
        other_needs="x" * 501,
    )
    summary_order = list(errors_by_field(response))
    page_order = [
        control["id"]
        for control in page(response).select("form input, form select, form textarea")
        if control.get("id") in summary_order
    ]
    assert (
        summary_order
        == page_order
        == [
            "in_danger-0",
            "relationship",
            "person_knows-0",
            "ask_for",
            "name",
            "when-0",
            "interpreter_language",
            "other_needs",
            "consent",
        ]
    )


def first_control_ids(form) -> list[str]:
    """Each question's name, in the order its first control comes on the page."""
    names = []
    for control in form.select("form input:not([type=hidden]), form textarea"):
        if control["name"] not in names and control["name"] != "website":
            names.append(control["name"])
    return names


def test_the_questions_come_in_the_order_an_assessor_asks_them(visitor):
    """Danger; who the call is about; how to reach you; when; about the call;
    communication needs; consent."""
    assert first_control_ids(visitor.open_form()) == [
        "in_danger",
        "for_whom",
        "relationship",
        "person_knows",
        "ask_for",
        "name",
        "phone",
        "voicemail_ok",
        "say_who_we_are",
        "text_first",
        "email",
        "when",
        "day",
        "window",
        "topics",
        "message",
        "needs",
        "interpreter_language",
        "other_needs",
        "consent",
    ]


@pytest.mark.parametrize(
    ("option", "revealed"),
    [
        ("#for_whom-1", ["relationship", "person_knows-0", "ask_for"]),
        ("#when-1", ["day-0", "window-0"]),
        ("#needs-0", ["interpreter_language"]),
    ],
)
def test_an_option_names_the_questions_it_reveals_which_show_without_javascript(
    visitor, option, revealed
):
    form = visitor.open_form()
    block = form.select_one(f"#{form.select_one(option)['data-reveals']}")
    assert "hidden" not in block.attrs, "without JavaScript every question is shown"
    assert block.find_previous_sibling("div", class_="choice").select_one(option)
    for control in revealed:
        assert block.select_one(f"#{control}"), control


def test_the_revealed_questions_sit_in_fieldsets_with_legends(visitor):
    form = visitor.open_form()
    for option in ("#for_whom-1", "#when-1"):
        block = form.select_one(f"#{form.select_one(option)['data-reveals']}")
        legend = block.select_one("fieldset > legend")
        assert legend.get_text(strip=True).startswith("If ")
        hint = block.select_one("fieldset")["aria-describedby"]
        assert "Only if you chose" in form.select_one(f"#{hint}").get_text()


def test_the_day_and_the_time_are_radios_not_drop_down_lists(visitor):
    form = visitor.open_form()
    assert not form.select("select")
    assert form.select("input[type=radio][name=day]")
    assert len(form.select("input[type=radio][name=window]")) == 8


def test_the_email_question_says_exactly_what_we_send(visitor):
    assert visitor.open_form().select_one("#email-hint").get_text() == (
        "We will email your reference and when we will call. Nothing else."
    )


def test_the_discreet_questions_are_about_the_number_given(visitor):
    form = visitor.open_form()
    for name in ("voicemail_ok", "say_who_we_are", "text_first"):
        legend = form.select_one(f"#{name}-0").find_parent("fieldset").legend.get_text()
        assert "this number" in legend, legend


def test_as_soon_as_possible_gives_the_target_and_says_it_covers_the_night(visitor):
    form = visitor.open_form()
    assert form.select_one("label[for=when-0]").get_text() == (
        "As soon as possible (we aim to call within 15 minutes, day or night)"
    )
    assert "during the night" in form.select_one("#when-hint").get_text()


def test_calling_for_someone_else_keeps_who_they_are_whether_they_know_and_whom_to_ask_for(
    stored, visitor
):
    visitor.submit(
        for_whom="someone_else", relationship="partner", person_knows="no", ask_for="Sam"
    )
    answers = stored.answers()
    assert (answers["relationship"], answers["person_knows"], answers["ask_for"]) == (
        "partner",
        "no",
        "Sam",
    )


def test_answers_about_someone_else_are_ignored_when_the_call_is_about_the_visitor(stored, visitor):
    visitor.submit(for_whom="me", relationship="partner", person_knows="maybe", ask_for="Sam")
    answers = stored.answers()
    assert (answers["relationship"], answers["person_knows"], answers["ask_for"]) == (
        None,
        None,
        None,
    )


def test_communication_needs_are_kept_as_chosen(stored, visitor):
    visitor.submit(
        needs=["interpreter", "bsl", "relay_uk"],
        interpreter_language="Polish",
        other_needs="I am hard of hearing",
    )
    answers = stored.answers()
    assert answers["needs"] == ["interpreter", "bsl", "relay_uk"]
    assert answers["interpreter_language"] == "Polish"
    assert answers["other_needs"] == "I am hard of hearing"


def test_a_language_without_the_interpreter_ticked_is_ignored(stored, visitor):
    visitor.submit(needs=["bsl"], interpreter_language="Polish")
    assert stored.answers()["interpreter_language"] is None
    assert stored.answers()["needs"] == ["bsl"]


TOKENS = ("csrf_token", "submission_token")


def without_tokens(form_page) -> str:
    for name in TOKENS:
        form_page.select_one(f"input[name={name}]")["value"] = ""
    return str(form_page)


@time_machine.travel(utc(2026, 11, 25, 10, 0, 30), tick=False)
def test_visitors_share_the_blank_form_but_each_gets_their_own_tokens(app, stored):
    visitors = [CallbackVisitor(app.test_client()) for _ in range(3)]
    pages = [visitor.open_form() for visitor in visitors]
    for name in TOKENS:
        values = {form.select_one(f"input[name={name}]")["value"] for form in pages}
        assert len(values) == 3 and "" not in values
    assert len({without_tokens(form) for form in pages}) == 1
    for visitor in reversed(visitors):  # each token works only for its own visitor
        assert visitor.submit().status_code == 303
    assert stored.count() == 3


def test_a_visitors_form_token_does_not_work_in_another_visitors_session(app, stored):
    first, second = CallbackVisitor(app.test_client()), CallbackVisitor(app.test_client())
    first_form = first.filled_form()
    second.open_form()
    response = second.resend(first_form)
    assert response.status_code == 400
    assert stored.count() == 0


def test_the_shared_form_keeps_each_visitors_guide_page(visitor):
    sources = ["side-effects", "how-to-take", "nowhere", "side-effects"]
    expected = ["side-effects", "how-to-take", "", "side-effects"]
    for source, kept in zip(sources, expected, strict=True):
        hidden = visitor.hidden_fields(visitor.open_form(f"?from={source}"))
        assert hidden["source_page"] == kept


def test_the_shared_form_moves_on_with_the_clock(visitor):
    with time_machine.travel(utc(2026, 11, 25, 21, 59, 30), tick=False):
        late = [o["value"] for o in visitor.open_form().select("input[name=day]")]
    with time_machine.travel(utc(2026, 11, 26, 0, 0, 30), tick=False):
        next_day = [o["value"] for o in visitor.open_form().select("input[name=day]")]
    assert late[0] == "2026-11-25"
    assert next_day[0] == "2026-11-26"


def test_the_shared_blank_form_holds_nothing_of_any_visitor(app):
    """Rendered for two visitors (two sessions), the shared page is the same bytes: the
    only per-visitor values are the tokens in the slots the template declares. A
    template that wrote anything else of a visitor's (a second CSRF token, something
    from the session) would fail here, rather than show it to others for a minute."""
    pages = []
    for _visitor in range(2):
        with app.test_request_context("/callback"):
            pages.append(public_views.shared_blank_form("", NOW))
    assert pages[0] == pages[1]
    for slot in form_page.SLOTS.values():
        assert pages[0].count(slot) == 1


def test_a_page_without_each_slot_exactly_once_is_never_shared():
    with pytest.raises(form_page.UndeclaredSlot):
        form_page.shared("<p>a real token, not a slot</p>")
    twice = "".join(form_page.SLOTS.values()) + form_page.SLOTS["csrf"]
    with pytest.raises(form_page.UndeclaredSlot):
        form_page.shared(twice)


def test_each_visitors_tokens_go_into_the_slots_escaped():
    page = form_page.shared("<i>{csrf}</i><b>{submission}</b>".format(**form_page.SLOTS))
    filled = form_page.with_tokens(page, {"csrf": "one", "submission": 'two"<'})
    assert filled == "<i>one</i><b>two&#34;&lt;</b>"
