"""The security scan's fixtures: the scanners, a PostgreSQL schema of its own, and the
site under gunicorn with requests in its queue.

It runs on PostgreSQL alone (skipped, saying so, without INTAKE_TEST_DATABASE_URL),
with Redis for the rate limits when one answers on 127.0.0.1:6379. Each pytest-xdist
worker that runs a test of this folder has its own server, port and schema.
"""

import os
import socket
from collections.abc import Iterator

import pytest

from tests.conftest import postgres_schema_url
from tests.scan.scanners import SQLMAP, WAPITI
from tests.scan.site import ScanSite, scan_site

POSTGRES_URL = os.environ.get("INTAKE_TEST_DATABASE_URL", "")
# A database of Redis's own for the scan's rate-limit counts (tests/test_protection.py
# uses 15, the fault tests 14).
REDIS_URL = "redis://127.0.0.1:6379/13"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "scan: wapiti and sqlmap against the app under gunicorn (pytest -m scan)"
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/scan/" in str(item.fspath):
            item.add_marker(pytest.mark.scan)


@pytest.fixture(scope="session")
def scanners() -> None:
    """The scanners, installed by `make scan-tools` (or `make test`) in .venv-scan: their
    dependencies clash with the app's. In CI (CI=true) their absence fails the run."""
    missing = [path.name for path in (SQLMAP, WAPITI) if not path.exists()]
    if missing:
        message = (
            f"{' and '.join(missing)} not installed in .venv-scan: "
            "run `make scan-tools` (requirements-scan.txt)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def database_url(scanners) -> Iterator[str]:
    """A schema of its own on the PostgreSQL of INTAKE_TEST_DATABASE_URL, dropped after."""
    if not POSTGRES_URL:
        pytest.skip(
            "the security scan runs on PostgreSQL, as production does: set "
            "INTAKE_TEST_DATABASE_URL (for example postgresql://postgres@127.0.0.1:5432/test)"
        )
    with postgres_schema_url("intake_scan") as url:
        yield url


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def site(database_url, tmp_path_factory) -> Iterator[ScanSite]:
    folder = tmp_path_factory.mktemp("scan-site")
    with scan_site(folder, database_url, REDIS_URL if redis_answers() else None) as running:
        yield running
