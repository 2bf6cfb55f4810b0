"""deploy/nginx/ proved by nginx itself: the files load inside http {}, and nginx in front
of the real app under gunicorn (INTAKE_ENV=production) serves it over HTTPS, passes the
client's address and a request id, keeps only the pages the app marks public, lets a
Prometheus with the token read /metrics, and answers certificate challenges on port 80.

Visitors reach nginx from addresses of their own on the loopback network (127.0.0.N),
so what the app saw as the client's address is what nginx put in X-Forwarded-For.
"""

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyotp
import pytest

from intake.config import ORGANISATION_PLACEHOLDERS
from intake.domain.second_factor import start_enrolment
from intake.domain.staff_accounts import complete_sign_in, create_staff
from intake.extensions import db
from intake.security import HSTS
from tests.browser.live_server import STAFF_PASSWORD, LiveServer, live_server
from tests.deploy_helpers import (
    HOST,
    MISSING,
    PLAIN_HTTP,
    NginxSite,
    Ports,
    Visitor,
    check_config,
    main_config,
    nginx_in_front,
    self_signed_certificate,
    site_files,
)
from tests.factories import valid_form

METRICS_TOKEN = "metrics-token-for-a-prometheus-elsewhere"
AGENT = "agent@intake.example"
GUIDE_PAGE = "/guide/side-effects"


@pytest.fixture(scope="module", autouse=True)
def nginx_installed() -> None:
    if MISSING and os.environ.get("CI") == "true":
        pytest.fail(MISSING)
    if MISSING:
        pytest.skip(MISSING)


def production_settings(folder: Path) -> dict[str, str]:
    """The app as production runs it behind nginx, with one worker: its rate limits
    counted in its memory, so each run starts from nothing (no Redis shared)."""
    return {
        "INTAKE_ENV": "production",
        "INTAKE_PUBLIC_URL": f"https://{HOST}",
        "INTAKE_EXTRA_HOSTS": "127.0.0.1",  # the live server's readiness check, direct
        "INTAKE_TRUSTED_PROXIES": "1",
        "INTAKE_METRICS_TOKEN": METRICS_TOKEN,
        "INTAKE_CALLBACK_RATE_LIMIT": "2 per minute",
        "INTAKE_WORKERS": "1",
        "INTAKE_PASSWORD_COSTS": "recommended",  # production refuses the cheapest
        "INTAKE_HELPLINE_PHONE": "0808 157 0192",
        "INTAKE_SMTP_URL": "smtp://127.0.0.1:2525",
        "INTAKE_MAIL_FROM": "callbacks@example.org",
        **{name: f"Real {name}" for name in ORGANISATION_PLACEHOLDERS},
        "GUNICORN_CMD_ARGS": f"--access-logfile {folder / 'gunicorn-access.log'}",
    }


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("nginx")


@pytest.fixture(scope="module")
def server(folder) -> Iterator[LiveServer]:
    with live_server(folder, workers=1, **production_settings(folder)) as running:
        yield running


@pytest.fixture(scope="module")
def site(folder, server) -> Iterator[NginxSite]:
    with nginx_in_front(folder / "nginx", server.url) as running:
        yield running


@pytest.fixture(scope="module")
def agent_secret(server) -> str:
    """An agent with the second factor set up: their TOTP secret."""
    app = server.app()
    with app.app_context():
        member = create_staff(
            db.session, email=AGENT, name="Agent", role="agent", password=STAFF_PASSWORD
        )
        vault = app.extensions["intake"].service.vault
        enrolment = start_enrolment(db.session, vault, member, "t")
        complete_sign_in(db.session, member)
        db.engine.dispose()
    return enrolment.secret


def test_the_shipped_nginx_files_load_inside_an_http_block(tmp_path):
    self_signed_certificate(tmp_path)
    conf = main_config(tmp_path, site_files(tmp_path, Ports.free(app=8000)))
    checked = check_config(conf)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr
    assert "[warn]" not in checked.stderr, checked.stderr


def test_the_plain_http_file_loads_alone_before_any_certificate_exists(tmp_path):
    conf_d = site_files(tmp_path, Ports.free(app=8000), names=(PLAIN_HTTP,))
    checked = check_config(main_config(tmp_path, conf_d))
    assert checked.returncode == 0, checked.stderr
    assert not (tmp_path / "tls").exists()


