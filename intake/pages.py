"""Page wording: Markdown files under intake/content/, rendered once at start-up.

A file starts with a header (`Title:`, `Summary:`, `Reviewed:`, `Next-review:`,
`Sources:`), then Markdown. `$name` placeholders take values from configuration
(the country's emergency number, the organisation's details); an urgent-help box is
an admonition: `!!! urgent "Call $emergency_number now if:"`.

Words that hold in one country only (the NHS, a UK regulator) sit in a block that
`for_country` keeps or drops by the configured country's code:

    ::: GB
    Your GP can refer you to free NHS treatment.
    :::
    ::: not GB
    A doctor can tell you about free treatment near you.
    :::

A block opens with `::: ` and one or more codes (or `not` and codes) and closes with
a line of `:::`; blocks do not nest.
"""

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from string import Template

import markdown
from markupsafe import Markup

from intake.caching import memoised

CONTENT_FOLDER = Path(__file__).parent / "content"
MARKDOWN_EXTENSIONS = ["meta", "sane_lists", "smarty", "admonition", "attr_list"]
# The pages about the service itself, each at /<slug>, with their footer links in order.
SERVICE_PAGES = {
    "about-this-service": "About this service",
    "accessibility": "Accessibility",
    "cookies": "Cookies",
    "complaints": "Complaints and feedback",
    "privacy": "Privacy",
    "leave-quickly": "Leaving quickly",
}
# Guide addresses that moved when the guide took the NHS medicines pages' order.
MOVED_GUIDE_PAGES = {
    "cautions": "who-can-take",
    "tips": "how-to-take",
    "addictive": "common-questions#addictive",
    "stopping": "common-questions#stopping",
    "history": "common-questions#history",
}


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    body: Markup
    reviewed: date | None = None
    next_review: date | None = None
    sources: tuple[Markup, ...] = ()


@dataclass(frozen=True)
class Library:
    """Every rendered page, looked up by the views."""

    home: Page
    guide: tuple[Page, ...]
    service: dict[str, Page]

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


DEFAULT_COUNTRY = "GB"
_BLOCK = re.compile(
    r"^::: *(?P<negate>not +)?(?P<codes>[A-Z]{2}(?: +[A-Z]{2})*) *\n(?P<body>.*?)^::: *$\n?",
    re.M | re.S,
)


class ContentError(ValueError):
    """A page file that cannot be read as written (an unclosed country block, say)."""


def for_country(text: str, country_code: str) -> str:
    """`text` with the country blocks that apply to `country_code` kept, the rest gone."""

    def choose(block: re.Match[str]) -> str:
        applies = country_code in block["codes"].split()
        return block["body"] if applies != bool(block["negate"]) else ""

    chosen = _BLOCK.sub(choose, text)
    if re.search(r"^:::", chosen, re.M):
        raise ContentError("a ':::' country block is not closed, or is nested")
    return chosen


def _inline(text: str) -> Markup:
    """One line of Markdown (a source, say) as HTML without its paragraph."""
    html = markdown.markdown(text, extensions=["smarty"])
    return Markup(html.removeprefix("<p>").removesuffix("</p>"))  # noqa: S704  (our files)


def _date(meta: dict[str, list[str]], key: str) -> date | None:
    value = meta.get(key)
    return date.fromisoformat(value[0]) if value else None


def render_page(path: Path, values: dict[str, str], slug: str | None = None) -> Page:
    """Render one Markdown file and its header, with `values` put in its placeholders.

    Each version of a file is rendered once per set of values, however many apps are
    built from it (the tests build one per test; Markdown is most of the cost)."""
    modified = path.stat().st_mtime_ns
    return _rendered(path, modified, tuple(sorted(values.items())), slug)


@memoised(
    "pages.rendered",
    holds="each content file rendered to HTML, by its path, version and placeholder values",
    size=256,
    lifetime=None,
    cleared_by="nothing: an edited file is a new key (its modification time); a deploy",
    earns="a miss renders one content file: 12 to 16 ms, for each of about 20 files an app "
    "builds (bench.caches)",
)
def _rendered(
    path: Path, modified: int, values: tuple[tuple[str, str], ...], slug: str | None
) -> Page:
    converter = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS)
    settings = dict(values)
    chosen = for_country(
        path.read_text(encoding="utf-8"), settings.get("country_code", DEFAULT_COUNTRY)
    )
    text = Template(chosen).safe_substitute(settings)
    body = converter.convert(text)
    meta = converter.Meta  # type: ignore[attr-defined]
    return Page(
        slug=slug or path.stem,
        title=" ".join(meta["title"]),
        summary=" ".join(meta.get("summary", [])),
        body=Markup(body),  # noqa: S704  (our own Markdown files, not user input)
        reviewed=_date(meta, "reviewed"),
        next_review=_date(meta, "next-review"),
        sources=tuple(_inline(source) for source in meta.get("sources", []) if source.strip()),
    )


def load_library(values: dict[str, str], folder: Path = CONTENT_FOLDER) -> Library:
    """Render every page; guide files are named NN-slug.md and kept in that order."""
    guide = tuple(
        render_page(path, values, slug=path.stem.split("-", 1)[1])
        for path in sorted((folder / "guide").glob("[0-9][0-9]-*.md"))
    )
    return Library(
        home=render_page(folder / "home.md", values),
        guide=guide,
        service={slug: render_page(folder / f"{slug}.md", values) for slug in SERVICE_PAGES},
    )
