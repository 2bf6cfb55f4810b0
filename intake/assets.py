"""Static files under fingerprinted names, compressed once, cached for a year.

`asset_url("intake.css")` gives `/assets/intake.3f2a1b9c0d.css`; the digest changes
whenever the file does, so browsers can keep every version forever. The files are
small and few, so they are read and compressed (brotli, gzip) once at start-up.
"""

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, request, url_for

from intake.app_state import app_state
from intake.caching import memoised
from intake.compression import chosen_coding, three_ways

ONE_YEAR = 365 * 24 * 3600
DIGEST_LENGTH = 10


@dataclass(frozen=True)
class Asset:
    mimetype: str
    encodings: dict[str, bytes]  # "identity", "gzip", "br"


def _load(path: Path) -> Asset:
    return _compressed(path, path.stat().st_mtime_ns)


@memoised(
    "assets.compressed",
    holds="each version of each static file, plain, gzip and brotli",
    size=64,
    lifetime=None,
    cleared_by="nothing: a changed file is a new key (its modification time); a deploy",
    earns="a miss compresses a file three ways: 34 to 56 ms for intake.css, each time the "
    "process builds an app (bench.caches)",
)
def _compressed(path: Path, modified: int) -> Asset:
    """Each version of a file compressed once, however many apps the process builds."""
    raw = path.read_bytes()
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Asset(mimetype, three_ways(raw))


class Assets:
    def __init__(self, folder: Path) -> None:
        self.fingerprinted: dict[str, str] = {}
        self.files: dict[str, Asset] = {}
        for path in sorted(folder.iterdir()):
            if path.is_file():
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LENGTH]
                named = f"{path.stem}.{digest}{path.suffix}"
                self.fingerprinted[path.name] = named
                self.files[named] = _load(path)

    def url(self, name: str) -> str:
        return url_for("asset", fingerprinted=self.fingerprinted[name])

    def serve(self, fingerprinted: str) -> Response:
        asset = self.files.get(fingerprinted) or abort(404)
        encoding = chosen_coding(request.headers.get("Accept-Encoding", ""))
        response = Response(asset.encodings[encoding], mimetype=asset.mimetype)
        if encoding != "identity":
            response.headers["Content-Encoding"] = encoding
        response.vary.add("Accept-Encoding")
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.public = True
        response.cache_control.immutable = True
        return response


def register_assets(app: Flask, folder: Path) -> None:
    assets = Assets(folder)
    app_state(app).assets = assets
    app.add_url_rule("/assets/<fingerprinted>", endpoint="asset", view_func=assets.serve)
    app.add_template_global(assets.url, name="asset_url")
