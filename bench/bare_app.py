"""The baseline: a bare Flask app with a fixed page, served exactly like Intake.

BENCH_PAGE names a file whose bytes it returns (a rendered guide page), so both
apps send the same body. It also answers POST with a redirect, for journeys.
"""

import os
from pathlib import Path

from flask import Flask, redirect


def create_app() -> Flask:
    app = Flask(__name__)
    page = Path(os.environ["BENCH_PAGE"]).read_bytes()

    @app.route("/page", methods=["GET"])
    def fixed_page():
        return page, 200, {"Content-Type": "text/html; charset=utf-8"}

    @app.route("/page", methods=["POST"])
    def post_page():
        return redirect("/page", code=303)

    return app
