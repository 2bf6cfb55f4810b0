"""The guide presents every fact of the source notes, in our own words."""

import re
from pathlib import Path

import pytest

from intake.pages import CONTENT_FOLDER, load_library
from intake.readability import GUIDE_TARGET, SERVICE_PAGE_TARGET, reading_ease

pytestmark = pytest.mark.pages_only

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_94b54202f1d2b446.txt"
COPIED_RUN = 7  # this many words in a row, taken from the source, count as copying

# Each fact of the source notes, and the words that show the guide states it.
FACTS = {
    "muscle relaxant and depressant": ["muscle relaxant", "central nervous system"],
    "used for spasticity": [
        "spasticity",
        "cerebral palsy",
        "injury to the spinal cord",
        "disease of the spinal cord",
        "multiple sclerosis",
    ],
    "helps pain, stiffness, spasms": ["pain", "stiff", "spasms"],
    "not approved in the UK": ["not approved", "UK"],
    "ANSM 2014, 3 years": ["ANSM", "2014", "3 years"],
    "withdrawal syndrome evidence": ["alcohol withdrawal syndrome", "more research"],
    "cocaine studies": ["cocaine addiction"],
    "Charcot-Marie-Tooth": ["Charcot-Marie-Tooth", "sorbitol", "naltrexone"],
    "Sydney liver study": ["University of Sydney", "liver disease", "twice as many", "placebo"],
    "cravings, sobriety, anxiety": ["cravings", "anxiety"],
    "brand names": [
        "Lioresal Intrathecal",
        "Lioresal",
        "Gablofen",
        "FIRST Baclofen",
        "Beklo",
        "Baclodol",
        "Kemstro",
        "Flexibac",
        "Liofen",
        "Lyflex",
        "Clofen",
        "Bacloren",
        "Muslofen",
    ],
    "history 1962": ["1962", "Heinrich Keberle", "Ciba-Geigy", "epilepsy"],
    "dose varies, high doses": ["cerebrospinal fluid", "high dose"],
    "intrathecal 1984": ["1984", "intrathecal", "400 times"],
    "Ameisen 2008": [
        "2008",
        "Olivier Ameisen",
        "French-American",
        "cardiologist",
        "Le Dernier Verre",
        "2004",
        "$750,000",
        "University of Amsterdam",
    ],
    "prospective alcohol use": ["prospective"],
    "safe as prescribed, misuse": ["prescribed", "tolerance", "dependence"],
    "mixing effects": ["drowsy", "dizzy", "weak"],
    "euphoria, withdrawal": ["euphoria", "insomnia", "tremors", "irritable"],
    "mechanism": ["GABA", "unclear"],
    "works in 2 to 4 hours": ["2 to 4 hours"],
    "interactions": ["753", "over-the-counter", "vitamins", "herbal"],
    "kidneys": ["kidney", "benefits", "risks"],
    "pregnancy": ["pregnant", "breastfeeding", "animal", "birth defects", "low birth weight"],
    "stroke, Parkinson's": ["stroke", "Parkinson", "blood clots", "seizures"],
    "side effects": ["headache", "pass urine more often", "nausea", "constipation", "fatigue"],
    "allergic reaction": ["rash", "hives", "swelling", "difficulty breathing"],
    "call your doctor": ["hallucinations", "confusion", "shallow breathing", "convulsions"],
    "stopping": ["suddenly", "low dose", "2 months", "taper"],
    "withdrawal symptoms": ["disorientation", "agitation", "restlessness", "delirium"],
    "tips": [
        "with or without food",
        "heavy machinery",
        "worked out from his body weight",
        "indifferent",
        "January 2004",
        "anxiety disorder",
    ],
}


LIBRARY = load_library({"retention_days": "90"})

# What matters most to this audience, each on the page a reader would look for it.
RISKS = {
    "how-to-take": {
        "the usual adult dose": ["5 mg three times a day", "slowly", "100 mg a day"],
        "taking too much": ["sleepy", "shallow breathing", "confusion", "floppy", "fits", "packet"],
        "intrathecal pumps": ["pump", "run out", "life-threatening"],
        "pump withdrawal": ["high temperature", "confusion", "very stiff muscles", "itching"],
    },
    "pregnancy": {
        "withdrawal fits in a newborn": ["fit", "withdrawal", "days after birth"],
    },
    "interactions": {
        "mixing": [
            "alcohol",
            "opioids",
            "methadone",
            "buprenorphine",
            "benzodiazepines",
            "gabapentin",
            "pregabalin",
            "sleeping pills",
            "antihistamines",
            "breathing",
        ],
        "what the UK leaflet names": [
            "blood pressure",
            "tricyclic antidepressants",
            "lithium",
            "levodopa",
            "affect the kidneys",
        ],
    },
    "addiction": {
        "stopping drinking safely": ["fits", "delirium tremens", "detox"],
        "France today": ["2018", "Baclocur", "80 mg"],
        "why France set 80 mg": ["180 mg", "hospital", "died"],
        "evidence for relapse": ["2023", "17 trials", "1,818", "heavy drinking days"],
        "the Sydney trial as its paper reports it": ["69%", "43%", "news reports", "does not"],
        "evidence for withdrawal": ["Cochrane"],
        "licensed medicines": ["acamprosate", "naltrexone", "nalmefene", "disulfiram"],
    },
    "side-effects": {
        "mood and suicidal thoughts": ["mood", "suicid", "depression", "alcohol", "116 123"],
        "reporting a side effect": ["Yellow Card", "yellowcard.mhra.gov.uk"],
    },
    "common-questions": {
        "Ameisen as history": ["2013", "never", "dose", "more than twice the usual maximum"],
        "stopping in an emergency": ["high temperature with very stiff muscles"],
    },
}
DRAFTING_ASIDES = ["our notes", "our source", "source notes", "may no longer apply"]


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html).replace("&rsquo;", "'").replace("&amp;", "&")


