"""Every staff route needs a signed-in member, and supervisor routes a supervisor.

The test walks the whole URL map, so a route added later is checked too.
"""

import pytest
from flask import Flask

from intake.staff.auth import PASSIVE_ENDPOINTS

pytestmark = pytest.mark.pages_only

OPEN_TO_ALL = {
    "staff.sign_in",
    "staff.choose_password",
    "staff.sign_in_code",
    "staff.set_up_code",
}
SUPERVISOR_ONLY = {
    "staff.team",
    "staff.disable_member",
    "staff.enable_member",
    "staff.unlock_member",
    "staff.reset_member_sign_in",
    "staff.audit_trail",
    "staff.reopen",
    "staff.retry_email",
    "staff.reports",
    "staff.report_csv",
    "staff.create_wallboard",
    "staff.revoke_wallboard",
}
SIGN_IN_STEPS = ("/staff/sign-in/new-password", "/staff/sign-in/code", "/staff/sign-in/set-up-code")
SAMPLE_VALUES = {"reference": "K7QM-4Z2P", "member_id": 1, "message_id": 1, "wallboard_id": 1}


def staff_routes(app: Flask):
    """Every (method, path, endpoint) the staff blueprint answers."""
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("staff."):
            continue
        path = rule.rule
        for name, value in SAMPLE_VALUES.items():
            path = path.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path, rule.endpoint


def test_the_walk_finds_the_staff_routes(app):
    endpoints = {endpoint for _, _, endpoint in staff_routes(app)}
    assert len(endpoints) >= 15
    assert endpoints >= SUPERVISOR_ONLY


def test_no_staff_route_answers_anyone_signed_out(app):
    client = app.test_client()
    for method, path, endpoint in staff_routes(app):
        if endpoint in OPEN_TO_ALL:
            continue
        response = client.open(path, method=method)
        if endpoint in PASSIVE_ENDPOINTS:
            assert response.status_code == 401, (method, path)
            continue
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].endswith("/staff/sign-in"), (method, path)


def test_the_sign_in_steps_send_a_half_signed_in_visitor_back_to_the_start(app):
    client = app.test_client()
    for path in SIGN_IN_STEPS:
        response = client.get(path)
        assert response.headers["Location"].endswith("/staff/sign-in")


def test_agents_cannot_reach_supervisor_routes(app, agent):
    for method, path, endpoint in staff_routes(app):
        if endpoint not in SUPERVISOR_ONLY:
            continue
        if method == "POST":
            response = agent.post(path, form_page="/staff/")
        else:
            response = agent.client.open(path, method=method)
        assert response.status_code == 403, (method, path)


@pytest.mark.parametrize("path", ["/staff/team", "/staff/audit"])
def test_supervisors_reach_their_pages(supervisor, path):
    assert supervisor.client.get(path).status_code == 200


def test_a_post_without_a_csrf_token_is_refused(agent):
    response = agent.client.post("/staff/take-next")
    assert response.status_code == 400


def test_robots_are_told_nothing_about_staff_pages(client):
    html = client.get("/staff/sign-in").get_data(as_text=True)
    assert 'name="robots" content="noindex, nofollow"' in html
