"""Compress what we send, but only for GET.

Pages made per request go through Flask-Compress (gzip/brotli/zstd). What is sent
the same every time (our static files, intake.assets, and the prepared pages,
intake.prepared_pages) is compressed once, three ways, by `three_ways`, and the way
to send it is chosen in one place, `chosen_coding`.

A POST answer can reflect what was posted beside a CSRF token; leaving those
uncompressed closes the door on BREACH-style guessing of the token.
"""

import gzip

import brotli
from flask import Flask, Response, request
from werkzeug.http import parse_accept_header

from intake.extensions import compress

CODINGS = ("br", "gzip")  # preferred first; "identity" when neither is accepted


def chosen_coding(accept_encoding: str) -> str:
    """The content coding to send for an Accept-Encoding header (as Werkzeug reads it,
    weights and "*" included): brotli, then gzip, else none."""
    return parse_accept_header(accept_encoding).best_match(CODINGS) or "identity"


def three_ways(raw: bytes) -> dict[str, bytes]:
    """The bytes as they are, gzipped and brotli'd, by content coding; the same bytes
    always give the same output (no time stamp), so ETags stay put across restarts."""
    return {
        "identity": raw,
        "gzip": gzip.compress(raw, compresslevel=9, mtime=0),
        "br": brotli.compress(raw, quality=11),
    }


def register_compression(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/xml",
            "text/plain",
            "image/svg+xml",
        ],
    )
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    compress.init_app(app)

    @app.after_request
    def compress_safe_responses(response: Response) -> Response:
        if request.method == "GET":
            return compress.after_request(response)
        return response
