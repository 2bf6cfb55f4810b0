"""A visitor over real HTTP (urllib, a cookie jar each): fetch the form, send it."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_token)"[^>]*value="([^"]*)"')
REFERENCE = re.compile(r'class="panel__reference">([^<]+)<')


@dataclass
class Answer:
    status: int
    body: str
    url: str = ""

    @property
    def reference(self) -> str | None:
        found = REFERENCE.search(self.body)
        return found.group(1) if found else None


class HttpVisitor:
    def __init__(self, base: str, timeout: float = 15) -> None:
        self.base = base
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _open(self, path: str, data: dict | None = None) -> Answer:
        encoded = urllib.parse.urlencode(data, doseq=True).encode() if data else None
        try:
            with self.opener.open(self.base + path, encoded, timeout=self.timeout) as response:
                return Answer(response.status, response.read().decode(), response.geturl())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), error.geturl())

    def get(self, path: str) -> Answer:
        return self._open(path)

    def form_token(self, form_path: str) -> str:
        """The CSRF token of the page a form is on."""
        return dict(HIDDEN.findall(self._open(form_path).body)).get("csrf_token", "")

    def post(self, path: str, data: dict) -> Answer:
        """POST exactly `data` (which brings its own CSRF token), fetching nothing first."""
        return self._open(path, data)

    def post_form(self, path: str, data: dict, form_path: str | None = None) -> Answer:
        """POST with the CSRF token of the page the form is on."""
        form = self._open(form_path or path)
        token = dict(HIDDEN.findall(form.body)).get("csrf_token", "")
        return self._open(path, {"csrf_token": token, **data})

    def ask_for_callback(self, name: str) -> Answer:
        """The whole journey: the form, the post, the confirmation it redirects to."""
        form = self._open("/callback")
        if form.status != 200:
            return form
        hidden = dict(HIDDEN.findall(form.body))
        answers = {
            **hidden,
            "name": name,
            "phone": "07400 123456",
            "when": "asap",
            "for_whom": "me",
            "in_danger": "no",
            "consent": "y",
        }
        return self._open("/callback", answers)
