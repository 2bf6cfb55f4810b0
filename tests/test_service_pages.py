"""The pages a real help line has: who runs it, accessibility, cookies, complaints,
privacy and how to leave quickly; linked from every page's footer."""

import pytest

from intake import create_app
from intake.pages import SERVICE_PAGES
from tests.conftest import page

pytestmark = pytest.mark.pages_only

ORGANISATION = {
    "INTAKE_ORG_NAME": "Northgate Recovery Ltd",
    "INTAKE_ORG_ADDRESS": "12 Mill Lane, Leeds LS1 4AB",
    "INTAKE_ORG_REGISTRATION": "registered with the Care Quality Commission, provider ID 1-234567",
    "INTAKE_ORG_EMAIL": "help@northgate.example",
    "INTAKE_PRIVACY_CONTACT": "dpo@northgate.example",
    "INTAKE_HOSTING_PROVIDER": "Albion Hosting Ltd, in London",
}

# What each page must tell a reader, in words they would look for.
MUST_SAY = {
    "about-this-service": [
        "24 hours",
        "free",
        "GP",
        "drug and alcohol services",
        "acamprosate",
        "naltrexone",
        "nalmefene",
        "disulfiram",
        "Al-Anon",
        "Adfam",
        "Drinkline",
        "FRANK",
    ],
    "accessibility": [
        "WCAG 2.2",
        "AA",
        "keyboard",
        "JavaScript",
        "320",
        "axe",
        "Equality Advisory and Support Service",
        "Equality and Human Rights Commission",
    ],
    "cookies": ["intake_session", "strictly necessary", "analytics", "close your browser"],
    "complaints": ["working days", "Ombudsman", "Care Quality Commission"],
    "privacy": [
        "Article 6",
        "Article 9",
        "explicit consent",
        "vital interests",
        "someone else",
        "access",
        "correct",
        "delete",
        "restrict",
        "object",
        "withdraw",
        "ico.org.uk",
        "0303 123 1113",
        "90 days",
        "encrypted",
    ],
    "leave-quickly": ["Shift", "3 times", "history", "private browsing", "999"],
}


@pytest.mark.parametrize("slug", SERVICE_PAGES)
def test_each_service_page_stands_on_its_own(app, client, slug):
    response = client.get(f"/{slug}")
    assert response.status_code == 200
    html = page(response)
    assert len(html.select("h1")) == 1
    assert html.h1.get_text() == app.extensions["intake"].service.pages.service[slug].title
    text = html.select_one("main").get_text(" ", strip=True)
    missing = [words for words in MUST_SAY[slug] if words not in text]
    assert not missing, f"/{slug} does not say {missing}"


@pytest.mark.parametrize("path", ["/", "/guide/about", "/callback", "/cookies", "/no-such-page"])
def test_every_page_has_a_footer_linking_the_service_pages(client, path):
    footer = page(client.get(path)).select_one("footer.site-footer")
    hrefs = [link["href"] for link in footer.select("a")]
    linked = [href for href in hrefs if href.strip("/") in SERVICE_PAGES]
    assert linked == [f"/{slug}" for slug in SERVICE_PAGES]


def test_the_organisation_details_come_from_configuration(app_config):
    client = create_app({**app_config, **ORGANISATION}).test_client()
    about = page(client.get("/about-this-service")).select_one("main").get_text(" ", strip=True)
    for name in ["INTAKE_ORG_NAME", "INTAKE_ORG_ADDRESS", "INTAKE_ORG_REGISTRATION"]:
        assert ORGANISATION[name] in about, name
    privacy = page(client.get("/privacy")).select_one("main").get_text(" ", strip=True)
    for name in [
        "INTAKE_ORG_NAME",
        "INTAKE_ORG_ADDRESS",
        "INTAKE_PRIVACY_CONTACT",
        "INTAKE_HOSTING_PROVIDER",
    ]:
        assert ORGANISATION[name] in privacy, name
    footer = page(client.get("/guide/about")).select_one("footer.site-footer").get_text()
    assert "Northgate Recovery Ltd" in footer
    assert "placeholder" not in about + privacy + footer


def test_the_privacy_notice_states_the_configured_retention(app_config):
    client = create_app({**app_config, "INTAKE_RETENTION_DAYS": 45}).test_client()
    text = page(client.get("/privacy")).get_text(" ", strip=True)
    assert "45 days" in text


def test_the_privacy_notice_names_the_email_company_only_when_there_is_one(app_config):
    client = create_app(app_config).test_client()
    assert "no email company sees your details" in page(client.get("/privacy")).get_text(" ")
    configured = {**app_config, "INTAKE_EMAIL_PROVIDER": "Postbox Mail Ltd"}
    text = page(create_app(configured).test_client().get("/privacy")).get_text(" ")
    assert "Postbox Mail Ltd sends our emails for us." in text


@pytest.mark.parametrize("path", ["/", "/guide/about", *[f"/{slug}" for slug in SERVICE_PAGES]])
def test_reading_a_page_sets_no_cookie_as_the_cookie_page_says(client, path):
    response = client.get(path)
    assert "Set-Cookie" not in response.headers


def test_the_callback_form_sets_only_the_one_strictly_necessary_cookie(client):
    cookies = client.get("/callback").headers.getlist("Set-Cookie")
    assert [cookie.split("=", 1)[0] for cookie in cookies] == ["intake_session"]
    assert "Expires" not in cookies[0] and "Max-Age" not in cookies[0], "gone at browser close"


def test_the_consent_tick_names_health_information(client):
    label = page(client.get("/callback")).select_one("label[for=consent]").get_text(" ")
    assert "health" in label
