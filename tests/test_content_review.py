"""What `content check` finds wrong with a page, called without the command."""

from datetime import date

import pytest
from markupsafe import Markup

from intake.content_review import review_guide_page, review_service_page
from intake.pages import Page

pytestmark = pytest.mark.pages_only

PLAIN = Markup("<p>Baclofen helps tight muscles relax. Do not stop it all at once.</p>")
HARD = Markup(
    "<p>Abrupt discontinuation of intrathecal administration precipitates potentially "
    "life-threatening withdrawal characterised by hyperthermia and rhabdomyolysis.</p>"
)
TODAY = date(2026, 11, 25)


def guide_page(**changes) -> Page:
    fields = {
        "slug": "about",
        "title": "About",
        "summary": "",
        "body": PLAIN,
        "reviewed": date(2026, 1, 1),
        "next_review": date(2027, 1, 1),
        "sources": (Markup('<a href="https://www.nhs.uk/">NHS</a>'),),
    }
    return Page(**{**fields, **changes})


def test_a_reviewed_sourced_plain_page_has_no_problems():
    assert review_guide_page(guide_page(), TODAY).problems == ()


def test_a_page_past_its_review_date_is_named():
    report = review_guide_page(guide_page(next_review=date(2026, 11, 24)), TODAY)
    assert report.problems == ("was due for review on 2026-11-24",)


def test_a_page_due_today_is_still_in_date():
    assert review_guide_page(guide_page(next_review=TODAY), TODAY).problems == ()


def test_a_page_without_sources_or_a_review_date_is_named():
    report = review_guide_page(guide_page(sources=(), next_review=None), TODAY)
    assert report.problems == ("has no Next-review date", "names no sources")


def test_a_hard_page_is_named_with_its_figure():
    report = review_guide_page(guide_page(body=HARD), TODAY)
    assert len(report.problems) == 1
    assert report.problems[0].startswith("reading ease ")
    assert report.problems[0].endswith("is below 70")


def test_service_pages_are_held_to_their_own_target():
    assert review_service_page("/cookies", guide_page(body=PLAIN)).problems == ()
    assert review_service_page("/cookies", guide_page(body=HARD)).problems
