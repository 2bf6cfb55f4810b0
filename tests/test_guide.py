"""The information pages: every one reachable, and every one leading to help."""

import re

import pytest

from intake import create_app
from intake.pages import MOVED_GUIDE_PAGES, load_library
from tests.conftest import asset, page

pytestmark = pytest.mark.pages_only

# The NHS medicines pages' order, and the titles a reader meets in the contents.
GUIDE = {
    "about": "About baclofen",
    "key-facts": "Key facts",
    "who-can-take": "Who can and cannot take baclofen",
    "how-to-take": "How and when to take baclofen",
    "side-effects": "Side effects of baclofen",
    "pregnancy": "Pregnancy and breastfeeding",
    "interactions": "Taking baclofen with other medicines, alcohol and drugs",
    "addiction": "Baclofen for alcohol and cocaine addiction",
    "common-questions": "Common questions about baclofen",
}
GUIDE_ORDER = list(GUIDE)


def test_the_guide_follows_the_order_of_the_nhs_medicines_pages(app):
    guide = app.extensions["intake"].service.pages.guide
    assert {p.slug: p.title for p in guide} == GUIDE
    assert [p.slug for p in guide] == GUIDE_ORDER


def test_the_contents_page_links_every_guide_page_in_order(client):
    links = page(client.get("/guide/")).select("main .guide-list a")
    assert [link["href"] for link in links] == [f"/guide/{slug}" for slug in GUIDE_ORDER]


@pytest.mark.parametrize("slug", GUIDE_ORDER)
def test_each_guide_page_stands_on_its_own(app, client, slug):
    guide = app.extensions["intake"].service.pages.guide_page(slug)
    response = client.get(f"/guide/{slug}")
    assert response.status_code == 200
    html = page(response)
    assert html.h1.get_text() == guide.title
    assert len(html.select("h1")) == 1
    assert html.title.get_text().startswith(guide.title)
    assert html.select_one("meta[name=description]")["content"] == guide.summary
    text = html.get_text(" ", strip=True)
    assert "This is not medical advice." in text
    assert "without talking to your doctor" in text
    assert html.select(".page-meta__sources a[href^='https://']"), "each page links its sources"
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
    assert html.select_one("a[rel=next]")["href"] == "/guide/pregnancy"


@pytest.mark.parametrize(
    "path", ["/", "/guide/", "/privacy", "/callback", "/callback/received", "/no-such-page"]
)
def test_every_public_page_shows_the_help_line_the_emergency_number_and_the_leave_button(
    client, path
):
    html = page(client.get(path))
    assert html.select_one("a[href='tel:+448081570192']")
    emergency = html.select_one(".help-strip__emergency")
    assert emergency.get_text(" ", strip=True) == "In an emergency, call 999 ."
    assert emergency.select_one("a[href='tel:999']")
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
        ("US", ["tel:911", "tel:988", "tel:+18002221222"]),
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
    assert "31 days" in library.service["privacy"].body


def test_no_page_is_left_with_a_placeholder_unfilled(app):
    library = app.extensions["intake"].service.pages
    for item in (library.home, *library.guide, *library.service.values()):
        assert not re.findall(r"\$[A-Za-z_]+", item.body + item.title + item.summary), item.slug


@pytest.mark.parametrize(("old", "new"), MOVED_GUIDE_PAGES.items())
def test_old_guide_addresses_move_permanently_to_where_their_words_are_now(client, old, new):
    response = client.get(f"/guide/{old}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/guide/{new}"
    target, _, section = new.partition("#")
    html = page(client.get(f"/guide/{target}"))
    assert not section or html.select_one(f"main [id='{section}']"), "the section exists"


def test_each_guide_page_says_who_reviewed_it_and_when_it_is_next_due(app_config):
    settings = {
        **app_config,
        "INTAKE_REVIEWER_NAME": "Dr Priya Shah",
        "INTAKE_REVIEWER_ROLE": "consultant addiction psychiatrist",
    }
    client = create_app(settings).test_client()
    for slug in GUIDE_ORDER:
        meta = page(client.get(f"/guide/{slug}")).select_one(".page-meta")
        text = meta.get_text(" ", strip=True)
        assert "Reviewed by Dr Priya Shah, consultant addiction psychiatrist, on" in text
        assert "Next review due:" in text
        reviewed, due = [time["datetime"] for time in meta.select("time")]
        assert reviewed < due, slug


def urgent_boxes(html) -> list:
    return html.select("main .prose .admonition.urgent")


# Where a frightened reader must meet "call 999" first: (page, the section's id or
# None for the top of the page).
URGENT_PLACES = [
    ("side-effects", None),
    ("how-to-take", "too-much"),
    ("common-questions", "stopping"),
]


@pytest.mark.parametrize(("slug", "section"), URGENT_PLACES)
def test_an_urgent_help_box_opens_the_sections_about_emergencies(client, slug, section):
    prose = page(client.get(f"/guide/{slug}")).select_one("main .prose")
    if section is None:
        first = prose.find(True)
    else:
        first = prose.select_one(f"[id='{section}']").find_next_sibling()
    assert "urgent" in first["class"], first
    title = first.select_one(".admonition-title").get_text()
    assert "999" in title and "A&E" in title


def test_fits_and_slow_breathing_are_emergencies_not_a_call_to_the_doctor(client):
    box = urgent_boxes(page(client.get("/guide/side-effects")))[0].get_text(" ").lower()
    for sign in ["fit", "breathing", "swell", "woken"]:
        assert sign in box, sign
    for slug in GUIDE_ORDER:
        text = page(client.get(f"/guide/{slug}")).select_one("main").get_text(" ").lower()
        assert "doctor straight away" not in text, slug
        assert "local emergency number" not in text, slug


@pytest.mark.parametrize(
    ("country", "shown", "never"),
    [
        ("GB", ["999", "A&E", "NHS 111", "116 123"], ["911"]),
        ("US", ["911", "emergency room", "988"], ["999", "A&E", "NHS 111", "Samaritans"]),
        ("FR", ["112"], ["999", "A&E", "NHS 111", "911"]),
    ],
)
def test_health_pages_use_the_configured_countrys_numbers(app_config, country, shown, never):
    settings = {**app_config, "INTAKE_COUNTRY": country, "INTAKE_HELPLINE_PHONE": "+448081570192"}
    client = create_app(settings).test_client()
    text = " ".join(
        page(client.get(f"/guide/{slug}")).select_one("main .prose").get_text(" ")
        for slug in GUIDE_ORDER
    )
    for words in shown:
        assert words in text, words
    for words in never:
        assert words not in text, words
