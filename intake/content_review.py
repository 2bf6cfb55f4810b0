"""Keeping the pages reviewed: what `flask --app intake content check` reports.

A guide page is due for review on its `Next-review:` date, must name its sources
and must read easily (Flesch reading ease of at least GUIDE_TARGET); the pages about
the service must reach SERVICE_PAGE_TARGET.
"""

from dataclasses import dataclass
from datetime import date

from intake.pages import Library, Page
from intake.readability import GUIDE_TARGET, SERVICE_PAGE_TARGET, reading_ease


@dataclass(frozen=True)
class PageReport:
    path: str
    title: str
    reading_ease: float
    target: float
    next_review: date | None
    problems: tuple[str, ...]


def review_guide_page(page: Page, today: date) -> PageReport:
    ease = reading_ease(page.body)
    problems = []
    if page.next_review is None:
        problems.append("has no Next-review date")
    elif page.next_review < today:
        problems.append(f"was due for review on {page.next_review.isoformat()}")
    if not page.sources:
        problems.append("names no sources")
    if ease < GUIDE_TARGET:
        problems.append(f"reading ease {ease:.1f} is below {GUIDE_TARGET:.0f}")
    return PageReport(
        f"/guide/{page.slug}", page.title, ease, GUIDE_TARGET, page.next_review, tuple(problems)
    )


def review_service_page(path: str, page: Page) -> PageReport:
    ease = reading_ease(page.body)
    problems = ()
    if ease < SERVICE_PAGE_TARGET:
        problems = (f"reading ease {ease:.1f} is below {SERVICE_PAGE_TARGET:.0f}",)
    return PageReport(path, page.title, ease, SERVICE_PAGE_TARGET, None, problems)


def review_library(library: Library, today: date) -> list[PageReport]:
    """One report per page: the guide in order, then home and the service pages."""
    reports = [review_guide_page(page, today) for page in library.guide]
    reports.append(review_service_page("/", library.home))
    reports += [review_service_page(f"/{slug}", page) for slug, page in library.service.items()]
    return reports
