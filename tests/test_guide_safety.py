"""The guide as a pharmacist would sign it: doses, emergencies, advice for the reader's country."""

import re

import pytest
from bs4 import BeautifulSoup

from intake.domain.country import profile_for
from intake.pages import CONTENT_FOLDER, Library, load_library

pytestmark = pytest.mark.pages_only

SETTINGS = {
    "helpline_number": "0800 000 0000",
    "retention_days": "90",
    "withdrawn_retention_days": "30",
}
# A dose worked out per kilo of body weight, in any of the ways it gets written.
PER_KILO = re.compile(r"mg\s*(?:/|for each|per|a|every)\s*(?:kilo|kg)|mg/kg", re.I)


def library_for(country: str) -> Library:
    return load_library({**profile_for(country).page_values, **SETTINGS})


GB = library_for("GB")


def html(library: Library, slug: str) -> BeautifulSoup:
    return BeautifulSoup(library.guide_page(slug).body, "html.parser")


def words(node) -> str:
    return " ".join(node.get_text(" ").replace("\u2019", "'").split())


def section(page: BeautifulSoup, anchor: str) -> str:
    """The words from the heading with id `anchor` to the next heading of its level or above."""
    heading = page.find(id=anchor)
    level = int(heading.name[1])
    parts = []
    for node in heading.find_next_siblings():
        if re.fullmatch(r"h[1-6]", node.name) and int(node.name[1]) <= level:
            break
        parts.append(words(node))
    return " ".join(parts)


def sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?:])\s+", text) if part]


def urgent_boxes(page: BeautifulSoup) -> list:
    return page.select(".admonition.urgent")


def title_of(box) -> str:
    return words(box.select_one(".admonition-title"))


# The usual adult dose, as the NHS and the UK product information give it.


def test_the_how_to_take_page_gives_the_usual_adult_dose_and_says_never_to_change_it_yourself():
    dose = section(html(GB, "how-to-take"), "dose").lower()
    assert "usual first dose is 5 mg three times a day" in dose
    assert "raises the dose slowly" in dose
    assert "usual maximum for adults is 100 mg a day" in dose
    assert "never change your own dose" in dose


@pytest.mark.parametrize(
    "path", sorted((CONTENT_FOLDER / "guide").glob("*.md")), ids=lambda path: path.name
)
def test_no_guide_page_gives_a_dose_per_kilo_of_body_weight(path):
    written = path.read_text(encoding="utf-8")
    assert not PER_KILO.search(written), PER_KILO.search(written)
    assert "3.6" not in written


def test_a_per_kilo_dose_is_caught_however_it_is_written():
    for dose in ["3.6 mg for each kilo", "3.6mg per kilo", "3.6 mg/kg", "3.6 mg a kilo"]:
        assert PER_KILO.search(dose), dose
    assert not PER_KILO.search("the usual maximum is 100 mg a day")


def test_ameisens_dose_is_told_as_his_story_and_set_against_the_usual_maximum():
    history = section(html(GB, "common-questions"), "history")
    assert "worked out from his body weight" in history
    assert "more than twice the usual maximum of 100 mg a day" in history


# Emergencies: the emergency number first, in an urgent box a frightened reader sees.


@pytest.mark.parametrize("country", ["GB", "US", "FR"])
def test_the_pregnancy_page_says_a_newborn_can_have_withdrawal_fits_days_after_birth(country):
    number = profile_for(country).emergency.number
    boxes = [
        box
        for box in urgent_boxes(html(library_for(country), "pregnancy"))
        if "days after birth" in words(box)
    ]
    assert boxes, "no urgent box about fits days after birth"
    box = words(boxes[0])
    assert title_of(boxes[0]).startswith(f"Call {number} now if your baby has a fit")
    assert "withdrawal" in box
    assert "newborn" in box


