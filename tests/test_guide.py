"""The information pages: every one reachable, and every one leading to help."""

import pytest

from intake import create_app
from intake.pages import load_library
from tests.conftest import asset, page

GUIDE_ORDER = [
    "about", "addiction", "how-to-take", "side-effects", "interactions",
    "cautions", "addictive", "stopping", "history", "tips",
]  # fmt: skip


def test_the_guide_follows_the_order_of_an_nhs_medicine_page(app):
    assert [p.slug for p in app.extensions["intake"].pages.guide] == GUIDE_ORDER


def test_the_contents_page_links_every_guide_page_in_order(client):
    links = page(client.get("/guide/")).select("main .guide-list a")
    assert [link["href"] for link in links] == [f"/guide/{slug}" for slug in GUIDE_ORDER]


@pytest.mark.parametrize("slug", GUIDE_ORDER)
def test_each_guide_page_stands_on_its_own(app, client, slug):
    guide = app.extensions["intake"].pages.guide_page(slug)
    response = client.get(f"/guide/{slug}")
    assert response.status_code == 200
    html = page(response)
    assert html.h1.get_text() == guide.title
    assert len(html.select("h1")) == 1
    assert html.title.get_text().startswith(guide.title)
    assert html.select_one("meta[name=description]")["content"] == guide.summary
    text = html.get_text(" ", strip=True)
    assert "Last reviewed:" in text
    assert "This is not medical advice." in text
    assert "without talking to your doctor" in text
    assert html.select(".page-meta li"), "each page names its sources"
    assert html.select_one(f"main a[aria-current=page][href='/guide/{slug}']")


@pytest.mark.parametrize("slug", GUIDE_ORDER)
def test_each_guide_page_offers_both_ways_to_get_help(client, slug):
    html = page(client.get(f"/guide/{slug}"))
    help_block = html.select_one(".help-block")
    assert help_block.h2.get_text() == "Get confidential help now"
    assert help_block.select_one("a[href='tel:+448081570192']")
    assert "24 hours" in help_block.get_text()
    assert help_block.select_one(f"a[href='/callback?from={slug}']")
    assert help_block.select_one("a[href='tel:999']")
    leave = html.select_one("a[data-leave-site]")
    assert leave["href"].startswith("https://")
    assert leave.get_text(strip=True).startswith("Leave this site")


def test_guide_pages_link_to_their_neighbours(client):
    html = page(client.get("/guide/side-effects"))
    assert html.select_one("a[rel=prev]")["href"] == "/guide/how-to-take"
    assert html.select_one("a[rel=next]")["href"] == "/guide/interactions"


@pytest.mark.parametrize("path", ["/", "/guide/", "/privacy", "/callback", "/callback/received"])
def test_every_public_page_shows_the_help_line_and_the_leave_button(client, path):
    html = page(client.get(path))
    assert html.select_one("a[href='tel:+448081570192']")
    assert html.select_one("a[data-leave-site]")
    assert html.select_one("a.skip-link[href='#main-content']")
    assert html.select_one("main#main-content")


def test_the_home_page_leads_to_the_guide_and_both_ways_to_get_help(client):
    html = page(client.get("/"))
    hrefs = {link["href"] for link in html.select("main a")}
    assert {"/callback", "tel:+448081570192", "/guide/about"} <= hrefs


def test_the_leave_button_script_hides_the_page_and_replaces_history(client):
    script = client.get(asset(client, "site.js")).get_data(as_text=True)
    assert "location.replace" in script
    assert "leaving" in script
    assert ".leaving body { display: none; }" in client.get(asset(client, "intake.css")).get_data(
        as_text=True
    )


def test_the_privacy_page_states_the_configured_retention(app_config):
    client = create_app({**app_config, "INTAKE_RETENTION_DAYS": 45}).test_client()
    text = page(client.get("/privacy")).get_text(" ", strip=True)
    assert "45 days" in text
    assert "$retention_days" not in text
    assert "withdraw" in text.lower()


@pytest.mark.parametrize(
    ("country", "numbers"),
    [
        ("GB", ["tel:999", "tel:111", "tel:116123"]),
        ("US", ["tel:911", "tel:988"]),
        ("FR", ["tel:112"]),
    ],
)
def test_emergency_numbers_follow_the_configured_country(app_config, country, numbers):
    settings = {**app_config, "INTAKE_COUNTRY": country, "INTAKE_HELPLINE_PHONE": "+448081570192"}
    html = page(create_app(settings).test_client().get("/guide/about"))
    shown = {link["href"] for link in html.select(".help-block .phone-lines a")}
    assert shown == set(numbers)


def test_an_unknown_guide_page_is_a_friendly_404(client):
    response = client.get("/guide/nothing-here")
    assert response.status_code == 404
    html = page(response)
    assert html.h1.get_text() == "Page not found"
    assert html.select_one("a[href='tel:+448081570192']")


def test_pages_are_rendered_once_at_start_up_not_per_request(app, client, monkeypatch):
    calls = []
    monkeypatch.setattr("intake.pages.render_page", lambda *a, **k: calls.append(a))
    for slug in GUIDE_ORDER:
        client.get(f"/guide/{slug}")
    client.get("/privacy")
    assert calls == []


def test_the_library_substitutes_settings_into_page_text():
    library = load_library({"retention_days": "31"})
    assert "31 days" in library.privacy.body
