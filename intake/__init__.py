"""Intake: baclofen information and confidential callback requests for an admissions line."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from intake import cli, errors, security, templating
from intake.app_state import AppState, app_state
from intake.assets import register_assets
from intake.compression import register_compression
from intake.config import load_config
from intake.domain import passwords
from intake.domain.shared_counts import SharedTeamCounts
from intake.extensions import csrf, db, limiter, login_manager, migrate, tune_sqlite
from intake.formtools import DatabaseId
from intake.observability import register_observability
from intake.prepared_pages import PreparedPages
from intake.service import build_service

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, headers, errors, commands."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=None,
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    templating.compile_templates_once(app)
    app.config.update(load_config(Path(app.instance_path), overrides=config))
    register_extensions(app)
    register_blueprints(app)
    register_observability(app)
    register_assets(app, PROJECT_ROOT / "static")
    register_compression(app)
    security.register_security_headers(app)
    errors.register_error_handlers(app)
    cli.register_commands(app)
    templating.register_template_helpers(app)
    answer_prepared_pages(app)
    trust_proxies(app)  # outermost: what runs inside it sees the visitor's scheme and host
    return app


def answer_prepared_pages(app: Flask) -> None:
    """Pages the same for everyone are answered from memory (intake.prepared_pages)."""
    prepared = PreparedPages(app.wsgi_app, trusted_hosts=app.config["TRUSTED_HOSTS"])
    app_state(app).prepared_pages = app.wsgi_app = prepared


def register_extensions(app: Flask) -> None:
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    db.init_app(app)
    with app.app_context():
        tune_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    passwords.use_password_costs(app.config["INTAKE_PASSWORD_COSTS"])
    close_sessions_even_without_a_database(app)
    app.extensions["intake"] = AppState(
        build_service(app.config),
        team_counts=SharedTeamCounts(
            timedelta(seconds=app.config["INTAKE_TEAM_COUNTS_CACHE_SECONDS"])
        ),
    )


def close_sessions_even_without_a_database(app: Flask) -> None:
    """End each request's session; if the database went away, drop the connection.

    Registered after Flask-SQLAlchemy's own teardown, so it runs first: a rollback
    on a dead connection must not turn a friendly 503 into a bare 500.
    """

    @app.teardown_appcontext
    def close_session(_error: BaseException | None) -> None:
        try:
            db.session.close()
        except DBAPIError:
            db.session.invalidate()


def trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, take the client's address and scheme from their headers."""
    count = app.config["INTAKE_TRUSTED_PROXIES"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def register_blueprints(app: Flask) -> None:
    from intake import ops
    from intake.public import views as public
    from intake.staff import account, auth, reports, rights, team, views  # noqa: F401  (each adds its routes)
    from intake.staff.blueprint import bp as staff
    from intake.wallboard import views as wallboard

    app.url_map.converters["int"] = DatabaseId  # before any route is added
    app.register_blueprint(public.bp)
    app.register_blueprint(staff)
    app.register_blueprint(ops.bp)
    app.register_blueprint(wallboard.bp)
    with app.app_context():
        app_state(app).schema_head = ops.latest_migration()


def _ensure_sqlite_folder(url: str) -> None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and len(url) > len(prefix):
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)
