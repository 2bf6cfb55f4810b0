"""Pages the same for everyone are answered from memory: the same bytes and headers
as Flask's, compressed as the browser accepts, 304 for a repeat visit; nothing with
a form, a session or a query string is ever kept."""

import gzip

import brotli
import pytest

from intake.app_state import app_state
from intake.compression import chosen_coding

pytestmark = pytest.mark.pages_only

GUIDE = "/guide/side-effects"
PER_ANSWER = {"X-Request-Id", "Date"}


def kept_paths(app) -> set[str]:
    return set(app_state(app).prepared_pages.pages.keys())


def headers_of(response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name not in PER_ANSWER}


def test_a_page_asked_for_again_comes_from_memory_with_the_same_bytes_and_headers(
    app, client, monkeypatch
):
    first = client.get(GUIDE)
    assert kept_paths(app) == {GUIDE}
    monkeypatch.setattr("intake.public.views.render_same_for_everyone", None)  # Flask would fail
    again = client.get(GUIDE)
    assert again.status_code == 200
    assert again.data == first.data
    # The same headers, with an ETag; and they vary by the coding accepted, not by
    # cookie (Flask-Login reads the session after every view, so Flask says "Cookie").
    same = {**headers_of(first), "ETag": again.headers["ETag"], "Vary": "Accept-Encoding"}
    assert headers_of(again) == same
    assert again.headers["Cache-Control"] == "public, max-age=300"
    assert "default-src 'self'" in again.headers["Content-Security-Policy"]


def test_each_answer_has_its_own_request_id_or_the_one_it_was_given(client):
    client.get(GUIDE)
    ids = {client.get(GUIDE).headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3
    given = client.get(GUIDE, headers={"X-Request-Id": "trace-1234567"})
    assert given.headers["X-Request-Id"] == "trace-1234567"
    odd = client.get(GUIDE, headers={"X-Request-Id": "<script>"})
    assert odd.headers["X-Request-Id"] != "<script>"


def test_a_repeat_visit_that_sends_the_etag_back_gets_304_and_no_body(client):
    client.get(GUIDE)
    etag = client.get(GUIDE).headers["ETag"]
    repeat = client.get(GUIDE, headers={"If-None-Match": etag})
    assert repeat.status_code == 304
    assert repeat.data == b""
    assert repeat.headers["ETag"] == etag
    assert repeat.headers["Cache-Control"] == "public, max-age=300"
    other = client.get(GUIDE, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_brotli_and_gzip_go_to_browsers_that_accept_them_and_hold_the_same_page(client):
    plain = client.get(GUIDE).data
    client.get(GUIDE)
    for accepted, coding, opened in (
        ("gzip, deflate, br", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
    ):
        response = client.get(GUIDE, headers={"Accept-Encoding": accepted})
        assert response.headers["Content-Encoding"] == coding
        assert int(response.headers["Content-Length"]) == len(response.data) < len(plain)
        assert opened(response.data) == plain
    identity = client.get(GUIDE, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in identity.headers
    assert identity.data == plain


@pytest.mark.parametrize(
    ("accepted", "coding"),
    [
        ("", "identity"),
        ("br", "br"),
        ("gzip, br;q=0", "gzip"),
        ("BR;Q=0.5", "br"),
        ("*", "br"),
        ("*;q=0, gzip", "gzip"),
        ("br;q=nonsense, deflate", "identity"),
        ("compress, deflate", "identity"),
    ],
)
def test_the_coding_sent_is_the_best_one_the_browser_accepts(accepted, coding):
    assert chosen_coding(accepted) == coding


def test_head_gets_the_headers_without_the_body(client):
    body = client.get(GUIDE).data
    head = client.head(GUIDE)
    assert head.status_code == 200
    assert head.data == b""
    assert int(head.headers["Content-Length"]) == len(body)


def test_pages_with_a_form_or_for_staff_are_never_kept(app, client):
    for path in ("/callback", "/callback", "/staff/sign-in", "/staff/sign-in", "/", "/"):
        client.get(path)
    assert kept_paths(app) == {"/"}
    tokens = {page_token(client.get("/callback").data) for _ in range(2)}
    assert len(tokens) == 2  # each visitor still gets their own form token


def page_token(html: bytes) -> bytes:
    start = html.index(b'name="csrf_token"')
    return html[start : start + 200]


def test_an_address_with_a_query_string_is_answered_by_flask_and_not_kept(app, client):
    client.get(GUIDE + "?from=leaflet")
    client.get(GUIDE + "?from=leaflet")
    assert kept_paths(app) == set()
    assert client.get(GUIDE + "?from=poster").status_code == 200


def test_a_missing_page_is_not_kept(app, client):
    assert client.get("/guide/no-such-page").status_code == 404
    assert client.get("/guide/no-such-page").status_code == 404
    assert kept_paths(app) == set()


def test_every_host_and_scheme_share_one_copy_of_a_path(app, client):
    client.get(GUIDE, base_url="http://localhost")
    client.get(GUIDE, base_url="https://intake.example")
    assert kept_paths(app) == {GUIDE}
