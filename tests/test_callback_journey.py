"""From sending the form to the confirmation, and withdrawing: as a visitor sees it."""

import re

import pytest
import time_machine

from intake.domain import states
from intake.domain.references import PATTERN
from tests.conftest import CallbackVisitor, page
from tests.factories import utc


def confirm(visitor, **overrides):
    """Send a valid form and follow the redirect to the confirmation page."""
    response = visitor.submit(**overrides)
    assert response.status_code == 303
    return page(visitor.client.get(response.headers["Location"]))


def test_the_confirmation_shows_the_reference_masked_phone_and_call_back_number(visitor, stored):
    confirmation = confirm(visitor)
    reference = confirmation.select_one(".panel__reference").get_text(strip=True)
    assert PATTERN.match(reference)
    assert reference == stored.only().reference
    text = confirmation.get_text(" ", strip=True)
    assert "ending 3456" in text
    assert "07400" not in text
    assert "We will call from 0808 157 0192" in text


@time_machine.travel(utc(2026, 11, 25, 14, 0), tick=False)
def test_the_confirmation_gives_the_same_aim_as_the_form(visitor):
    label = visitor.open_form().select_one("label[for=when-0]").get_text()
    text = confirm(visitor).get_text(" ", strip=True)
    assert "we aim to call within 15 minutes" in label
    assert "We aim to call within 15 minutes, by about 2:15pm (UK time)" in text


@time_machine.travel(utc(2026, 12, 7, 14, 0), tick=False)
def test_someone_in_danger_is_called_as_soon_as_possible_not_at_the_time_they_chose(
    visitor, stored
):
    text = confirm(
        visitor, in_danger="yes", when="later", day="2026-12-11", window="20-22"
    ).get_text(" ", strip=True)
    assert "we will call as soon as possible, not at the time you chose" in text
    assert "We aim to call within 15 minutes, by about 2:15pm" in text
    assert "Friday 11 December" not in text
    request = stored.only()
    assert request.urgent and request.due_at == utc(2026, 12, 7, 14, 15)
    assert (stored.answers()["when"], stored.answers()["day"]) == ("asap", None)


@time_machine.travel(utc(2026, 7, 1, 9, 0), tick=False)
def test_a_chosen_time_is_confirmed_in_the_service_time_zone(visitor):
    text = confirm(visitor, when="later", day="2026-07-03", window="18-20").get_text(
        " ", strip=True
    )
    assert "call you from Friday 3 July at 6:00pm (UK time)" in text


@pytest.mark.pages_only
def test_the_confirmation_says_what_happens_if_we_miss_you_as_the_visitor_chose(visitor):
    text = confirm(visitor, voicemail_ok="yes", say_who_we_are="no").get_text(" ", strip=True)
    assert "try up to 3 times, about 30 minutes apart, always from 0808 157 0192" in text
    assert "we will leave a short voicemail" in text
    assert "we will not say who we are" in text
    assert "What we will ask on the call" in text


@pytest.mark.pages_only
def test_the_confirmation_promises_no_voicemail_when_none_was_allowed(visitor):
    text = confirm(visitor, voicemail_ok="no", say_who_we_are="yes").get_text(" ", strip=True)
    assert "We will not leave a voicemail, as you asked." in text
    assert "we will say who we are" in text


@pytest.mark.pages_only
def test_a_question_left_blank_is_not_confirmed_as_something_the_visitor_asked(visitor):
    text = confirm(visitor, voicemail_ok=None, say_who_we_are=None).get_text(" ", strip=True)
    assert "We will not leave a voicemail, because you did not say we could." in text
    assert "we will not say who we are or why we are calling, because you did not say" in text
    assert "as you asked" not in text


def test_the_confirmation_shows_its_details_only_once(visitor):
    first = confirm(visitor)
    reference = first.select_one(".panel__reference").get_text(strip=True)
    again = visitor.client.get("/callback/received")
    text = page(again).get_text(" ", strip=True)
    assert reference not in text
    assert "ending 3456" not in text
    assert "does not show any details again" in text


