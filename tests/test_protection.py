"""Forged, expired, automated and overwhelming submissions, and a database that fails."""

import re
import secrets
import sqlite3

import pytest
import redis
from sqlalchemy.exc import OperationalError

from intake import create_app
from intake.extensions import db
from tests.conftest import CallbackVisitor, StoredRequests, asset, page

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_a_post_without_a_csrf_token_keeps_every_answer_and_stores_nothing(visitor, stored):
    data = visitor.filled_form(name="Zoë", message="Please call after six")
    del data["csrf_token"]
    response = visitor.resend(data)
    assert response.status_code == 400
    html = page(response)
    assert "this form stops working after a while" in html.get_text()
    assert html.select_one("#name")["value"] == "Zoë"
    assert html.select_one("#message").get_text().removeprefix("\r\n") == "Please call after six"
    assert html.select_one("a[href='tel:+448081570192']")
    assert response.headers["Cache-Control"] == "no-store"
    assert stored.count() == 0


def test_an_expired_form_can_be_sent_again_from_the_page_it_shows(visitor, stored):
    data = visitor.filled_form()
    data["csrf_token"] = "stale-token-from-yesterday"
    again = page(visitor.resend(data))
    fresh = {field["name"]: field.get("value", "") for field in again.select("input[type=hidden]")}
    assert fresh["csrf_token"] != "stale-token-from-yesterday"
    response = visitor.resend({**data, **fresh})
    assert response.status_code == 303
    assert stored.count() == 1


def test_a_filled_honeypot_is_refused_and_stores_nothing(visitor, stored):
    response = visitor.submit(website="http://spam.example")
    assert response.status_code == 400
    assert "Leave the box labelled" in page(response).select_one(".error-summary").get_text()
    assert stored.count() == 0


def test_the_honeypot_is_hidden_from_people(client, visitor):
    website = visitor.open_form().select_one("#website")
    css = client.get(asset(client, "intake.css")).get_data(as_text=True)
    hiding = re.search(r"\.trap\s*\{([^}]*)\}", css)
    assert website.find_parent("div", class_="trap") is not None
    assert hiding and "display: none" in hiding.group(1)
    assert website["autocomplete"] == "off"


def rate_limited_app(app_config, **extra):
    return create_app({**app_config, "INTAKE_CALLBACK_RATE_LIMIT": "2 per minute", **extra})


def test_too_many_submissions_get_a_friendly_page_that_keeps_the_answers(app_config):
    visitor = CallbackVisitor(rate_limited_app(app_config).test_client())
    assert visitor.submit().status_code == 303
    assert visitor.submit().status_code == 303
    response = visitor.submit(name="Third try")
    assert response.status_code == 429
    html = page(response)
    assert "wait a few minutes" in html.get_text()
    assert html.select_one("#name")["value"] == "Third try"
    assert html.select_one("a[href='tel:+448081570192']")
    assert response.headers["Retry-After"]
    assert response.headers["Cache-Control"] == "no-store"


def test_reading_the_form_is_never_rate_limited(app_config):
    client = rate_limited_app(app_config).test_client()
    assert all(client.get("/callback").status_code == 200 for _ in range(10))


def test_rate_limits_are_shared_through_redis_by_every_worker(app_config):
    """Two app instances (two gunicorn workers) count against one limit in Redis."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    shared = {"RATELIMIT_STORAGE_URI": REDIS_URL}
    first, second = (rate_limited_app(app_config, **shared).test_client() for _ in range(2))
    # One visitor's address, this test's own: a test using Redis at once counts apart.
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    for client in (first, second):
        client.environ_base["REMOTE_ADDR"] = address
    first, second = CallbackVisitor(first), CallbackVisitor(second)
    assert first.submit().status_code == 303
    assert second.submit().status_code == 303
    assert first.submit().status_code == 429
    assert second.submit().status_code == 429


def test_a_locked_database_gives_a_friendly_503_and_writes_nothing(app_config):
    """Another connection holds the SQLite write lock for longer than the busy timeout."""
    app = create_app({**app_config, "SQLITE_BUSY_TIMEOUT_MS": 200})
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the write lock is SQLite's; PostgreSQL outages are issue 6's fault tests")
        path = db.engine.url.database
    visitor = CallbackVisitor(app.test_client())
    stored = StoredRequests(app)
    data = visitor.filled_form(name="Locked out")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        response = visitor.resend(data)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert response.status_code == 503
    html = page(response)
    assert "We could not save your request just now" in html.get_text()
    assert html.select_one("#name")["value"] == "Locked out"
    assert html.select_one("a[href='tel:+448081570192']")
    assert response.headers["Cache-Control"] == "no-store"
    assert stored.count() == 0
    assert visitor.resend(data).status_code == 303
    assert stored.count() == 1


def test_a_database_that_fails_on_a_page_gives_a_503_with_the_help_line(app, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("intake.public.views.show_confirmation", down)
    client = app.test_client()
    visitor = CallbackVisitor(client)
    response = client.get(visitor.submit().headers["Location"])
    assert response.status_code == 503
    assert page(response).select_one("a[href='tel:+448081570192']")
    assert "Traceback" not in response.get_data(as_text=True)


def test_an_oversized_post_gets_a_friendly_page(client):
    response = client.post("/callback", data={"message": "x" * 200_000})
    assert response.status_code == 413
    assert page(response).select_one("a[href='tel:+448081570192']")