def guide_text() -> str:
    return text_of(" ".join(page.body for page in LIBRARY.guide))


@pytest.mark.parametrize(("fact", "terms"), FACTS.items())
def test_every_fact_of_the_source_is_in_the_guide(fact, terms):
    text = guide_text().lower()
    missing = [term for term in terms if term.lower() not in text]
    assert not missing, f"{fact}: {missing}"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9$]+(?:['\u2019][a-z]+)?", text.lower())


def runs(tokens: list[str], length: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}


@pytest.mark.skipif(not SEED.exists(), reason=f"the source notes are not beside the repo: {SEED}")
def test_no_sentence_of_the_source_is_copied():
    source = runs(words(SEED.read_text(encoding="utf-8")), COPIED_RUN)
    for path in sorted(CONTENT_FOLDER.rglob("*.md")):
        ours = runs(words(path.read_text(encoding="utf-8")), COPIED_RUN)
        copied = [" ".join(run) for run in ours & source]
        assert not copied, f"{path.name} repeats the source: {copied[:3]}"


@pytest.mark.parametrize("path", sorted(CONTENT_FOLDER.rglob("*.md")), ids=lambda p: p.name)
def test_sentences_are_short_enough_for_a_reading_age_of_about_11(path):
    body = re.sub(r"^\w+:.*$|^ {4}.*$", "", path.read_text(encoding="utf-8"), flags=re.M)
    prose = [line for line in body.splitlines() if line and not line.startswith(("#", "-"))]
    sentences = [s for s in re.split(r"[.!?]+\s", " ".join(prose)) if s.strip()]
    average = sum(len(s.split()) for s in sentences) / len(sentences)
    assert average <= 14, f"average sentence is {average:.1f} words"


@pytest.mark.parametrize(
    ("slug", "risk", "terms"),
    [(slug, risk, terms) for slug, risks in RISKS.items() for risk, terms in risks.items()],
)
def test_the_risks_that_matter_most_are_where_a_reader_looks(slug, risk, terms):
    values = {"crisis_line": "Samaritans on 116 123"}
    text = text_of(load_library(values).guide_page(slug).body).lower()
    missing = [term for term in terms if term.lower() not in text]
    assert not missing, f"{slug}, {risk}: {missing}"


@pytest.mark.parametrize("path", sorted(CONTENT_FOLDER.rglob("*.md")), ids=lambda p: p.name)
def test_no_page_carries_a_drafting_aside(path):
    text = path.read_text(encoding="utf-8").lower()
    assert not [aside for aside in DRAFTING_ASIDES if aside in text]


@pytest.mark.parametrize("page", LIBRARY.guide, ids=lambda page: page.slug)
def test_every_guide_page_reads_easily(page):
    ease = reading_ease(page.body)
    print(f"/guide/{page.slug}: Flesch reading ease {ease:.1f} (target {GUIDE_TARGET:.0f})")
    assert ease >= GUIDE_TARGET, f"/guide/{page.slug} reads at {ease:.1f}"


@pytest.mark.parametrize(
    "page", [LIBRARY.home, *LIBRARY.service.values()], ids=lambda page: page.slug
)
def test_every_page_about_the_service_reads_easily(page):
    ease = reading_ease(page.body)
    print(f"/{page.slug}: Flesch reading ease {ease:.1f} (target {SERVICE_PAGE_TARGET:.0f})")
    assert ease >= SERVICE_PAGE_TARGET, f"/{page.slug} reads at {ease:.1f}"


def test_the_guide_names_checkable_sources():
    links = " ".join(source for page in LIBRARY.guide for source in page.sources)
    for address in [
        "https://www.nhs.uk/medicines/baclofen",
        "https://bnf.nice.org.uk/",
        "https://www.medicines.org.uk/emc",
        "https://www.nice.org.uk/guidance/cg115",
        "https://ansm.sante.fr",
    ]:
        assert address in links, address
    for page in LIBRARY.guide:
        assert any("https://" in source for source in page.sources), page.slug


def test_reading_ease_tells_plain_words_from_hard_ones():
    plain = "<p>Do not stop it all at once. Your doctor will help you cut down.</p>"
    hard = (
        "<p>Abrupt discontinuation of intrathecal administration precipitates potentially "
        "life-threatening withdrawal characterised by hyperthermia and rhabdomyolysis.</p>"
    )
    assert reading_ease(plain) >= GUIDE_TARGET > reading_ease(hard)


def test_each_list_item_counts_as_a_sentence_of_its_own():
    words = ["very sick", "very dizzy", "very tired", "very weak"]
    as_list = reading_ease("<ul>" + "".join(f"<li>feeling {w}</li>" for w in words) + "</ul>")
    as_one_sentence = reading_ease("<p>" + " ".join(f"feeling {w}" for w in words) + "</p>")
    assert as_list > as_one_sentence


def test_bullets_of_one_or_two_words_do_not_count_as_sentences():
    sentence = "<p>These are the side effects that most people get.</p>"
    bullets = "".join(f"<li>{word}</li>" for word in ["headache", "nausea", "tiredness"])
    assert reading_ease(sentence + f"<ul>{bullets}</ul>") < reading_ease(sentence)