def test_a_copied_receipt_cookie_shows_nothing_once_the_visitor_has_seen_it(app, visitor):
    response = visitor.submit()
    copied = visitor.client.get_cookie("intake_session").value
    assert visitor.client.get(response.headers["Location"]).status_code == 200
    other = app.test_client()
    other.set_cookie("intake_session", copied)
    text = page(other.get("/callback/received")).get_text(" ", strip=True)
    assert "ending 3456" not in text
    assert "does not show any details again" in text
    assert not page(other.get("/callback/received")).select("form[action='/callback/withdraw']")


@pytest.mark.pages_only
def test_form_and_confirmation_pages_are_never_cached(visitor):
    assert visitor.client.get("/callback").headers["Cache-Control"] == "no-store"
    response = visitor.submit()
    assert response.headers["Cache-Control"] == "no-store"
    received = visitor.client.get(response.headers["Location"])
    assert received.headers["Cache-Control"] == "no-store"


def test_an_urgent_request_puts_the_emergency_numbers_first(visitor, stored):
    confirmation = confirm(visitor, in_danger="yes")
    assert stored.only().urgent is True
    main = confirmation.select_one("main")
    first_block = main.find(["div", "h1", "h2"])
    assert "If someone is in danger now" in first_block.get_text()
    emergency = main.select_one(".notice--important")
    assert emergency is first_block
    assert emergency.select_one("a[href='tel:999']")
    assert emergency.select_one("a[href='tel:111']")
    assert emergency.select_one("a[href='tel:116123']")


@pytest.mark.pages_only
def test_a_request_that_is_not_urgent_does_not_lead_with_emergency_numbers(visitor):
    main = confirm(visitor).select_one("main")
    assert main.find(["h1", "h2"]).get_text() == "Request received"


def test_a_double_click_stores_one_request_and_confirms_it(visitor, stored):
    data = visitor.filled_form()
    first = visitor.resend(data)
    second = visitor.resend(data)
    assert first.status_code == second.status_code == 303
    assert stored.count() == 1
    confirmation = page(visitor.client.get(second.headers["Location"]))
    assert confirmation.select_one(".panel__reference").get_text(strip=True) == (
        stored.only().reference
    )


def test_going_back_and_resending_after_seeing_the_confirmation_stores_nothing_new(visitor, stored):
    data = visitor.filled_form()
    visitor.client.get(visitor.resend(data).headers["Location"])
    visitor.resend(data)
    assert stored.count() == 1


def test_two_separate_forms_make_two_requests(visitor, stored):
    visitor.submit()
    visitor.submit()
    assert stored.count() == 2


def test_a_visitor_withdraws_from_the_confirmation_page(visitor, stored):
    confirmation = confirm(visitor)
    form = confirmation.select_one("form[action='/callback/withdraw']")
    data = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    response = visitor.client.post("/callback/withdraw", data=data)
    assert response.status_code == 303
    done = page(visitor.client.get(response.headers["Location"]))
    assert done.h1.get_text() == "Request withdrawn"
    assert stored.only().reference in done.get_text()
    assert stored.only().status == states.WITHDRAWN


def test_the_withdrawal_secret_works_only_once(visitor, stored):
    form = confirm(visitor).select_one("form[action='/callback/withdraw']")
    data = {field["name"]: field["value"] for field in form.select("input[type=hidden]")}
    visitor.client.post("/callback/withdraw", data=data)
    again = visitor.client.post("/callback/withdraw", data=data)
    assert again.status_code == 400
    assert "could not withdraw" in page(again).h1.get_text()
    assert stored.only().status == states.WITHDRAWN


@pytest.mark.pages_only
def test_the_withdrawal_secret_never_appears_in_a_url(visitor):
    confirmation = confirm(visitor)
    secret = confirmation.select_one("input[name=secret]")["value"]
    assert len(secret) >= 40
    hrefs = " ".join(link.get("href", "") for link in confirmation.select("[href]"))
    assert secret not in hrefs
    assert confirmation.select_one("form[action='/callback/withdraw']")["method"] == "post"


