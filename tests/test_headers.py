"""Security headers on every response, checked once for every route in the URL map."""

import pytest

from tests.conftest import PUBLIC_URL

pytestmark = pytest.mark.pages_only

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {arg: "about" for arg in rule.arguments}
        if rule.endpoint == "public.service_page":
            values = {"slug": "privacy"}
        if rule.endpoint == "asset":
            values = {"fingerprinted": app.extensions["intake"].assets.fingerprinted["intake.css"]}
        yield rule.endpoint, values


# The only responses a browser or proxy may keep: nothing personal is ever in them.
CACHEABLE = {
    "asset": "max-age=31536000, public, immutable",
    **{
        f"public.{page}": "public, max-age=300"
        for page in ("home", "guide_contents", "guide_page", "service_page")
    },
    "public.robots_txt": "public, max-age=300",
    "public.sitemap_xml": "public, max-age=300",
}


def test_every_get_route_sends_the_security_headers(app):
    client = app.test_client()
    with app.test_request_context():
        from flask import url_for

        urls = [url_for(endpoint, **values) for endpoint, values in routes(app)]
    assert len(urls) >= 8
    for url in urls:
        response = client.get(url)
        for name, value in EXPECTED.items():
            assert response.headers.get(name) == value, (url, name)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy


def test_error_responses_carry_the_headers_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_hsts_only_in_production(app, production_app):
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
    response = production_app.test_client().get("/", base_url=PUBLIC_URL)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_session_cookie_is_http_only_and_same_site(client):
    client.get("/callback")
    cookie = client.get_cookie("intake_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_forms_work_over_https_although_no_referrer_is_sent(visitor, stored):
    data = visitor.filled_form()
    response = visitor.client.post("/callback", data=data, base_url="https://localhost")
    assert response.status_code == 303
    assert stored.count() == 1


def test_only_assets_and_pages_the_same_for_everyone_may_be_cached(app, supervisor):
    """Signed-in staff pages, the form, the queue's JSON, metrics and 404s: all no-store."""
    with app.test_request_context():
        from flask import url_for

        urls = [(endpoint, url_for(endpoint, **values)) for endpoint, values in routes(app)]
    visitors = {"staff.": supervisor.client, "": app.test_client()}
    checked = set()
    for endpoint, url in urls:
        client = next(c for prefix, c in visitors.items() if endpoint.startswith(prefix))
        response = client.get(url)
        expected = CACHEABLE.get(endpoint, "no-store")
        assert response.headers["Cache-Control"] == expected, (url, response.status_code)
        checked.add(endpoint)
    assert {"staff.queue_data", "public.callback", "staff.dashboard"} <= checked
    assert set(CACHEABLE) <= checked
