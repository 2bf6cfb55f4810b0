"""Advice that holds in one country comes from the country profile and the page files'
country blocks, never from words every country sees."""

import re

import pytest

from intake import create_app
from intake.domain.country import PROFILES, profile_for
from intake.pages import ContentError, for_country, load_library
from tests.conftest import CallbackVisitor, page

pytestmark = pytest.mark.pages_only

TEXT = """Before.
::: GB
Your GP can help.
:::
::: not GB IE
A doctor near you can help.
:::
::: US CA
Call Poison Control.
:::
After.
"""
# Every profile we know, and one we do not (which gets the general profile).
COUNTRIES = [*PROFILES, "FR"]


def settings(app_config, country: str) -> dict:
    return {**app_config, "INTAKE_COUNTRY": country, "INTAKE_HELPLINE_PHONE": "+448081570192"}


def library_for(country: str):
    values = {
        **profile_for(country).page_values,
        "helpline_number": "0808 157 0192",
        "retention_days": "90",
        "withdrawn_retention_days": "30",
    }
    return load_library(values)


def sentences(html: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", html)
    return [s.strip() for s in re.split(r"(?<=[.!?:])\s+|\n", text) if s.strip()]


@pytest.mark.parametrize(
    ("country", "kept"),
    [
        ("GB", ["Your GP can help."]),
        ("IE", []),
        ("US", ["A doctor near you can help.", "Call Poison Control."]),
        ("FR", ["A doctor near you can help."]),
    ],
)
def test_a_country_block_is_kept_only_where_its_codes_say(country, kept):
    chosen = [line for line in for_country(TEXT, country).splitlines() if line]
    assert chosen == ["Before.", *kept, "After."]


@pytest.mark.parametrize("text", ["::: GB\nno end\n", "::: GB\n::: US\nx\n:::\n:::\n"])
def test_an_unclosed_or_nested_block_is_refused_rather_than_shown(text):
    with pytest.raises(ContentError):
        for_country(text, "GB")


@pytest.mark.parametrize("country", COUNTRIES)
def test_the_urgent_advice_is_never_doubled_with_a_doctor_of_the_pages_own(country):
    library = library_for(country)
    advice = profile_for(country).urgent_advice.lower()
    given = 0
    for item in (library.home, *library.guide, *library.service.values()):
        for sentence in sentences(item.body):
            if advice in sentence.lower():
                given += 1
                assert sentence.lower().count("doctor") == advice.count("doctor"), sentence
    assert given, "the urgent advice is never given"


@pytest.mark.parametrize("country", COUNTRIES)
def test_each_profile_writes_whole_sentences_into_the_pages(country):
    values = profile_for(country).page_values
    assert values["Urgent_advice"][0].isupper()
    assert values["Urgent_advice"][1:] == values["urgent_advice"][1:]
    assert values["Poison_advice"].lower() == values["poison_advice"].lower()


def test_in_the_us_poison_control_is_offered_for_a_possible_overdose(app_config):
    client = create_app(settings(app_config, "US")).test_client()
    html = page(client.get("/guide/how-to-take"))
    links = {a["href"] for a in html.select(".help-block .phone-lines a")}
    assert "tel:+18002221222" in links
    assert "Poison Control on 1-800-222-1222" in html.select_one("main .prose").get_text(" ")


def test_in_the_uk_the_help_block_says_what_to_do_in_northern_ireland(client):
    lines = page(client.get("/guide/about")).select_one(".help-block .phone-lines")
    text = lines.get_text(" ", strip=True)
    assert "NHS 24 in Scotland" in text
    assert "Northern Ireland has no 111 line: call your GP or GP out-of-hours service" in text


# Advice that only holds in the UK: its services, its regulators, its law, its nations.
UK_ONLY = {
    "a GP": re.compile(r"\bGPs?\b"),
    "the 111 line": re.compile(r"\b111\b"),
    "NHS 24": re.compile(r"NHS 24"),
    "FRANK": re.compile(r"\bFRANK\b"),
    "Drinkline": re.compile(r"Drinkline"),
    "Yellow Card": re.compile(r"Yellow Card", re.I),
    "DAN 24/7": re.compile(r"DAN 24/7"),
    "the ICO": re.compile(r"\bICO\b|Information Commissioner"),
    "an ombudsman of the UK": re.compile(r"Ombudsman"),
    "the DVLA": re.compile(r"DVLA"),
    "the four nations": re.compile(r"Northern Ireland|Scotland|England and Wales"),
}


@pytest.mark.parametrize("country", ["US", "AU", "FR"])
def test_outside_the_uk_no_page_offers_uk_services(app_config, country):
    client = create_app(settings(app_config, country)).test_client()
    library = client.application.extensions["intake"].service.pages
    addresses = ["/", *(f"/guide/{p.slug}" for p in library.guide)]
    addresses += [f"/{slug}" for slug in library.service]
    for address in addresses:
        text = page(client.get(address)).select_one("main").get_text(" ")
        found = [name for name, pattern in UK_ONLY.items() if pattern.search(text)]
        assert not found, (address, found)


@pytest.mark.parametrize(
    ("country", "hint", "example"),
    [
        ("GB", "A UK number", "like 07400 123456 or +44 7400 123456"),
        ("US", "A US number", "like (201) 555-0123 or +1 201-555-0123"),
        ("AU", "An Australian number", "like 0412 345 678 or +61 412 345 678"),
    ],
)
def test_the_form_asks_for_a_number_of_the_services_own_country(app_config, country, hint, example):
    client = create_app(settings(app_config, country)).test_client()
    form = page(client.get("/callback"))
    assert hint in form.select_one("#phone-hint").get_text()
    sent = {**CallbackVisitor(client).filled_form(), "phone": "12"}
    error = page(client.post("/callback", data=sent)).select_one("#phone-error").get_text()
    assert example in error
