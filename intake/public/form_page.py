"""The callback form as it is first shown, made once a minute and shared.

Before anything is typed, the form page is the same for every visitor but for two
tokens: the CSRF token and the submission token that makes a resend harmless. Its
other changing parts (the days that can still be chosen, the "usually within N
minutes" estimate) change by the minute. So the page is rendered once a minute for
each guide page it was reached from (its links never name the Host asked for), and
each visitor gets their own tokens put into it.

The template declares where those go: it writes `visitor_tokens.csrf` and
`visitor_tokens.submission`, and the shared page is rendered with SLOTS there.
Anything else of a visitor's in the page would make two visitors' shared pages
differ: tests/test_callback_form.py renders it for two visitors and compares.
"""

from datetime import timedelta

from markupsafe import escape

from intake.caching import declare

# Unlike anything a template writes from text: NUL never survives our input cleaning.
SLOTS = {"csrf": "\x00visitor-csrf\x00", "submission": "\x00visitor-submission\x00"}

BLANK_FORM_PAGES = declare(
    "public.blank_form_pages",
    holds="the callback form as first shown, with slots for each visitor's tokens, "
    "by source page and minute",
    size=256,
    lifetime=timedelta(minutes=1),
    cleared_by="time: each minute is rendered afresh (the days offered and the estimate)",
    earns="a miss renders the form: 2 to 8 ms, a hit 0.014 ms; the form's GET went from about 5 "
    "to 1 ms (bench.caches, bench.submission)",
)


class UndeclaredSlot(RuntimeError):
    """The template did not write a visitor's token exactly once where it declares it."""


def shared(html: str) -> str:
    """The page rendered with SLOTS, checked to hold each slot exactly once."""
    for name, slot in SLOTS.items():
        if html.count(slot) != 1:
            raise UndeclaredSlot(f"the form must write visitor_tokens.{name} exactly once")
    return html


def with_tokens(page: str, tokens: dict[str, str]) -> str:
    """The shared page with this visitor's tokens in its slots."""
    for name, slot in SLOTS.items():
        page = page.replace(slot, str(escape(tokens[name])))
    return page
