"""Fault tests: the real app under gunicorn, pushed and broken on purpose.

They run on PostgreSQL through a TCP proxy the test controls when
INTAKE_TEST_DATABASE_URL is set, and on a SQLite file otherwise.
"""

import os

import pytest

from tests.conftest import postgres_schema_url
from tests.faults.tcp_proxy import TcpProxy

POSTGRES_URL = os.environ.get("INTAKE_TEST_DATABASE_URL", "")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.fault)


@pytest.fixture
def postgres_proxy():
    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL: set INTAKE_TEST_DATABASE_URL")
    proxy = TcpProxy(5432)
    yield proxy
    proxy.close()


@pytest.fixture
def database_url(tmp_path) -> str:
    """A fresh database for the server: a PostgreSQL schema, or a SQLite file."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'intake.db'}"
        return
    with postgres_schema_url("intake_fault") as url:
        yield url


def through(proxy: TcpProxy, url: str) -> str:
    """The same database URL, reached through the proxy's port."""
    return url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}", 1)
