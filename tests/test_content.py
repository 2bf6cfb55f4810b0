"""The guide presents every fact of the source notes, in our own words."""

import re
from pathlib import Path

import pytest

from intake.pages import CONTENT_FOLDER, load_library

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_94b54202f1d2b446.txt"
COPIED_RUN = 7  # this many words in a row, taken from the source, count as copying

# Each fact of the source notes, and the words that show the guide states it.
FACTS = {
    "muscle relaxant and depressant": ["muscle relaxant", "central nervous system"],
    "used for spasticity": ["spasticity", "cerebral palsy", "injury to the spinal cord",
                            "disease of the spinal cord", "multiple sclerosis"],
    "helps pain, stiffness, spasms": ["pain", "stiff", "spasms"],
    "not approved in the UK": ["not approved", "UK"],
    "ANSM 2014, 3 years": ["ANSM", "2014", "3 years"],
    "withdrawal syndrome evidence": ["alcohol withdrawal syndrome", "more research"],
    "cocaine studies": ["cocaine addiction"],
    "Charcot-Marie-Tooth": ["Charcot-Marie-Tooth", "sorbitol", "naltrexone"],
    "Sydney liver study": ["University of Sydney", "liver disease", "twice as many", "placebo"],
    "cravings, sobriety, anxiety": ["cravings", "anxiety"],
    "brand names": ["Lioresal Intrathecal", "Lioresal", "Gablofen", "FIRST Baclofen", "Beklo",
                    "Baclodol", "Kemstro", "Flexibac", "Liofen", "Lyflex", "Clofen", "Bacloren",
                    "Muslofen"],
    "history 1962": ["1962", "Heinrich Keberle", "Ciba-Geigy", "epilepsy"],
    "dose varies, high doses": ["cerebrospinal fluid", "high dose"],
    "intrathecal 1984": ["1984", "intrathecal", "400 times"],
    "Ameisen 2008": ["2008", "Olivier Ameisen", "French-American", "cardiologist",
                     "Le Dernier Verre", "2004", "$750,000", "University of Amsterdam"],
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
    "tips": ["with or without food", "heavy machinery", "3.6 mg", "indifferent",
             "January 2004", "anxiety disorder"],
}  # fmt: skip


def guide_text() -> str:
    library = load_library({"retention_days": "90"})
    pages = [page.body for page in library.guide]
    return re.sub(r"<[^>]+>", " ", " ".join(pages)).replace("&rsquo;", "'")


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
