"""Whatever arrives, the visitor gets a page that makes sense, never a 500."""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

import pytest
from sqlalchemy import event
from sqlalchemy.exc import DataError

from intake.extensions import db
from tests.conftest import page
from tests.factories import FORM_FIELDS, cursor_text

HOSTILE_VALUES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE callback_requests; --",
    "Robert'); DELETE FROM callback_requests WHERE ('1'='1",
    "x" * 2_000,  # twice the longest field's limit; 23 of them stay under the body's 64 KB
    "\x00\x01\x02\x1b[31m\x7f",
    "\u202egnp.exe",
    "مرحبا بكم",
    "שלום",
    "😀🙏🏽👨‍👩‍👧",
    "李小龍",
    "Ñoño Ærøskøbing",
    "{{ 7*7 }}",
    "%s%s%s%n",
    "\r\n\r\nSet-Cookie: evil=1",
]
# The visitor's fields and the hidden ones the page carries.
FIELDS = [*FORM_FIELDS, "submission_token", "source_page", "website"]


# Every hostile value but the very long one, run together: one field's worst case.
EVERYTHING_AT_ONCE = "".join(value for value in HOSTILE_VALUES if len(value) < 100)


def assert_no_server_error(response) -> None:
    assert response.status_code in (303, 400), response.status_code
    if response.status_code == 400:
        html = page(response)
        # What was wrong, in the summary; or, for a submission token that is not this
        # visitor's, the form back with a notice saying to send it again.
        assert html.select_one(".error-summary") or "send the form again" in html.get_text()
        assert not html.select("main script"), "markup is shown as text, never run"


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_a_hostile_value_in_every_field_at_once_gives_no_server_error(visitor, value):
    assert_no_server_error(visitor.submit(**dict.fromkeys(FIELDS, value)))


@pytest.mark.parametrize("field", FIELDS)
def test_every_hostile_value_at_once_in_one_field_gives_no_server_error(visitor, field):
    assert_no_server_error(visitor.submit(**{field: EVERYTHING_AT_ONCE}))


def test_markup_in_a_name_is_stored_as_text_and_shown_escaped(visitor, stored):
    response = visitor.submit(name="<b>Sam</b>", phone="1")
    assert "&lt;b&gt;Sam&lt;/b&gt;" in response.get_data(as_text=True)
    visitor.submit(name="<b>Sam</b>")
    assert stored.answers()["name"] == "<b>Sam</b>"


@pytest.mark.parametrize(
    "name", ["مرحبا", "שלום", "李小龍", "Zoë", "Ngũgĩ wa Thiong'o", "😀", "Åsa-Maria O'Neill"]
)
def test_names_in_any_script_are_accepted_as_typed(visitor, stored, name):
    assert visitor.submit(name=name).status_code == 303
    assert stored.answers()["name"] == name


def test_control_and_direction_override_characters_are_removed(visitor, stored):
    visitor.submit(name="\u202eSam\x00\x07", message="line one\r\nline two\x1b")
    answers = stored.answers()
    assert answers["name"] == "Sam"
    assert answers["message"] == "line one\nline two"


def test_surrounding_spaces_are_trimmed(visitor, stored):
    visitor.submit(name="  Sam  ", email="  sam@example.org ")
    assert stored.answers()["name"] == "Sam"
    assert stored.answers()["email"] == "sam@example.org"


def test_a_name_of_exactly_80_characters_is_accepted(visitor, stored):
    assert visitor.submit(name="é" * 80).status_code == 303


def test_a_message_of_exactly_1000_characters_is_accepted(visitor, stored):
    assert visitor.submit(message="m" * 1000).status_code == 303
    assert len(stored.answers()["message"]) == 1000


@pytest.mark.pages_only
def test_repeated_scalar_fields_do_not_break_the_form(visitor):
    data = visitor.filled_form()
    response = visitor.client.post(
        "/callback", data={**data, "name": ["One", "Two"], "in_danger": ["yes", "no"]}
    )
    assert response.status_code in (303, 400)


@pytest.mark.pages_only
@pytest.mark.parametrize("path", ["/guide/<script>", "/guide/..%2f..%2fetc%2fpasswd"])
def test_odd_guide_urls_get_the_not_found_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "<script>" not in response.get_data(as_text=True).split("<body", 1)[1]


@pytest.mark.pages_only
def test_the_guide_folder_gets_the_contents_page(client):
    assert client.get("/guide/").status_code == 200


