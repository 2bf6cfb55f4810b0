"""Personal data stays private: encrypted at rest, out of logs, URLs and other hosts."""

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from intake import create_app
from intake.extensions import db
from tests.conftest import CallbackVisitor, asset, page

SECRETS = {
    "name": "Marguerite Oyelaran-Quist",
    "phone": "07400 123 456",
    "email": "marguerite.quist@example.org",
    "message": "My brother Tobias drinks every morning",
}
PLAINTEXTS = [
    SECRETS["name"],
    "Oyelaran",
    "7400123456",
    "07400 123 456",
    "marguerite.quist",
    "Tobias",
    "drinks every morning",
]


def raw_database_text(app) -> str:
    """Everything the database holds, as its own files or its own dump of the table."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            path = Path(db.engine.url.database)
            files = [path, Path(f"{path}-wal")]
            return "".join(file.read_bytes().decode("latin-1") for file in files if file.exists())
        rows = db.session.execute(text("SELECT row_to_json(t)::text FROM callback_requests t"))
        return "\n".join(row[0] for row in rows)


def test_the_raw_database_holds_none_of_the_visitors_words(app, visitor, stored):
    visitor.submit(**SECRETS, topics=["cocaine"])
    assert stored.answers()["name"] == SECRETS["name"]
    raw = raw_database_text(app)
    assert stored.only().reference in raw, "the scan must see the stored rows"
    for plaintext in PLAINTEXTS:
        assert plaintext not in raw
    assert "cocaine" not in raw


def test_no_personal_data_reaches_the_logs(app, visitor, caplog):
    caplog.set_level(logging.DEBUG)
    visitor.submit(**SECRETS)
    visitor.submit(**{**SECRETS, "phone": "12"})
    visitor.submit(**{**SECRETS, "csrf_token": "stale"})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    logged += "\n".join(str(record.args) for record in caplog.records)
    for plaintext in PLAINTEXTS:
        assert plaintext not in logged


@pytest.mark.pages_only
def test_a_rate_limit_being_hit_logs_no_client_address(app_config, caplog):
    caplog.set_level(logging.DEBUG)
    app = create_app({**app_config, "INTAKE_CALLBACK_RATE_LIMIT": "1 per minute"})
    visitor = CallbackVisitor(app.test_client())
    address = {"REMOTE_ADDR": "203.0.113.77"}
    statuses = [
        visitor.client.post(
            "/callback", data=visitor.filled_form(), environ_base=address
        ).status_code
        for _ in "ab"
    ]
    assert statuses[-1] == 429
    lines = [record.getMessage() for record in caplog.records]
    assert any("exceeded" in line for line in lines), "the limit was logged"
    logged = "\n".join(lines) + "".join(str(record.args) for record in caplog.records)
    assert "203.0.113.77" not in logged


@pytest.mark.pages_only
def test_no_personal_data_reaches_a_url(visitor):
    response = visitor.submit(**SECRETS)
    location = response.headers["Location"]
    confirmation = page(visitor.client.get(location))
    urls = [location] + [
        tag.get(attr, "")
        for attr in ("href", "action", "src")
        for tag in confirmation.select(f"[{attr}]")
    ]
    for url in urls:
        for plaintext in PLAINTEXTS:
            assert plaintext not in url


def test_error_pages_show_no_personal_data_and_no_stack_trace(app, visitor, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError(f"boom with {SECRETS['name']}")

    monkeypatch.setattr("intake.public.views.submit_callback", broken)
    with caplog.at_level(logging.ERROR):
        response = visitor.submit(**SECRETS)
    logged = caplog.text
    assert "RuntimeError" in logged and "broken" in logged, "where it failed is logged"
    assert SECRETS["name"] not in logged
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert "boom" not in body
    assert SECRETS["name"] not in body
    assert page(response).select_one("a[href='tel:+448081570192']")


PUBLIC_PAGES = [
    "/",
    "/guide/",
    "/guide/about",
    "/guide/addiction",
    "/privacy",
    "/about-this-service",
    "/callback",
    "/no-such-page",
]


@pytest.mark.pages_only
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_load_nothing_from_another_host(client, path):
    html = page(client.get(path))
    for tag in html.select("[src], link[href]:not([rel=canonical])"):
        url = tag.get("src") or tag.get("href")
        assert url.startswith("/"), url
    assert not html.select("iframe, object, embed")
    for script in html.select("script"):
        if script.get("type") == "application/ld+json":
            continue
        assert script.get("src", "").startswith("/assets/"), "no inline script"
    insecure = [link["href"] for link in html.select("a[href^='http:']")]
    assert not insecure, "links out go to secure sites only"


@pytest.mark.pages_only
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_attribute_points_at_a_font_analytics_or_captcha_service(client, path):
    html = page(client.get(path))
    attributes = " ".join(
        str(value).lower() for tag in html.find_all(True) for value in tag.attrs.values()
    )
    for marker in ("googleapis", "gstatic", "analytics", "gtag", "captcha", "cdn", "font"):
        assert marker not in attributes


@pytest.mark.pages_only
def test_the_stylesheet_loads_nothing_from_another_host(client):
    css = client.get(asset(client, "intake.css")).get_data(as_text=True)
    assert not re.search(r"url\(|@import|https?://", css)
