"""Pages that are the same for everyone, answered from memory before Flask.

The home page, the guide and the privacy page carry no form, session or visitor data:
their views say so with `security.same_for_everyone`, whose Cache-Control marks the
response. The first time such a page is asked for, Flask answers as usual; then this
middleware asks the app for it once more, as a visitor with no cookies would, and
keeps its bytes and headers three ways (as they are, gzip and brotli) with an ETag.
From then on a GET or HEAD of that address (without a query string) is answered from
memory: no routing, session, CSRF, template or compression work, and a repeat visit
that sends the ETag back gets 304 Not Modified. Each answer still gets its own
X-Request-Id and is timed in the latency histogram, as every other answer is.

Pages are kept per app, by path alone (see PAGES below): their links come from
configuration, never from the Host asked for, so a page is the same for every host and
scheme. A Host the app does not answer (TRUSTED_HOSTS, in production) is never
answered from memory: Flask refuses it. The way each is sent is chosen as for our
static files (intake.compression).
"""

import hashlib
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from werkzeug.sansio.utils import host_is_trusted
from werkzeug.test import EnvironBuilder, run_wsgi_app

from intake.caching import Kept, declare
from intake.compression import chosen_coding, three_ways
from intake.observability import LATENCY, REQUEST_ID_HEADER, request_id_from
from intake.security import SAME_FOR_EVERYONE

PAGES = declare(
    "prepared_pages",
    holds="each page marked the same for everyone, by path, plain, gzip and brotli",
    size=256,
    lifetime=None,
    cleared_by="a deploy (the words change only with one, and it restarts the workers)",
    earns="the guide page went from 0.64 to 1.18 of the bare app's throughput (bench.guide_page)",
)
# Set per answer, or per way of sending it, rather than kept from the prepared one.
NOT_KEPT = {"content-length", "content-encoding", "vary", "etag", REQUEST_ID_HEADER.lower()}
ANSWERED = ("GET", "HEAD")

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


@dataclass(frozen=True)
class Variant:
    """The page sent one way: its body and every header but the request id."""

    body: bytes
    headers: list[tuple[str, str]]
    etag: str


@dataclass(frozen=True)
class PreparedPage:
    variants: dict[str, Variant]  # by content coding: "identity", "gzip", "br"

    @property
    def etags(self) -> frozenset[str]:
        return frozenset(variant.etag for variant in self.variants.values())

    @classmethod
    def of(cls, headers: list[tuple[str, str]], body: bytes) -> "PreparedPage":
        kept = [(name, value) for name, value in headers if name.lower() not in NOT_KEPT]
        digest = hashlib.sha256(body).hexdigest()[:32]
        variants = {}
        for coding, sent in three_ways(body).items():
            etag = f'"{digest}"' if coding == "identity" else f'"{digest}-{coding}"'
            extra = [] if coding == "identity" else [("Content-Encoding", coding)]
            variants[coding] = Variant(
                sent,
                [
                    *kept,
                    *extra,
                    ("Content-Length", str(len(sent))),
                    ("Vary", "Accept-Encoding"),
                    ("ETag", etag),
                ],
                etag,
            )
        return cls(variants)


def _matches(if_none_match: str, etags: frozenset[str]) -> bool:
    if if_none_match.strip() == "*":
        return True
    given = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return not given.isdisjoint(etags)


class PreparedPages:
    """WSGI middleware around the Flask app: see the module's docstring."""

    def __init__(self, app: WsgiApp, trusted_hosts: Collection[str] | None = None) -> None:
        self.app = app
        self.trusted_hosts = trusted_hosts  # None: every host (development)
        self.pages: Kept[str, PreparedPage] = Kept(PAGES)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in ANSWERED or environ.get("QUERY_STRING") or not self._trusted(environ):
            return self.app(environ, start_response)
        key = environ["PATH_INFO"]
        page = self.pages.peek(key)
        if page is None:
            return self._answer_and_learn(key, environ, start_response)
        started = time.perf_counter()
        variant = page.variants[chosen_coding(environ.get("HTTP_ACCEPT_ENCODING", ""))]
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        headers = [*variant.headers, (REQUEST_ID_HEADER, request_id)]
        if _matches(environ.get("HTTP_IF_NONE_MATCH", ""), page.etags):
            start_response("304 Not Modified", _without_body(headers))
            body = []
        else:
            start_response("200 OK", headers)
            body = [variant.body] if method == "GET" else []
        LATENCY.labels("prepared_page", method).observe(time.perf_counter() - started)
        return body

    def _trusted(self, environ: dict) -> bool:
        """A Host the app answers; Flask gives any other its 400."""
        if self.trusted_hosts is None:
            return True
        return host_is_trusted(environ.get("HTTP_HOST"), self.trusted_hosts)

    def _answer_and_learn(self, key, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Let Flask answer; if the page is the same for everyone, prepare it."""
        marked = False

        def noting(status: str, headers: list[tuple[str, str]], exc_info=None):
            nonlocal marked
            marked = _same_for_everyone(status, headers)
            return start_response(status, headers, exc_info)

        answer = self.app(environ, noting)
        if marked:
            page = self._prepare(environ)
            if page is not None:
                self.pages.put(key, page)
        return answer

    def _prepare(self, environ: dict) -> PreparedPage | None:
        """The page as a visitor without cookies gets it, or None if it is not the same
        for everyone after all."""
        scheme = environ["wsgi.url_scheme"]
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        builder = EnvironBuilder(
            path=environ["PATH_INFO"],
            base_url=f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}",
            headers={"Accept-Encoding": "identity"},
            environ_base={"REMOTE_ADDR": environ.get("REMOTE_ADDR", "")},
        )
        try:
            body, status, headers = run_wsgi_app(self.app, builder.get_environ(), buffered=True)
            content = b"".join(body)
        finally:
            builder.close()
        pairs = list(headers.items())
        if not _same_for_everyone(status, pairs) or any(
            name.lower() == "set-cookie" for name, _ in pairs
        ):
            return None
        return PreparedPage.of(pairs, content)


def _same_for_everyone(status: str, headers: list[tuple[str, str]]) -> bool:
    return status.startswith("200 ") and ("Cache-Control", SAME_FOR_EVERYONE) in headers


def _without_body(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A 304's headers: those of the 200, but nothing about a body it does not carry."""
    dropped = {"content-length", "content-encoding", "content-type"}
    return [(name, value) for name, value in headers if name.lower() not in dropped]