@pytest.mark.pages_only
def test_unknown_methods_get_a_friendly_page(client):
    response = client.put("/callback")
    assert response.status_code == 405
    assert page(response).select_one("a[href^='tel:']")


def as_file(text: str) -> tuple[io.BytesIO, str]:
    """A value sent as a file part of a multipart form, as a script can send any field."""
    return io.BytesIO(text.encode()), "field.txt"


@pytest.mark.pages_only
@pytest.mark.parametrize("field", ["name", "phone", "in_danger", "consent", "csrf_token"])
def test_a_field_sent_as_a_file_is_refused_and_the_rest_is_kept(visitor, stored, field):
    data = visitor.filled_form(message="Please call after six")
    data[field] = as_file(str(data.get(field, "x")))
    response = visitor.client.post("/callback", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    html = page(response)
    assert html.select_one(".error-summary") or "stops working after a while" in html.get_text()
    assert html.select_one("#message").get_text().strip() == "Please call after six"
    assert stored.count() == 0


@pytest.mark.pages_only
def test_a_form_sent_as_json_is_refused_with_the_form_shown_again(visitor, stored):
    data = visitor.filled_form()
    response = visitor.client.post("/callback", json={**data, "name": {"first": "Sam"}})
    assert response.status_code == 400
    assert page(response).select_one("form[action='/callback']")
    assert stored.count() == 0


@pytest.mark.pages_only
def test_a_staff_sign_in_with_a_file_part_is_refused_clearly(make_member):
    member, browser = make_member()
    token = browser.csrf("/staff/sign-in")
    data = {"csrf_token": token, "email": member.email, "password": as_file("guess")}
    response = browser.client.post("/staff/sign-in", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert page(response).select_one(".error-summary")
    assert page(response).select_one("#email")["value"] == member.email


@pytest.mark.pages_only
def test_a_security_code_sent_as_a_file_is_refused_clearly(make_member):
    _, browser = make_member()
    assert browser.enter_password().status_code == 303
    token = browser.csrf("/staff/sign-in/code")
    data = {"csrf_token": token, "code": as_file(browser.next_code())}
    response = browser.client.post(
        "/staff/sign-in/code", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert page(response).select_one(".error-summary")


def test_a_withdrawal_secret_sent_as_a_file_withdraws_nothing(visitor, stored):
    received = page(visitor.client.get(visitor.submit().headers["Location"]))
    form = received.select_one("form[action='/callback/withdraw']")
    data = {field["name"]: field.get("value", "") for field in form.select("input")}
    data["secret"] = as_file(data["secret"])
    response = visitor.client.post(
        "/callback/withdraw", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "could not withdraw" in page(response).h1.get_text()
    assert stored.only().status == "new"


@pytest.mark.parametrize("member_id", [2**63, 2**64 + 1, 10**40])
def test_an_id_beyond_64_bits_on_a_staff_route_is_not_found(supervisor, member_id):
    response = supervisor.post(f"/staff/team/{member_id}/unlock", form_page="/staff/team")
    assert response.status_code == 404


NAIVE, AWARE = "2026-11-25T14:00:00", "2026-11-25T14:00:00+00:00"


@pytest.mark.parametrize(
    "after",
    [
        "not-a-cursor",
        cursor_text("a"),
        cursor_text(False, NAIVE, NAIVE, 1),
        cursor_text(False, AWARE, AWARE, 10**25),
    ],
    ids=["garbled", "short", "naive times", "id beyond 64 bits"],
)
@pytest.mark.parametrize("path", ["/staff/", "/staff/queue.json"])
def test_a_queue_cursor_that_we_could_not_have_made_is_a_bad_request(agent, path, after):
    response = agent.client.get(f"{path}?after={after}")
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "name",
    ["\u200b\u200b", "\u200d\u2060\ufeff", "\u3164", "\u2800\u2800", "\u0301\u0308", "\u00ad"],
    ids=["zero-width spaces", "joiners", "hangul filler", "braille blank", "marks", "soft hyphen"],
)
def test_a_name_made_only_of_invisible_characters_is_refused(visitor, stored, name):
    response = visitor.submit(name=name, message="Kept as typed")
    assert response.status_code == 400
    summary = page(response).select_one(".error-summary").get_text()
    assert "Enter a name we can use when we call" in summary
    assert page(response).select_one("#message").get_text().strip() == "Kept as typed"
    assert stored.count() == 0


def test_a_name_with_a_joiner_inside_it_is_kept_as_typed(visitor, stored):
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # with a zero-width non-joiner
    assert visitor.submit(name=persian).status_code == 303
    assert stored.answers()["name"] == persian


def test_a_topic_sent_many_times_is_stored_once(visitor, stored):
    data = visitor.filled_form()
    data["topics"] = ["alcohol"] * 500 + ["cocaine", "alcohol"]
    assert visitor.resend(data).status_code == 303
    assert stored.answers()["topics"] == ["alcohol", "cocaine"]


@pytest.mark.parametrize("query", ["older=99999999999999999999999", "older=-3", "older=abc"])
def test_an_audit_trail_page_cursor_that_is_not_an_id_is_a_bad_request(supervisor, query):
    response = supervisor.client.get(f"/staff/audit?{query}")
    assert response.status_code == 400


def test_an_audit_trail_member_number_beyond_64_bits_finds_no_member(supervisor):
    response = supervisor.client.get(f"/staff/audit?member={2**70}")
    assert response.status_code == 404
    assert "No member of staff has that number." in page(response).get_text()


# Dates beyond the calendar's ends, references that are not one, values the database refuses

BEYOND_THE_CALENDAR = ["9999-12-31", "0001-01-01"]


@pytest.mark.parametrize("day", BEYOND_THE_CALENDAR)
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/staff/", "closed_since"),
        ("/staff/", "closed_until"),
        ("/staff/queue.json", "closed_until"),
        ("/staff/audit", "since"),
        ("/staff/audit", "until"),
    ],
)
def test_a_filter_date_beyond_the_calendar_is_a_bad_request_that_says_why(
    supervisor, path, name, day
):
    response = supervisor.client.get(f"{path}?{name}={day}")
    assert response.status_code == 400
    text = page(response).get_text(" ", strip=True)
    assert "must be a date between 1 January 2000 and 31 December 2099" in text
    assert "Traceback" not in text


def test_a_queue_date_that_is_no_date_is_a_bad_request_not_the_whole_list(supervisor):
    response = supervisor.client.get("/staff/?show=closed&closed_since=last-week")
    assert response.status_code == 400
    assert "“Closed from” must be a date" in page(response).get_text()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("end=0001-01-01", "The end date must be between 1 January 2000"),
        ("start=0001-01-01&end=0001-01-07", "The start date must be between 1 January 2000"),
    ],
)
def test_a_report_period_beyond_the_calendar_is_named_in_the_error_summary(
    supervisor, query, message
):
    response = supervisor.client.get(f"/staff/reports?{query}")
    assert response.status_code == 400
    assert message in page(response).select_one(".error-summary").get_text()


