"""Shared fixtures: an app on a freshly migrated database, a client, and page helpers.

Every test runs on SQLite. When INTAKE_TEST_DATABASE_URL names a PostgreSQL
database, every test runs there too.

Each test process builds one app per database kind and lends it to every test that
asks for `app`, put back as it was built before each test (`SharedApp`); each test
gets its own database all the same: on SQLite the process's file is filled afresh from
a migrated template, on PostgreSQL the process's schema is emptied
(`SqliteDatabase`, `PostgresDatabase`). Tests that build apps of their own with
`create_app({**app_config, ...})` reach the same fresh database.
"""

import copy
import dataclasses
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

import pyotp
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.orm import Session

from intake import create_app
from intake.app_state import app_state
from intake.config import ORGANISATION_PLACEHOLDERS, sqlalchemy_url
from intake.domain import passwords
from intake.domain.crypto import new_key
from intake.extensions import db, limiter
from intake.models import CallbackRequest, StaffMember
from tests.factories import STAFF_PASSWORD, enrol, make_staff, valid_form
from tests.smtp import SmtpServer, free_port

POSTGRES_URL = os.environ.get("INTAKE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
DATA_KEY = new_key()
# Every table the models know, those that refer to others first: emptied before each
# PostgreSQL test.
TABLES = [table.name for table in reversed(db.metadata.sorted_tables)]


def base_config(database_url: str, engine_options: dict | None = None) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-signing",
        "INTAKE_DATA_KEYS": [DATA_KEY],
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True, **(engine_options or {})},
        "RATELIMIT_STORAGE_URI": "memory://",
        "INTAKE_TEAM_COUNTS_CACHE_SECONDS": 0,
        # Many accounts are made and signed in: argon2 at its cheapest (production refuses it).
        "INTAKE_PASSWORD_COSTS": "cheapest",
    }


