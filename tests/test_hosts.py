"""Odd Host headers: page links come from configuration, never from the Host asked
for; the page caches keep one copy per path; production answers only its own address."""

import pytest
import time_machine

from intake.app_state import app_state
from tests.conftest import PUBLIC_URL
from tests.factories import utc

EVIL = "evil.example"
SAME_FOR_EVERYONE = ["/", "/guide/side-effects"]


def names_the_host(response, host: str) -> bool:
    headers = " ".join(value for _, value in response.headers.items())
    return host in response.get_data(as_text=True) or host in headers


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/guide/",
        "/guide/side-effects",
        "/privacy",
        "/callback",
        "/callback?from=side-effects",
        "/sitemap.xml",
        "/robots.txt",
        "/guide/stopping",
        "/no-such-page",
    ],
)
def test_a_page_asked_for_with_another_host_never_names_that_host(client, path):
    for _ in range(2):  # made afresh, then answered from memory
        response = client.get(path, base_url=f"http://{EVIL}")
        assert response.status_code in (200, 301, 404)
        assert not names_the_host(response, EVIL)


def test_a_page_first_asked_for_with_another_host_is_right_for_everyone_after(client):
    client.get("/guide/side-effects", base_url=f"https://{EVIL}")
    response = client.get("/guide/side-effects")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert not names_the_host(response, EVIL)


@time_machine.travel(utc(2026, 11, 25, 10, 0, 30), tick=False)
def test_two_thousand_hosts_leave_each_page_cache_at_one_copy_per_path(app):
    client = app.test_client(use_cookies=False)
    for number in range(2_000):
        for path in [*SAME_FOR_EVERYONE, "/callback"]:
            response = client.get(path, base_url=f"http://host-{number}.example")
            assert response.status_code == 200
    state = app_state(app)
    assert set(state.prepared_pages.pages.keys()) == set(SAME_FOR_EVERYONE)
    assert len(state.stores["public.blank_form_pages"]) == 1  # one minute, from no guide page


@pytest.mark.parametrize("path", ["/", "/guide/side-effects", "/callback", "/staff/sign-in"])
def test_a_production_app_answers_a_foreign_host_with_400(production_app, path):
    client = production_app.test_client()
    for _ in range(2):  # the second from memory, where a page can be
        assert client.get(path, base_url=PUBLIC_URL).status_code == 200
    response = client.get(path, base_url=f"https://{EVIL}")
    assert response.status_code == 400
    assert not names_the_host(response, EVIL)
    assert client.get(path, base_url=f"https://{EVIL}:443").status_code == 400


def test_a_production_app_refuses_a_form_sent_to_a_foreign_host(production_app):
    response = production_app.test_client().post("/callback", base_url=f"https://{EVIL}")
    assert response.status_code == 400


def test_a_production_app_answers_the_extra_hosts_named_for_probes(
    app_config, monkeypatch, request
):
    monkeypatch.setenv("INTAKE_EXTRA_HOSTS", "127.0.0.1")
    client = request.getfixturevalue("production_app").test_client()
    assert client.get("/healthz", base_url="http://127.0.0.1:8000").status_code == 200
    assert client.get("/healthz", base_url="http://10.0.0.12:8000").status_code == 400