@contextmanager
def values_sent_to_the_database(app) -> Iterator[list]:
    """Every value the app's statements send to the database while the block runs."""
    with app.app_context():
        engine = db.engine
    sent: list = []

    def note(connection, cursor, statement, parameters, context, executemany) -> None:
        sent.extend(parameters.values() if isinstance(parameters, dict) else parameters)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.mark.parametrize(
    "reference", ["%00", "K7QM-4Z2P%00", "K7QM-4Z2P%0A", "k7qm-4z2p", "%E2%80%AE" * 40]
)
def test_a_request_address_whose_reference_is_not_one_is_not_found_nor_looked_up(
    app, supervisor, reference
):
    with values_sent_to_the_database(app) as sent:
        response = supervisor.client.get(f"/staff/requests/{reference}")
    assert response.status_code == 404
    assert "busy" not in page(response).get_text()
    assert unquote(reference) not in sent


def test_a_value_the_database_refuses_is_a_bad_request_not_an_outage(
    supervisor, monkeypatch, caplog
):
    def refused(*args, **kwargs):
        raise DataError("SELECT …", {}, ValueError("text fields cannot contain NUL"))

    monkeypatch.setattr("intake.staff.team.find_by_reference", refused)
    response = supervisor.client.get("/staff/audit?reference=K7QM-4Z2P")
    assert response.status_code == 400
    assert "busy" not in page(response).get_text()
    assert "Retry-After" not in response.headers
    assert "database unavailable" not in caplog.text
    assert "the database refused a value" in caplog.text
    assert "NUL" not in caplog.text  # the value is input: never logged
