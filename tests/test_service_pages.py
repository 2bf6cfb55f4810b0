"""The pages a real help line has: who runs it, accessibility, cookies, complaints,
privacy and how to leave quickly; linked from every page's footer."""

import re

import pytest

from intake import create_app
from intake.config import ORGANISATION_PLACEHOLDERS
from intake.domain.staff_sessions import DRAFT_KEPT_FOR
from intake.pages import SERVICE_PAGES
from intake.staff.auth import DEVICE_LIFETIME, WARN_BEFORE
from tests.conftest import page
from tests.test_country import UK_ONLY

pytestmark = pytest.mark.pages_only

ORGANISATION = {
    "INTAKE_ORG_NAME": "Northgate Recovery Ltd",
    "INTAKE_ORG_ADDRESS": "12 Mill Lane, Leeds LS1 4AB",
    "INTAKE_ORG_REGISTRATION": "registered with the Care Quality Commission, provider ID 1-234567",
    "INTAKE_ORG_EMAIL": "help@northgate.example",
    "INTAKE_PRIVACY_CONTACT": "dpo@northgate.example",
    "INTAKE_DPO_NAME": "Sam Okafor",
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
        "INTAKE_DPO_NAME",
        "INTAKE_HOSTING_PROVIDER",
    ]:
        assert ORGANISATION[name] in privacy, name
    footer = page(client.get("/guide/about")).select_one("footer.site-footer").get_text(" ")
    for name in ["INTAKE_ORG_NAME", "INTAKE_ORG_EMAIL", "INTAKE_DPO_NAME"]:
        assert ORGANISATION[name] in footer, name
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


def test_every_cookie_a_staff_sign_in_sets_is_named_on_the_cookie_page(client, make_member):
    _, browser = make_member()
    browser.enter_password()
    response = browser.enter_code()
    names = {cookie.split("=", 1)[0] for cookie in response.headers.getlist("Set-Cookie")}
    assert "intake_device" in names
    cookie_page = page(client.get("/cookies")).get_text(" ")
    for name in names:
        assert name in cookie_page
    assert f"{DEVICE_LIFETIME.days} days" in cookie_page


def test_the_accessibility_statement_says_how_the_shift_shortcut_behaves(client):
    """What it says is what tests/browser/test_visitor_journeys.py proves: three Shifts
    leave, and Shift with a letter (typing a capital) never does."""
    statement = page(client.get("/accessibility")).get_text(" ")
    assert "Pressing Shift on its own 3 times within 5 seconds leaves the site." in statement
    assert "Any other key in between starts the count again" in statement
    assert "even while you type in the form" in statement
    assert "press Control to stop speech instead" in statement