def test_a_failing_pump_means_calling_the_emergency_number_before_the_pump_team():
    page = html(GB, "how-to-take")
    box = next(box for box in urgent_boxes(page) if "pump" in title_of(box))
    assert title_of(box).startswith("Call 999 now")
    for sign in ["a high temperature", "confusion", "very stiff muscles", "itching"]:
        assert sign in words(box), sign
    after_the_box = " ".join(words(node) for node in box.find_next_siblings())
    assert after_the_box.index("999") < after_the_box.index("pump team")
    stopping = section(html(GB, "common-questions"), "stopping")
    advice = [s for s in sentences(stopping) if "999" in s and "pump team" in s]
    assert advice, "the pump section of /guide/common-questions names neither"
    for sentence in advice:
        assert sentence.index("999") < sentence.index("pump team"), sentence


def test_no_page_reads_as_if_the_pump_team_were_ill():
    for page in GB.guide:
        assert "if they are ill" not in words(BeautifulSoup(page.body, "html.parser")).lower()


def test_a_high_temperature_with_very_stiff_muscles_is_an_emergency_with_or_without_a_pump():
    page = html(GB, "common-questions")
    box = next(box for box in urgent_boxes(page) if "stopping baclofen" in title_of(box))
    signs = [words(item) for item in box.select("li")]
    assert "a high temperature with very stiff muscles" in signs


# The research, as the papers themselves report it.


def test_the_addiction_page_cites_the_2023_cochrane_review_and_drops_mixed_results():
    page = GB.guide_page("addiction")
    sources = " ".join(page.sources)
    assert "https://doi.org/10.1002/14651858.CD012557.pub3" in sources
    assert "Agabio" in sources
    text = words(BeautifulSoup(page.body, "html.parser"))
    for finding in ["2023", "17 trials", "1,818 people", "heavy drinking days"]:
        assert finding in text, finding
    assert "mixed" not in text.lower()


def test_the_addiction_page_says_why_france_set_its_80_mg_limit_and_links_ansm():
    page = GB.guide_page("addiction")
    france = section(html(GB, "addiction"), "france")
    assert "Why France set a limit of 80 mg a day" in france
    for reason in ["health records", "hospital", "died", "180 mg a day"]:
        assert reason in france, reason
    assert any("https://ansm.sante.fr/" in source for source in page.sources)


def test_claims_from_news_reports_are_attributed_in_prose_not_listed_as_findings():
    page = html(GB, "addiction")
    assert not [item for item in page.select("li") if "twice as many" in words(item)]
    claim = next(s for s in sentences(section(page, "studies")) if "twice as many" in s)
    assert claim.startswith("News reports")
    assert "anxiety" in claim
    assert "The paper's summary does not report" in section(page, "studies")


def section_items(page: BeautifulSoup, anchor: str) -> list[str]:
    """The list items in the section under the heading with id `anchor`."""
    heading = page.find(id=anchor)
    items = []
    for node in heading.find_next_siblings():
        if re.fullmatch(r"h[1-6]", node.name) and int(node.name[1]) <= int(heading.name[1]):
            break
        items += [words(item) for item in node.select("li")] if node.name in {"ul", "ol"} else []
    return items


def test_the_interactions_page_lists_the_medicines_the_uk_leaflet_names():
    items = " ".join(section_items(html(GB, "interactions"), "extra-care"))
    for medicine in [
        "medicines for high blood pressure",
        "tricyclic antidepressants",
        "lithium",
        "levodopa",
        "medicines that affect the kidneys",
    ]:
        assert medicine in items, medicine


# Advice from the reader's country: the profile's words, and UK services only in the UK.


def guide_text(library: Library) -> str:
    return " ".join(words(BeautifulSoup(page.body, "html.parser")) for page in library.guide)


def test_in_the_uk_the_guide_gives_the_yellow_card_dan_24_7_and_the_four_nations():
    text = guide_text(GB)
    for advice in [
        "Yellow Card",
        "yellowcard.mhra.gov.uk",
        "DAN 24/7",
        "0808 808 2234",
        "NHS 111",
        "NHS 24",
        "Northern Ireland has no 111 line",
        "illegal to drive if a medicine impairs your driving",
    ]:
        assert advice in text, advice
