"""Under load and under faults, nothing a visitor was told is stored is ever lost."""

import http.client
import json
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError

from intake.config import sqlalchemy_url
from intake.domain.second_factor import start_enrolment
from intake.domain.staff_accounts import complete_sign_in, create_staff
from intake.extensions import db
from intake.models import CallbackRequest
from tests.browser.live_server import STAFF_PASSWORD, live_server
from tests.factories import submit_request
from tests.faults.conftest import POSTGRES_URL, through
from tests.faults.http_visitor import HttpVisitor
from tests.faults.tcp_proxy import TcpProxy

HELPLINE = "0808 157 0192"


def stored_names(server) -> list[str]:
    """Every stored request, decrypted with the server's own key."""
    app = server.app()
    with app.app_context():
        sealed = db.session.scalars(select(CallbackRequest.personal_data)).all()
        db.engine.dispose()
    vault = app.extensions["intake"].service.vault
    return [vault.open(token)["name"] for token in sealed]


def ask(server, name: str):
    try:
        return name, HttpVisitor(server.url).ask_for_callback(name)
    except (OSError, http.client.HTTPException) as error:  # the connection died with its worker
        return name, error


def confirmed(results) -> set[str]:
    return {name for name, answer in results if getattr(answer, "reference", None)}


def test_200_concurrent_submissions_are_stored_exactly_once_and_readable(tmp_path, database_url):
    with live_server(tmp_path, workers=4, DATABASE_URL=database_url) as server:
        with ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(lambda n: ask(server, f"Visitor {n}"), range(200)))
        names = stored_names(server)
    assert len(confirmed(results)) == 200
    assert sorted(names) == sorted(f"Visitor {n}" for n in range(200))


def test_20_agents_racing_take_next_over_50_requests_never_share_one(tmp_path, database_url):
    with live_server(tmp_path, workers=4, DATABASE_URL=database_url) as server:
        secrets = prepare_agents_and_requests(server, agents=20, requests=50)
        start = threading.Barrier(len(secrets))

        def agent_takes_until_empty(email: str) -> list[str]:
            browser = signed_in(server, email, secrets[email])
            start.wait()
            taken = []
            while True:
                answer = browser.post_form("/staff/take-next", {}, form_path="/staff/")
                if "/staff/requests/" not in answer.url:
                    return taken
                taken.append(answer.url.rsplit("/", 1)[1])

        with ThreadPoolExecutor(max_workers=len(secrets)) as pool:
            per_agent = list(pool.map(agent_takes_until_empty, secrets))
    everything = [reference for taken in per_agent for reference in taken]
    assert len(everything) == 50
    assert len(set(everything)) == 50, "no request was held by two agents"
    assert sum(1 for taken in per_agent if taken) > 1


def prepare_agents_and_requests(server, agents: int, requests: int) -> dict[str, str]:
    app = server.app()
    vault = app.extensions["intake"].service.vault
    with app.app_context():
        session = db.session
        secrets = {}
        for number in range(agents):
            member = create_staff(
                session,
                email=f"agent{number}@intake.example",
                name=f"Agent {number}",
                role="agent",
                password=STAFF_PASSWORD,
            )
            secrets[member.email] = start_enrolment(session, vault, member, "test").secret
            complete_sign_in(session, member)
        for _ in range(requests):
            submit_request(session, vault)
        db.engine.dispose()
    return secrets


def signed_in(server, email: str, secret: str) -> HttpVisitor:
    browser = HttpVisitor(server.url)
    browser.post_form("/staff/sign-in", {"email": email, "password": STAFF_PASSWORD})
    answer = browser.post_form("/staff/sign-in/code", {"code": pyotp.TOTP(secret).now()})
    assert "Callback queue" in answer.body, "signed in"
    return browser


def keep_asking(server, stop: threading.Event, results: list, prefix: str) -> None:
    number = 0
    while not stop.is_set():
        results.append(ask(server, f"{prefix} {number}"))
        number += 1


