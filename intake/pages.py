"""Page wording: Markdown files under intake/content/, rendered once at start-up."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

import markdown
from markupsafe import Markup

CONTENT_FOLDER = Path(__file__).parent / "content"


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    body: Markup
    reviewed: date | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Library:
    """Every rendered page, looked up by the views."""

    home: Page
    privacy: Page
    guide: tuple[Page, ...]

    def guide_page(self, slug: str) -> Page | None:
        return next((page for page in self.guide if page.slug == slug), None)

    def neighbours(self, page: Page) -> tuple[Page | None, Page | None]:
        """The guide pages before and after `page`."""
        index = self.guide.index(page)
        previous = self.guide[index - 1] if index > 0 else None
        following = self.guide[index + 1] if index + 1 < len(self.guide) else None
        return previous, following

    @property
    def guide_slugs(self) -> frozenset[str]:
        return frozenset(page.slug for page in self.guide)


def render_page(path: Path, values: dict[str, str], slug: str | None = None) -> Page:
    """Render one Markdown file with its `Title:`/`Summary:`/`Reviewed:`/`Sources:` header."""
    converter = markdown.Markdown(extensions=["meta", "sane_lists", "smarty"])
    text = Template(path.read_text(encoding="utf-8")).safe_substitute(values)
    body = converter.convert(text)
    meta = converter.Meta  # type: ignore[attr-defined]
    reviewed = meta.get("reviewed")
    return Page(
        slug=slug or path.stem,
        title=" ".join(meta["title"]),
        summary=" ".join(meta.get("summary", [])),
        body=Markup(body),  # noqa: S704  (our own Markdown files, not user input)
        reviewed=date.fromisoformat(reviewed[0]) if reviewed else None,
        sources=tuple(meta.get("sources", [])),
    )


def load_library(values: dict[str, str], folder: Path = CONTENT_FOLDER) -> Library:
    """Render every page; guide files are named NN-slug.md and kept in that order."""
    guide = tuple(
        render_page(path, values, slug=path.stem.split("-", 1)[1])
        for path in sorted((folder / "guide").glob("[0-9][0-9]-*.md"))
    )
    return Library(
        home=render_page(folder / "home.md", values),
        privacy=render_page(folder / "privacy.md", values),
        guide=guide,
    )