def test_the_accessibility_statement_says_how_staff_pages_behave_for_keyboard_and_screen_readers(
    client,
):
    """Each sentence is what tests/browser/test_staff_access.py proves in the browser, with
    the figures the code uses (quotation marks made plain: the page curls them)."""
    statement = page(client.get("/accessibility")).get_text(" ")
    statement = statement.replace("\u201c", '"').replace("\u201d", '"')
    warning = int(WARN_BEFORE.total_seconds() // 60)
    kept = int(DRAFT_KEPT_FOR.total_seconds() // 3600)
    for promise in (
        "only the rows that change are replaced, and your focus stays where it was",
        'a button above the list says how many there are, such as "3 changes: show them"',
        '"Pause updates" button stops the list changing until you choose "Resume updates"',
        '"New urgent request: K7QM-4Z2P"',
        f"{warning} minutes before you would be signed out for not using the dashboard",
        'Choosing "Stay signed in", or pressing Escape, keeps you signed in',
        f"what you typed on the page is kept for {kept} hours",
        f"its page speaks only when your hold will end in {warning} minutes or has ended",
        "a message at the top of the next page says what happened, and takes your focus",
        "the staff queue and request pages using only a keyboard, at 1280 and 320 pixels wide",
    ):
        assert promise in statement


def test_the_consent_tick_names_health_information(client):
    label = page(client.get("/callback")).select_one("label[for=consent]").get_text(" ")
    assert "health" in label


# What the footer shows of the organisation, each setting in the words it is shown in.
FOOTER_SETTINGS = [
    "INTAKE_ORG_NAME",
    "INTAKE_ORG_REGISTRATION",
    "INTAKE_ORG_ADDRESS",
    "INTAKE_ORG_EMAIL",
    "INTAKE_DPO_NAME",
    "INTAKE_PRIVACY_CONTACT",
]


def marked(text: str, value: str) -> bool:
    """Whether every time `value` is shown it says it is a placeholder."""
    shown = [match.end() for match in re.finditer(re.escape(value), text)]
    return bool(shown) and all(
        "(placeholder)" in value or text[end:].lstrip().startswith("(placeholder)") for end in shown
    )


@pytest.mark.parametrize("path", ["/", "/guide/about", "/privacy"])
def test_every_development_placeholder_is_marked_in_the_footer(client, path):
    footer = page(client.get(path)).select_one("footer.site-footer")
    text = footer.get_text(" ", strip=True)
    unmarked = [
        name for name in FOOTER_SETTINGS if not marked(text, ORGANISATION_PLACEHOLDERS[name])
    ]
    assert not unmarked, f"shown without '(placeholder)': {unmarked}"
    mailto = {link["href"] for link in footer.select("a[href^='mailto:']")}
    assert mailto == {"mailto:help@example.org", "mailto:privacy@example.org"}, "links unbroken"


@pytest.mark.parametrize("slug", ["privacy", "complaints", "accessibility"])
def test_the_placeholder_addresses_are_marked_on_the_service_pages_too(client, slug):
    main = page(client.get(f"/{slug}")).select_one("main")
    text = main.get_text(" ", strip=True)
    for name in ["INTAKE_ORG_EMAIL", "INTAKE_PRIVACY_CONTACT"]:
        value = ORGANISATION_PLACEHOLDERS[name]
        assert value not in text or marked(text, value), f"/{slug} shows {value} unmarked"
    for link in main.select("a[href^='mailto:']"):
        assert link["href"] == f"mailto:{link.get_text()}", "the marker stays out of the link"


def about_text(client) -> str:
    return page(client.get("/about-this-service")).select_one("main").get_text(" ", strip=True)


def test_naltrexone_is_not_called_unlicensed_and_all_four_medicines_are_licensed_or_recommended(
    client,
):
    text = about_text(client)
    assert not re.search(r"not licensed|unlicensed|not approved", text, re.I)
    medicines = ["acamprosate", "naltrexone", "nalmefene", "disulfiram"]
    licensed = next(s for s in re.split(r"(?<=\.) ", text) if "licensed in the UK" in s)
    assert all(medicine in licensed.lower() for medicine in medicines), licensed
    nice = " ".join(s for s in re.split(r"(?<=\.) ", text) if "recommends" in s)
    assert "NICE" in text
    assert all(medicine in nice.lower() for medicine in medicines), nice


def test_the_about_page_says_plainly_that_we_sell_treatment_and_what_is_free_elsewhere(client):
    text = about_text(client)
    assert "We sell treatment" in text
    assert "fees people pay us for treatment" in text, "how the line is paid for"
    assert "the call is free, and so is our advice" in text
    assert "no obligation" in text
    for free in ["GP", "NHS drug and alcohol services", "free support and treatment"]:
        assert free in text, free


def test_the_home_page_says_we_sell_treatment_and_links_to_how_the_line_is_paid_for(client):
    main = page(client.get("/")).select_one("main")
    assert "sells treatment" in main.get_text(" ", strip=True)
    assert main.select_one("a[href='/about-this-service']")


# Beyond what no page may show outside the UK (tests/test_country.py), the service
# pages name neither the NHS, NICE nor UK law: the guide may cite them as sources.
UK_ONLY_ON_SERVICE_PAGES = {
    **{name: pattern.pattern for name, pattern in UK_ONLY.items()},
    "NHS": r"\bNHS\b",
    "NICE": r"\bNICE\b",
    "UK law": r"UK GDPR|Data Protection Act|Equality Act|Equality and Human Rights",
    "the UK": r"\bthe UK\b|\bWales\b",
}
# What each page still tells a reader elsewhere, in general words.
ELSEWHERE = {
    "about-this-service": ["A doctor can talk with you", "free or low-cost help", "911"],
    "complaints": ["independent body", "ask them how to complain"],
    "privacy": ["personal data where you live", "interests and rights"],
    "accessibility": ["who enforces these laws where you live"],
}


def test_outside_great_britain_the_service_pages_show_no_uk_only_help(app_config):
    settings = {
        **app_config,
        "INTAKE_COUNTRY": "US",
        "INTAKE_HELPLINE_PHONE": "+448081570192",
        "INTAKE_HOSTING_PROVIDER": "Buckeye Hosting Inc, in Ohio",
    }
    client = create_app(settings).test_client()
    for slug in ["", *SERVICE_PAGES]:
        text = page(client.get(f"/{slug}")).select_one("main").get_text(" ", strip=True)
        shown = [
            name
            for name, pattern in UK_ONLY_ON_SERVICE_PAGES.items()
            if re.search(pattern, text, re.I)
        ]
        assert not shown, f"/{slug} shows {shown}"
        missing = [words for words in ELSEWHERE.get(slug, []) if words not in text]
        assert not missing, f"/{slug} does not say {missing}"


OMBUDSMEN = {
    "Parliamentary and Health Service Ombudsman": "https://www.ombudsman.org.uk/",
    "Local Government and Social Care Ombudsman": "https://www.lgo.org.uk/",
    "Scottish Public Services Ombudsman": "https://www.spso.org.uk/",
    "Public Services Ombudsman for Wales": "https://www.ombudsman.wales/",
    "Northern Ireland Public Services Ombudsman": "https://nipso.org.uk/",
}


def test_in_great_britain_the_complaints_page_names_each_nations_ombudsman(client):
    main = page(client.get("/complaints")).select_one("main")
    items = [item.get_text(" ", strip=True) for item in main.select("li")]
    links = {link["href"] for link in main.select("a")}
    for nation, ombudsman in zip(
        ["England", "England", "Scotland", "Wales", "Northern Ireland"], OMBUDSMEN, strict=True
    ):
        assert any(item.startswith(nation) and ombudsman in item for item in items), ombudsman
        assert OMBUDSMEN[ombudsman] in links, ombudsman
    assert any("NHS pays" in item and "Parliamentary" in item for item in items)
    assert any("pay for your own adult social care" in item and "Local" in item for item in items)


def test_in_great_britain_the_about_page_gives_each_nations_urgent_help_and_dan_247(client):
    text = about_text(client)
    assert "In Wales, DAN 24/7 gives advice about drugs and alcohol, day or night." in text
    assert "Call 0808 808 2234. The call is free." in text
    assert "in Scotland, call NHS 24 on 111" in text
    assert "in Northern Ireland, there is no 111 line, so call your GP" in text
    assert "Health and Social Care (HSC)" in text