def load_while(server, fault, clients: int = 8) -> list:
    """Visitors keep asking while `fault()` runs; every answer they got."""
    stop, results = threading.Event(), []
    threads = [
        threading.Thread(target=keep_asking, args=(server, stop, results, f"Client {n}"))
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    try:
        fault()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    return results


def test_losing_the_database_mid_load_gives_the_friendly_503_and_recovers_alone(
    tmp_path, database_url
):
    proxy = TcpProxy(5432) if POSTGRES_URL else None
    url = through(proxy, database_url) if proxy else database_url
    settings = {"DATABASE_URL": url, "INTAKE_SQLITE_BUSY_TIMEOUT_MS": "300"}
    try:
        with live_server(tmp_path, workers=2, **settings) as server:
            outage = cut_the_network(proxy) if proxy else lock_the_file(database_url)
            results = load_while(server, outage)
            after = ask(server, "After the outage")[1]
            names = stored_names(server)
    finally:
        if proxy:
            proxy.close()
    statuses = {getattr(answer, "status", "no answer") for _, answer in results}
    assert statuses <= {200, 503}, statuses
    refused = [answer for _, answer in results if answer.status == 503]
    assert refused, "the outage reached visitors"
    assert all(HELPLINE in answer.body for answer in refused)
    not_saved = [answer for answer in refused if answer.url.endswith("/callback")]
    assert not_saved
    assert all("We could not save your request just now" in answer.body for answer in not_saved)
    assert after.reference, "the app recovered by itself, with no restart"
    assert confirmed(results) | {"After the outage"} <= set(names), "confirmed means stored"
    assert len(names) == len(set(names)), "nothing stored twice"
    assert set(names) <= {name for name, _ in results} | {"After the outage"}


def cut_the_network(proxy: TcpProxy):
    def outage() -> None:
        time.sleep(1)
        proxy.cut()
        time.sleep(2)
        proxy.restore()
        time.sleep(2)

    return outage


def lock_the_file(database_url: str):
    path = database_url.removeprefix("sqlite:///")

    def outage() -> None:
        time.sleep(1)
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        time.sleep(2)
        locker.execute("ROLLBACK")
        locker.close()
        time.sleep(2)

    return outage


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_worker_killed_mid_load_loses_no_confirmed_submission(tmp_path, database_url):
    with live_server(tmp_path, workers=3, DATABASE_URL=database_url) as server:

        def kill_a_worker() -> None:
            time.sleep(1)
            os.kill(worker_pids(server.process.pid)[0], signal.SIGKILL)
            time.sleep(2)

        results = load_while(server, kill_a_worker, clients=12)
        assert ask(server, "After the kill")[1].reference, "gunicorn replaced the worker"
        names = set(stored_names(server))
    assert len(confirmed(results)) > 20
    assert confirmed(results) <= names


def test_with_redis_gone_the_form_still_works(tmp_path, database_url):
    proxy = TcpProxy(6379)
    redis_url = f"redis://127.0.0.1:{proxy.port}/14"
    try:
        with live_server(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url) as server:
            before = ask(server, "Before")[1]
            proxy.cut()
            during = [ask(server, f"During {n}")[1] for n in range(5)]
            proxy.restore()
            after = ask(server, "After")[1]
    finally:
        proxy.close()
    assert before.reference and after.reference
    assert all(answer.reference for answer in during)


@pytest.mark.skipif(not POSTGRES_URL, reason="the proxy stands in front of PostgreSQL")
def test_the_proxy_really_cuts_and_restores(postgres_proxy):
    url = sqlalchemy_url(through(postgres_proxy, POSTGRES_URL))
    engine = create_engine(url, pool_pre_ping=True)
    with engine.connect():
        pass
    postgres_proxy.cut()
    with pytest.raises(OperationalError):
        engine.connect().close()
    postgres_proxy.restore()
    with engine.connect():
        pass
    engine.dispose()


def test_access_log_lines_are_json_without_query_strings_or_addresses(tmp_path, database_url):
    log = tmp_path / "access.log"
    settings = {"DATABASE_URL": database_url, "GUNICORN_CMD_ARGS": f"--access-logfile {log}"}
    with live_server(tmp_path, **settings) as server:
        HttpVisitor(server.url).get("/guide/about?from=a-private-query")
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    line = next(entry for entry in lines if entry["path"] == "/guide/about")
    assert line["status"] == 200 and len(line["request_id"]) == 32
    assert "a-private-query" not in log.read_text()
    assert "127.0.0.1" not in log.read_text()
