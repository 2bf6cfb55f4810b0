"""Static files under fingerprinted names, cached for a year.

`asset_url("intake.css")` gives `/assets/intake.3f2a1b9c0d.css`; the digest changes
whenever the file does, so browsers can keep every version forever.
"""

import hashlib
from pathlib import Path

from flask import Flask, abort, send_from_directory, url_for

ONE_YEAR = 365 * 24 * 3600
DIGEST_LENGTH = 10


class Assets:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fingerprinted: dict[str, str] = {}
        for path in sorted(folder.iterdir()):
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH]
                self.fingerprinted[path.name] = f"{path.stem}.{digest}{path.suffix}"
        self.original = {named: name for name, named in self.fingerprinted.items()}

    def url(self, name: str) -> str:
        return url_for("asset", fingerprinted=self.fingerprinted[name])

    def serve(self, fingerprinted: str):
        name = self.original.get(fingerprinted)
        if name is None:
            abort(404)
        response = send_from_directory(self.folder, name, max_age=ONE_YEAR)
        response.cache_control.immutable = True
        response.cache_control.public = True
        return response


def register_assets(app: Flask, folder: Path) -> None:
    assets = Assets(folder)
    app.extensions["intake_assets"] = assets
    app.add_url_rule("/assets/<fingerprinted>", endpoint="asset", view_func=assets.serve)
    app.add_template_global(assets.url, name="asset_url")
