"""The callback form as it is first shown, made once a minute and shared.

Before anything is typed, the form page is the same for every visitor but for two
tokens: the CSRF token and the submission token that makes a resend harmless. Its
other changing parts (the days that can still be chosen, the "usually within N
minutes" estimate) change by the minute. So the page is rendered once a minute for
each guide page it was reached from (its links never name the Host asked for), and
each visitor gets their own tokens put into it: the busiest page costs a string copy
instead of a form and a template.
"""

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import escape

CSRF_SLOT = "\x00csrf-token\x00"
SUBMISSION_SLOT = "\x00submission-token\x00"
# Minutes times source pages: enough for a site. The whole cache is dropped when it
# is full; it refills in a request.
MOST_PAGES = 256


@dataclass(frozen=True)
class BlankFormPage:
    """A rendered form with slots where each visitor's tokens go."""

    html: str

    @classmethod
    def from_rendered(cls, html: str, csrf_token: str, submission_token: str):
        """The page with its tokens taken out, or None if either is not there exactly
        once (then the page cannot be shared)."""
        csrf, submission = str(escape(csrf_token)), str(escape(submission_token))
        if html.count(csrf) != 1 or html.count(submission) != 1:
            return None
        return cls(html.replace(csrf, CSRF_SLOT).replace(submission, SUBMISSION_SLOT))

    def with_tokens(self, csrf_token: str, submission_token: str) -> str:
        return self.html.replace(CSRF_SLOT, str(escape(csrf_token))).replace(
            SUBMISSION_SLOT, str(escape(submission_token))
        )


class BlankFormPages:
    """Blank form pages by (source page, minute)."""

    def __init__(self) -> None:
        self._pages: dict[tuple, BlankFormPage] = {}

    def page(
        self, key: tuple, render: Callable[[], str], csrf_token: str, submission_token: str
    ) -> str:
        """The page for `key` with these tokens; `render` makes it afresh, with them."""
        shared = self._pages.get(key)
        if shared is not None:
            return shared.with_tokens(csrf_token, submission_token)
        html = render()
        shared = BlankFormPage.from_rendered(html, csrf_token, submission_token)
        if shared is not None:
            if len(self._pages) >= MOST_PAGES:
                self._pages.clear()
            self._pages[key] = shared
        return html

    def __len__(self) -> int:
        return len(self._pages)
