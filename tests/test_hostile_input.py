"""Whatever arrives, the visitor gets a page that makes sense, never a 500."""

import pytest

from tests.conftest import page

HOSTILE_VALUES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE callback_requests; --",
    "Robert'); DELETE FROM callback_requests WHERE ('1'='1",
    "x" * 10_000,
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
FIELDS = ["name", "phone", "email", "when", "day", "window", "for_whom", "topics",
          "voicemail_ok", "say_who_we_are", "text_first", "in_danger", "message",
          "consent", "submission_token", "source_page", "website"]  # fmt: skip


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_no_value_in_any_field_gives_a_server_error(visitor, field, value):
    response = visitor.submit(**{field: value})
    assert response.status_code in (303, 400), response.status_code
    if response.status_code == 400:
        html = page(response)
        assert html.select_one(".error-summary")
        assert not html.select("main script"), "markup is shown as text, never run"


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


def test_repeated_scalar_fields_do_not_break_the_form(visitor):
    data = visitor.filled_form()
    response = visitor.client.post(
        "/callback", data={**data, "name": ["One", "Two"], "in_danger": ["yes", "no"]}
    )
    assert response.status_code in (303, 400)


@pytest.mark.parametrize("path", ["/guide/<script>", "/guide/..%2f..%2fetc%2fpasswd", "/guide/"])
def test_odd_guide_urls_get_a_page_not_an_error(client, path):
    assert client.get(path).status_code in (200, 404)


def test_unknown_methods_get_a_friendly_page(client):
    response = client.put("/callback")
    assert response.status_code == 405
    assert page(response).select_one("a[href^='tel:']")