def migrate(config: dict) -> None:
    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "intake.db"
    migrate(base_config(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A schema migrated once for the session, dropped at the end."""
    schema = f"intake_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(sqlalchemy_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    migrate(base_config(sqlalchemy_url(POSTGRES_URL), _search_path(schema)))
    yield schema
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def postgres_schema_url(prefix: str) -> Iterator[str]:
    """A schema of its own on INTAKE_TEST_DATABASE_URL's PostgreSQL, as a DATABASE_URL
    for a server the test starts; dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(sqlalchemy_url(POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def command_environ(sqlite_template: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of a `flask --app intake` command the test runs as cron or
    systemd would: a copy of the migrated SQLite database, keys and secret."""
    database = tmp_path / "intake.db"
    shutil.copy(sqlite_template, database)
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "INTAKE_DATA_KEYS": DATA_KEY,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-signing",
    }


def _search_path(schema: str) -> dict:
    return {"connect_args": {"options": f"-csearch_path={schema}"}}


class SqliteDatabase:
    """This process's SQLite file, made fresh before each test: the migrated template
    is written over it through SQLite's own backup, so connections still open on it
    (an app a test built and dropped) see the fresh database rather than a file
    swapped under them, and the write-ahead log is then emptied into the file, which
    ends as the template's pages and nothing of the test before."""

    def __init__(self, template: Path, path: Path) -> None:
        self.template = template
        self.path = path

    def config(self) -> dict:
        return base_config(f"sqlite:///{self.path}")

    def make_fresh(self) -> None:
        source = sqlite3.connect(self.template)
        # A connection left writing by the test before would wait here, then fail.
        target = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        with closing(source), closing(target):
            source.backup(target)
            busy, _, _ = target.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert not busy, "a connection of the test before still reads the database"


class PostgresDatabase:
    """This process's schema, migrated once and emptied before each test."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self.engine = create_engine(sqlalchemy_url(POSTGRES_URL), **_search_path(schema))
        with self.engine.connect() as connection:
            self.emptying = emptying(connection)

    def config(self) -> dict:
        return base_config(sqlalchemy_url(POSTGRES_URL), _search_path(self.schema))

    def make_fresh(self) -> None:
        with self.engine.begin() as connection:
            # A transaction left open by the test before would wait here, then fail.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql(self.emptying)


def emptying(connection) -> str:
    """SQL that empties every table and restarts every id, as TRUNCATE ... RESTART
    IDENTITY would; DELETE, as TRUNCATE takes 50 ms on tables this small. Triggers
    (the audit trail's refusal to delete) do not fire for a replica."""
    sequences = connection.scalars(
        text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
    )
    restarts = ", ".join(f"setval('{name}', 1, false)" for name in sequences)
    deletes = "; ".join(f'DELETE FROM "{table}"' for table in TABLES)
    return f"SET LOCAL session_replication_role = replica; {deletes}; SELECT {restarts}"


@pytest.fixture(scope="session")
def databases(request, tmp_path_factory) -> Iterator[dict]:
    """This process's database of each kind, by backend name."""
    found = {
        "sqlite": SqliteDatabase(
            request.getfixturevalue("sqlite_template"),
            tmp_path_factory.mktemp("database") / "intake.db",
        )
    }
    found["sqlite"].make_fresh()
    if POSTGRES_URL:
        found["postgresql"] = PostgresDatabase(request.getfixturevalue("postgres_schema"))
    yield found
    if POSTGRES_URL:
        found["postgresql"].engine.dispose()


class SharedApp:
    """One app for every test of this process on one database, put back as it was
    built before each test lends it: so that what a test changes does not reach the
    next one, through public means only:

    - its settings and extensions (`app.config`, `app.extensions`) as built;
    - our shared object's fields as built, and every store it keeps (intake.caching's
      `Kept`: its audiences' stores, the prepared pages) emptied;
    - the rate limiter, one object for every app of the process, bound to this app
      again with an empty memory store (`Limiter.init_app`: it adds no hook twice);
    - the password costs, which building any app sets for the process.

    A test that builds an app of its own (`create_app`) changes the last two for the
    process: they are set again here before the next test that uses this app.
    """

    def __init__(self, config: dict) -> None:
        self.app = create_app(config)
        self.settings = copy.deepcopy(dict(self.app.config))
        self.extensions = dict(self.app.extensions)
        state = app_state(self.app)
        self.state = {field.name: getattr(state, field.name) for field in dataclasses.fields(state)}

    def as_built(self) -> Flask:
        app = self.app
        if dict(app.config) != self.settings:
            app.config.clear()
            app.config.update(copy.deepcopy(self.settings))
        app.extensions.clear()
        app.extensions.update(self.extensions)
        state = app_state(app)
        for name, value in self.state.items():
            setattr(state, name, value)
        state.empty_stores()
        limiter.init_app(app)
        passwords.use_password_costs(app.config["INTAKE_PASSWORD_COSTS"])
        return app


@pytest.fixture(scope="session")
def shared_apps(databases) -> dict[str, SharedApp]:
    """Built for the first test that asks for `app`, before any of that test's own
    fixtures (a session fixture comes first), so before its monkeypatch: create_app
    reads the environment too."""
    return {backend: SharedApp(database.config()) for backend, database in databases.items()}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests run on SQLite and, when it answers, PostgreSQL; a module or test marked
    `pages_only` (pages and forms, not storage) runs on SQLite alone."""
    if "app_config" in metafunc.fixturenames:
        pages_only = metafunc.definition.get_closest_marker("pages_only") is not None
        metafunc.parametrize("app_config", ["sqlite"] if pages_only else BACKENDS, indirect=True)


@pytest.fixture
def app_config(request, databases) -> dict:
    """The settings of this test's database, made fresh for it."""
    database = databases[request.param]
    database.make_fresh()
    return database.config()


@pytest.fixture
def app(app_config, shared_apps) -> Iterator[Flask]:
    backend = make_url(app_config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    app = shared_apps[backend].as_built()
    yield app
    with app.app_context():
        db.session.remove()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


PUBLIC_URL = "https://help.example.org"


@pytest.fixture
def production_app(app_config, monkeypatch) -> Iterator[Flask]:
    """The app as INTAKE_ENV=production builds it from the environment, on this test's
    database. It answers only at PUBLIC_URL: `client.get(path, base_url=PUBLIC_URL)`."""
    settings = {
        "INTAKE_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "INTAKE_DATA_KEYS": app_config["INTAKE_DATA_KEYS"][0],
        "INTAKE_HELPLINE_PHONE": "0808 157 0192",
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "INTAKE_PUBLIC_URL": PUBLIC_URL,
        "INTAKE_TRUSTED_PROXIES": "0",
        "INTAKE_WORKERS": "1",
        "INTAKE_SMTP_URL": "smtp://127.0.0.1:2525",
        "INTAKE_MAIL_FROM": "callbacks@example.org",
        **{name: f"Real {name}" for name in ORGANISATION_PLACEHOLDERS},
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app = create_app({"SQLALCHEMY_ENGINE_OPTIONS": app_config["SQLALCHEMY_ENGINE_OPTIONS"]})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def db_session(app) -> Iterator[Session]:
    """A session on the app's database, outside any app context.

    Holding an app context open through a test would make the test client's
    requests share it (and its `g`), which no real request ever does.
    """
    with app.app_context():
        engine = db.engine
    session = Session(engine)
    yield session
    session.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server not yet started: `smtp_server.start()` brings it up."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def running_smtp(smtp_server) -> SmtpServer:
    return smtp_server.start()


@pytest.fixture
def vault(app):
    return app.extensions["intake"].service.vault


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "lxml")


def asset(client: FlaskClient, name: str) -> str:
    """The fingerprinted URL a page uses for one of our static files."""
    assets = client.application.extensions["intake"].assets
    return f"/assets/{assets.fingerprinted[name]}"


class CallbackVisitor:
    """Drives the callback form as a browser would: fetch it, fill it, send it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def open_form(self, query: str = "") -> BeautifulSoup:
        response = self.client.get(f"/callback{query}")
        assert response.status_code == 200
        return page(response)

    def hidden_fields(self, form_page: BeautifulSoup) -> dict[str, str]:
        return {
            field["name"]: field.get("value", "")
            for field in form_page.select("form input[type=hidden]")
        }

    def submit(self, query: str = "", **overrides):
        """Send a valid form, changed by `overrides` (None removes a field)."""
        data = {**self.hidden_fields(self.open_form(query)), **valid_form(**overrides)}
        return self.client.post("/callback", data=data)

    def resend(self, data: dict):
        return self.client.post("/callback", data=data)

    def filled_form(self, query: str = "", **overrides) -> dict:
        return {**self.hidden_fields(self.open_form(query)), **valid_form(**overrides)}


@pytest.fixture
def visitor(client) -> CallbackVisitor:
    return CallbackVisitor(client)


class StoredRequests:
    """What the database holds, read the way staff would: decrypted with the app's keys."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def all(self) -> list[CallbackRequest]:
        with self.app.app_context():
            rows = db.session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)).all()
            db.session.expunge_all()
            return list(rows)

    def count(self) -> int:
        return len(self.all())

    def only(self) -> CallbackRequest:
        rows = self.all()
        assert len(rows) == 1, f"expected one stored request, found {len(rows)}"
        return rows[0]

    def answers(self) -> dict:
        return self.app.extensions["intake"].service.vault.open(self.only().personal_data)


@pytest.fixture
def stored(app) -> StoredRequests:
    return StoredRequests(app)


class StaffBrowser:
    """A member of staff in a browser: signs in with password and TOTP code."""

    def __init__(self, client: FlaskClient, email: str, secret: str | None) -> None:
        self.client = client
        self.email = email
        self.secret = secret
        self.last_step = 0

    def csrf(self, path: str) -> str:
        return page(self.client.get(path)).select_one("input[name=csrf_token]")["value"]

    def post(self, path: str, data: dict | None = None, form_page: str | None = None):
        """POST as the browser would, with the CSRF token from the page the form is on."""
        token = self.csrf(form_page or path)
        return self.client.post(path, data={"csrf_token": token, **(data or {})})

    def enter_password(self, password: str = STAFF_PASSWORD):
        return self.post("/staff/sign-in", {"email": self.email, "password": password})

    def next_code(self) -> str:
        """A code not used before: each step's code is accepted only once."""
        step = max(int(time.time()) // 30, self.last_step + 1)
        self.last_step = step
        return pyotp.TOTP(self.secret).generate_otp(step)

    def enter_code(self, code: str | None = None, path: str = "/staff/sign-in/code"):
        return self.post(path, {"code": code or self.next_code()})

    def sign_in(self) -> "StaffBrowser":
        assert self.enter_password().status_code == 303
        response = self.enter_code()
        assert response.status_code == 303, page(response).get_text(" ", strip=True)[:300]
        return self

    def get_page(self, path: str, status: int = 200) -> BeautifulSoup:
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return page(response)


@pytest.fixture
def make_member(app, db_session, vault):
    """Build a member with the second factor set up, and a browser to sign them in."""

    def build(role: str = "agent", name: str = "Alex") -> tuple[StaffMember, StaffBrowser]:
        member = make_staff(db_session, role=role, name=name)
        secret = enrol(db_session, vault, member)
        return member, StaffBrowser(app.test_client(), member.email, secret)

    return build


@pytest.fixture
def agent(make_member) -> StaffBrowser:
    """A signed-in agent."""
    return make_member("agent", "Alex Agent")[1].sign_in()


@pytest.fixture
def supervisor(make_member) -> StaffBrowser:
    """A signed-in supervisor."""
    return make_member("supervisor", "Sam Supervisor")[1].sign_in()


@pytest.fixture(scope="session")
def promtool() -> str:
    """Prometheus's own checker (Debian's `prometheus` package; .ci/run installs it).
    Without it the tests that need it skip and say so; in CI (CI=true) they fail."""
    path = shutil.which("promtool")
    if path:
        return path
    message = (
        "promtool is not installed, so the alert rules cannot be checked. "
        "Install it with: apt-get install prometheus (with a policy-rc.d that exits 101 "
        "to keep it from starting)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
