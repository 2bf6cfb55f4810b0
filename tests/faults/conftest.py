"""Fault tests: the real app under gunicorn, pushed and broken on purpose.

They run on PostgreSQL through a TCP proxy the test controls when
INTAKE_TEST_DATABASE_URL is set, and on a SQLite file otherwise.
"""

import os
import uuid
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from intake.config import sqlalchemy_url
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
    schema = f"intake_fault_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sqlalchemy_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def through(proxy: TcpProxy, url: str) -> str:
    """The same database URL, reached through the proxy's port."""
    return url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}", 1)
