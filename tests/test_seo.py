"""Found and shared properly: titles, descriptions, canonical links, sitemap, robots, JSON-LD."""

import json
from xml.etree import ElementTree

import pytest

from intake import create_app
from intake.config import DEVELOPMENT_PUBLIC_URL
from intake.pages import SERVICE_PAGES
from tests.conftest import page
from tests.test_guide import GUIDE_ORDER

pytestmark = pytest.mark.pages_only

PUBLIC = (
    ["/", "/guide/", "/callback"]
    + [f"/guide/{slug}" for slug in GUIDE_ORDER]
    + [f"/{slug}" for slug in SERVICE_PAGES]
)


def test_every_public_page_has_a_unique_title_and_description(client):
    titles, descriptions = set(), set()
    for path in PUBLIC:
        html = page(client.get(path))
        titles.add(html.title.get_text())
        description = html.select_one("meta[name=description]")["content"]
        assert 50 <= len(description) <= 160, (path, len(description))
        descriptions.add(description)
    assert len(titles) == len(descriptions) == len(PUBLIC)


def test_public_pages_carry_a_canonical_link_and_open_graph_tags(app, client):
    html = page(client.get("/guide/pregnancy?from=somewhere"))
    assert html.select_one("link[rel=canonical]")["href"] == (
        f"{DEVELOPMENT_PUBLIC_URL}/guide/pregnancy"
    )
    og = {tag["property"]: tag["content"] for tag in html.select("meta[property^='og:']")}
    assert og["og:type"] == "article"
    assert og["og:url"] == f"{DEVELOPMENT_PUBLIC_URL}/guide/pregnancy"
    assert og["og:title"] == app.extensions["intake"].service.pages.guide_page("pregnancy").title
    assert og["og:locale"] == "en_GB"


def test_the_configured_public_address_is_used_in_links(app_config):
    client = create_app(
        {**app_config, "INTAKE_PUBLIC_URL": "https://help.example.org"}
    ).test_client()
    html = page(client.get("/privacy"))
    assert html.select_one("link[rel=canonical]")["href"] == "https://help.example.org/privacy"


def test_pages_not_for_search_engines_say_noindex(client):
    for path in ["/callback/received", "/callback/withdrawn", "/no-such-page", "/staff/sign-in"]:
        robots = page(client.get(path)).select_one("meta[name=robots]")
        assert robots and "noindex" in robots["content"], path


def test_guide_pages_describe_themselves_as_medical_web_pages(app, client):
    guide = app.extensions["intake"].service.pages.guide_page("side-effects")
    html = page(client.get("/guide/side-effects"))
    data = json.loads(html.select_one("script[type='application/ld+json']").string)
    assert data["@type"] == "MedicalWebPage"
    assert data["lastReviewed"] == guide.reviewed.isoformat()
    assert data["about"] == {"@type": "Drug", "name": "Baclofen"}
    assert data["reviewedBy"]["name"] == app.config["INTAKE_REVIEWER_NAME"]


def test_the_sitemap_lists_every_public_page(client):
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [
        loc.text for loc in ElementTree.fromstring(response.data).findall(".//s:loc", namespace)
    ]
    assert sorted(locations) == sorted(f"{DEVELOPMENT_PUBLIC_URL}{path}" for path in PUBLIC)


def test_robots_txt_keeps_crawlers_out_of_staff_pages(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /staff/" in text
    assert f"Sitemap: {DEVELOPMENT_PUBLIC_URL}/sitemap.xml" in text


def test_guide_pages_have_a_print_style(client):
    css = client.get(page(client.get("/guide/about")).select_one("link[rel=stylesheet]")["href"])
    assert "@media print" in css.get_data(as_text=True)