def test_a_guide_page_comes_over_https_with_hsts_and_its_second_fetch_is_nginxs(site):
    first = site.visitor("127.0.0.2").get(GUIDE_PAGE)
    second = site.visitor("127.0.0.3").get(GUIDE_PAGE)
    assert first.status == second.status == 200
    assert first.cache_status == "MISS"
    assert second.cache_status == "HIT"
    assert second.body == first.body
    for answer in (first, second):
        assert answer.header("Strict-Transport-Security") == HSTS
        assert answer.header("Cache-Control") == "public, max-age=300"
        assert answer.header("Server") == "nginx", "no version given away"
        assert re.fullmatch(r"[0-9a-f]{32}", answer.header("X-Request-Id"))
    assert first.header("X-Request-Id") != second.header("X-Request-Id"), "each its own id"


class StubApp(BaseHTTPRequestHandler):
    """An app answering each path with the caching headers the path names."""

    HEADERS = {
        "/public": [("Cache-Control", "public, max-age=300")],
        "/public-varying-by-cookie": [("Cache-Control", "public, max-age=300"), ("Vary", "Cookie")],
        "/max-age-but-not-public": [("Cache-Control", "max-age=300")],
        "/public-setting-a-cookie": [
            ("Cache-Control", "public, max-age=300"),
            ("Set-Cookie", "session=for-one-visitor; Secure; HttpOnly"),
        ],
    }

    def do_GET(self) -> None:
        self.send_response(200)
        for name, value in self.HEADERS[self.path]:
            self.send_header(name, value)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"stub")

    def log_message(self, *args) -> None:
        pass


def test_nginx_keeps_only_answers_marked_public_that_set_no_cookie(tmp_path):
    stub = ThreadingHTTPServer(("127.0.0.1", 0), StubApp)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    try:
        with nginx_in_front(tmp_path, f"http://127.0.0.1:{stub.server_port}") as stubbed:
            seen = {
                path: [stubbed.visitor("127.0.0.2").get(path).cache_status for _ in range(2)]
                for path in StubApp.HEADERS
            }
    finally:
        stub.shutdown()
        stub.server_close()
    assert seen == {
        "/public": ["MISS", "HIT"],
        # kept as the answer to a request without a cookie, for those alone
        "/public-varying-by-cookie": ["MISS", "HIT"],
        "/max-age-but-not-public": ["MISS", "MISS"],
        "/public-setting-a-cookie": ["MISS", "MISS"],
    }


def test_a_request_with_a_cookie_is_answered_by_the_app_never_from_the_cache(site):
    site.visitor("127.0.0.2").get("/guide/")  # kept for visitors without a cookie
    with_cookie = Visitor(site, "127.0.0.2", cookies={"intake_session": "anything"})
    answers = [with_cookie.get("/guide/") for _ in range(2)]
    assert [answer.status for answer in answers] == [200, 200]
    assert [answer.cache_status for answer in answers] == ["BYPASS", "BYPASS"]


def test_a_fingerprinted_asset_comes_through_nginx_and_is_kept(site):
    page = site.visitor("127.0.0.2").get("/accessibility").body
    stylesheet = re.search(r'href="(/assets/[^"]+\.css)"', page).group(1)
    first, second = (site.visitor("127.0.0.2").get(stylesheet) for _ in range(2))
    assert first.status == second.status == 200
    assert first.header("Content-Type").startswith("text/css")
    assert "immutable" in first.header("Cache-Control")
    assert second.cache_status == "HIT"
    assert second.header("Strict-Transport-Security") == HSTS


def test_the_callback_form_is_sent_through_nginx_with_its_token_and_cookie(site):
    visitor = site.visitor("127.0.0.4")
    sent = visitor.post_form("/callback", valid_form(name="Through nginx"))
    assert sent.status == 303, sent.body
    assert sent.header("Location").endswith("/callback/received")
    assert sent.header("Strict-Transport-Security") == HSTS
    confirmation = visitor.get("/callback/received")
    assert confirmation.status == 200
    assert "panel__reference" in confirmation.body
    assert confirmation.cache_status == "BYPASS", "it has the cookie the form set"