def test_a_made_up_withdrawal_changes_nothing(visitor, stored):
    confirm(visitor)
    form = visitor.open_form()
    token = form.select_one("input[name=csrf_token]")["value"]
    response = visitor.client.post(
        "/callback/withdraw", data={"csrf_token": token, "secret": "guess"}
    )
    assert response.status_code == 400
    assert stored.only().status == states.NEW


@pytest.mark.pages_only
def test_the_reference_is_not_in_the_redirect_url(visitor, stored):
    response = visitor.submit()
    assert not re.search(stored.only().reference, response.headers["Location"])


# The submission token makes a resend harmless, for its own visitor, for two hours


def test_a_form_token_copied_to_another_browser_shows_nothing_of_the_request_it_made(
    app, visitor, stored
):
    sent = visitor.filled_form()
    assert visitor.resend(sent).status_code == 303  # stored; not looked at yet
    other = CallbackVisitor(app.test_client())
    copied = {**other.filled_form(name="Alex"), "submission_token": sent["submission_token"]}
    response = other.resend(copied)
    assert response.status_code == 400
    html = page(response)
    text = html.get_text(" ", strip=True)
    reference = stored.only().reference
    assert reference not in text and "3456" not in text
    assert "only in the browser where it was opened" in text
    assert html.select_one("#name")["value"] == "Alex"  # their own answers, kept
    assert html.select_one("input[name=submission_token]")["value"] != sent["submission_token"]
    afterwards = page(other.client.get("/callback/received"))
    assert reference not in afterwards.get_text()
    assert not afterwards.select("form[action='/callback/withdraw']")
    assert stored.count() == 1
    mine = page(visitor.client.get("/callback/received"))  # the visitor's one look
    assert mine.select_one(".panel__reference").get_text(strip=True) == reference


def test_a_form_token_older_than_two_hours_gets_the_form_back_with_the_answers_kept(
    visitor, stored
):
    with time_machine.travel(utc(2026, 11, 25, 10, 0), tick=False):
        data = visitor.filled_form(message="Please call after six")
    with time_machine.travel(utc(2026, 11, 25, 12, 1), tick=False):
        response = visitor.resend(data)
        assert response.status_code == 400
        html = page(response)
        assert "this form works for 2 hours" in html.get_text()
        assert html.select_one("#message").get_text().strip() == "Please call after six"
        assert stored.count() == 0
        assert visitor.resend({**data, **visitor.hidden_fields(html)}).status_code == 303
    assert stored.count() == 1


def test_an_old_form_token_sent_again_shows_nothing_of_the_request_it_made(visitor, stored):
    with time_machine.travel(utc(2026, 11, 25, 10, 0), tick=False):
        data = visitor.filled_form()
        visitor.resend(data)  # stored; the answer never arrived
    with time_machine.travel(utc(2026, 11, 25, 12, 1), tick=False):
        response = visitor.resend(data)
        assert response.status_code == 400
        text = page(response).get_text(" ", strip=True)
        assert stored.only().reference not in text and "3456" not in text
    assert stored.count() == 1


def test_a_resend_from_the_same_browser_within_two_hours_confirms_the_one_request(visitor, stored):
    with time_machine.travel(utc(2026, 11, 25, 10, 0), tick=False):
        data = visitor.filled_form()
        visitor.resend(data)  # stored; the answer never arrived
    with time_machine.travel(utc(2026, 11, 25, 11, 59), tick=False):
        response = visitor.resend(data)
        assert response.status_code == 303
        confirmation = page(visitor.client.get(response.headers["Location"]))
    assert confirmation.select_one(".panel__reference").get_text(strip=True) == (
        stored.only().reference
    )
    assert confirmation.select_one("form[action='/callback/withdraw']")


def test_the_form_sent_again_after_its_confirmation_was_seen_shows_nothing_again(visitor, stored):
    data = visitor.filled_form()
    visitor.client.get(visitor.resend(data).headers["Location"])  # seen
    again = visitor.resend(data)  # back through history, and sent again
    assert again.status_code == 303
    html = page(visitor.client.get(again.headers["Location"]))
    text = html.get_text(" ", strip=True)
    assert stored.only().reference not in text and "3456" not in text
    assert "does not show any details again" in text
    assert not html.select("form[action='/callback/withdraw']")
    assert stored.count() == 1
