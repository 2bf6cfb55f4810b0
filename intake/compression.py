"""Compress what we send (gzip/brotli/zstd through Flask-Compress), but only for GET.

A POST answer can reflect what was posted beside a CSRF token; leaving those
uncompressed closes the door on BREACH-style guessing of the token.
"""

from flask import Flask, Response, request

from intake.extensions import compress


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