def test_the_callback_form_and_the_staff_sign_in_are_never_kept(site):
    for path in ("/callback", "/staff/sign-in"):
        answers = [site.visitor("127.0.0.2").get(path) for _ in range(3)]  # no cookie yet
        assert [answer.status for answer in answers] == [200, 200, 200]
        assert {answer.cache_status for answer in answers} == {"MISS"}, path
        assert all(answer.header("Cache-Control") == "no-store" for answer in answers)


def test_a_signed_in_staff_page_is_never_kept(site, agent_secret):
    agent = site.visitor("127.0.0.6")
    agent.post_form("/staff/sign-in", {"email": AGENT, "password": STAFF_PASSWORD})
    code = pyotp.TOTP(agent_secret).now()
    agent.post_form("/staff/sign-in/code", {"code": code})
    answers = [agent.get("/staff/") for _ in range(2)]
    assert [answer.status for answer in answers] == [200, 200]
    assert "Callback queue" in answers[0].body, "signed in"
    assert [answer.cache_status for answer in answers] == ["BYPASS", "BYPASS"]
    assert all(answer.header("Strict-Transport-Security") == HSTS for answer in answers)


def test_the_app_counts_rate_limits_by_the_address_nginx_saw_not_one_a_client_claims(site):
    """The limit is 2 a minute per address. Both visitors claim to be 127.0.0.9: were
    that believed, or nginx's own address used, the second visitor would be refused."""
    claim = {"X-Forwarded-For": "127.0.0.9"}
    first, second = site.visitor("127.0.0.7"), site.visitor("127.0.0.8")
    statuses = [
        first.post_form("/callback", valid_form(name=f"Asker {n}"), headers=claim).status
        for n in range(3)
    ]
    assert statuses == [303, 303, 429]
    assert second.post_form("/callback", valid_form(), headers=claim).status == 303


def test_metrics_through_nginx_need_the_token_and_are_never_kept(site):
    prometheus = site.visitor("127.0.0.10")
    without = prometheus.get("/metrics")
    wrong = prometheus.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    right = [
        prometheus.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        for _ in range(2)
    ]
    assert without.status == wrong.status == 403, "the app saw the scraper's address, not nginx's"
    assert [answer.status for answer in right] == [200, 200]
    assert "intake_requests_waiting" in right[0].body
    assert all(answer.cache_status is None for answer in [without, wrong, *right])


def test_port_80_serves_certificate_challenges_from_a_folder_and_redirects_the_rest(site):
    challenges = site.folder / "acme" / ".well-known" / "acme-challenge"
    challenges.mkdir(parents=True, exist_ok=True)
    (challenges / "token-from-certbot").write_text("token-from-certbot.key-authorization")
    challenge = site.plain_get("/.well-known/acme-challenge/token-from-certbot")
    missing = site.plain_get("/.well-known/acme-challenge/no-such-token")
    page = site.plain_get(f"{GUIDE_PAGE}?from=home")
    assert challenge.status == 200
    assert challenge.body == "token-from-certbot.key-authorization"
    assert challenge.header("Location") is None
    assert missing.status == 404
    assert page.status == 301
    assert page.header("Location") == f"https://{HOST}{GUIDE_PAGE}?from=home"


def test_nginx_passes_its_request_id_and_neither_log_has_the_address_or_query(site, folder):
    answer = site.visitor("127.0.0.11").get("/privacy?ref=words-only-the-visitor-knows")
    request_id = answer.header("X-Request-Id")
    assert answer.status == 200
    assert answer.cache_status == "MISS"
    nginx_line = line_naming(site.access_log, request_id)
    app_log = folder / "gunicorn-access.log"
    app_line = json.loads(line_naming(app_log, request_id))
    assert '"GET /privacy"' in nginx_line
    assert app_line["path"] == "/privacy"
    for log in (site.access_log, app_log):
        written = log.read_text()
        assert "127.0.0.11" not in written
        assert "words-only-the-visitor-knows" not in written


def line_naming(log: Path, request_id: str, seconds: float = 60) -> str:
    """The line of `log` with this request id: lines are written as answers end, so
    wait a little for it (generously, for a busy machine)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        found = [line for line in lines if request_id in line]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no line in {log.name} names request {request_id}")
