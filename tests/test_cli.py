"""Operator commands."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from intake import create_app
from intake.domain import cache_generation, staff_sessions
from intake.domain.crypto import Vault, new_key
from intake.domain.staff_accounts import find_by_email
from intake.models import StaffSession
from tests.conftest import DATA_KEY, StoredRequests
from tests.factories import enrol, make_staff, submit_request, utc

NOW = utc(2026, 11, 25, 12, 0)


def test_rotate_keys_re_encrypts_everything_with_the_newest_key(app_config, visitor, stored):
    visitor.submit(name="Before rotation")
    visitor.submit(name="Also before")
    newest = new_key()
    rotated = create_app({**app_config, "INTAKE_DATA_KEYS": [newest, DATA_KEY]})
    result = rotated.test_cli_runner().invoke(args=["rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2 values" in result.output
    only_newest = Vault([newest])
    rows = StoredRequests(rotated).all()
    assert sorted(only_newest.open(row.personal_data)["name"] for row in rows) == [
        "Also before",
        "Before rotation",
    ]
    assert all(row.phone_hash == only_newest.phone_hash("+447400123456") for row in rows)


def test_rotate_keys_is_safe_to_run_twice(app_config, visitor):
    visitor.submit()
    runner = create_app(app_config).test_cli_runner()
    assert runner.invoke(args=["rotate-keys"]).exit_code == 0
    second = runner.invoke(args=["rotate-keys"])
    assert second.exit_code == 0
    assert "Re-encrypted 1 value " in second.output


def test_staff_create_reads_the_password_from_stdin(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "Kim@Intake.example",
            "--name",
            "Kim",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        input="correct horse battery staple\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created supervisor Kim <kim@intake.example>" in result.output
    member = find_by_email(db_session, "kim@intake.example")
    assert member.role == "supervisor" and member.totp_enrolled_at is None


def test_staff_create_asks_for_the_password_twice(app):
    result = app.test_cli_runner().invoke(
        args=["staff", "create", "--email", "jo@intake.example", "--name", "Jo", "--role", "agent"],
        input="correct horse battery staple\ncorrect horse battery staple\n",
    )
    assert result.exit_code == 0, result.output


def test_staff_create_refuses_a_common_password_and_says_why(app):
    result = app.test_cli_runner().invoke(
        args=[
            "staff",
            "create",
            "--email",
            "jo@intake.example",
            "--name",
            "Jo",
            "--role",
            "agent",
            "--password-stdin",
        ],
        input="qwerty123456\n",
    )
    assert result.exit_code != 0
    assert "common passwords" in result.output


def test_staff_disable_reset_and_list(app, db_session, vault):
    member = make_staff(db_session, name="Robin")
    enrol(db_session, vault, member)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["staff", "list"])
    assert f"{member.email}\tRobin\tagent\tactive\tcode set up" in listed.output
    assert runner.invoke(args=["staff", "reset-2fa", "--email", member.email]).exit_code == 0
    assert runner.invoke(args=["staff", "disable", "--email", member.email]).exit_code == 0
    listed = runner.invoke(args=["staff", "list"])
    assert f"{member.email}\tRobin\tagent\tdisabled\tcode not set up" in listed.output


def test_staff_commands_name_an_unknown_email(app):
    result = app.test_cli_runner().invoke(args=["staff", "disable", "--email", "no@one.example"])
    assert result.exit_code != 0
    assert "No staff account has the email address no@one.example" in result.output


def test_rotate_keys_covers_notes_and_totp_secrets(app_config, db_session, vault):
    member = make_staff(db_session)
    enrol(db_session, vault, member)
    newest = new_key()
    rotated = create_app({**app_config, "INTAKE_DATA_KEYS": [newest, DATA_KEY]})
    assert rotated.test_cli_runner().invoke(args=["rotate-keys"]).exit_code == 0
    db_session.refresh(member)
    assert "totp" in Vault([newest]).open(member.totp_secret)


def test_rotate_keys_rehashes_emails_reseals_kept_drafts_and_tells_every_worker(
    app_config, db_session, vault
):
    request = submit_request(db_session, vault, now=NOW, email="priya@example.org")
    member = make_staff(db_session)
    token = staff_sessions.start(db_session, member, NOW)
    staff_sessions.end_all(db_session, member.id, NOW)
    draft = {"reference": request.reference, "endpoint": "staff.add_note", "fields": {}}
    assert staff_sessions.keep_draft_after_end(db_session, vault, token, draft, NOW)
    generation = cache_generation.current(db_session)
    newest = new_key()
    rotated = create_app({**app_config, "INTAKE_DATA_KEYS": [newest, DATA_KEY]})
    assert rotated.test_cli_runner().invoke(args=["rotate-keys"]).exit_code == 0
    only_newest = Vault([newest])
    db_session.refresh(request)
    assert request.email_hash == only_newest.email_hash("priya@example.org")
    kept = db_session.scalars(select(StaffSession)).one()
    assert only_newest.open(kept.draft)["reference"] == request.reference
    assert cache_generation.current(db_session) > generation


def test_content_check_passes_and_prints_each_pages_figures(app):
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "/guide/side-effects" in result.output
    assert "/privacy" in result.output
    assert "pages are reviewed, sourced and easy to read" in result.output


@time_machine.travel("2031-01-01 12:00Z", tick=False)
def test_content_check_fails_and_names_every_page_past_its_review_date(app):
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 1
    guide = app.extensions["intake"].service.pages.guide
    for page in guide:
        assert f"/guide/{page.slug}: was due for review on" in result.output


def test_staff_enable_lets_a_disabled_member_sign_in_again(app, db_session):
    member = make_staff(db_session, email="kim@intake.example")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["staff", "disable", "--email", member.email]).exit_code == 0
    result = runner.invoke(args=["staff", "enable", "--email", member.email])
    assert result.exit_code == 0, result.output
    assert "Enabled kim@intake.example" in result.output
    db_session.expire_all()
    assert find_by_email(db_session, member.email).active is True
    again = runner.invoke(args=["staff", "enable", "--email", member.email])
    assert again.exit_code == 1 and "already active" in again.output


def test_looking_at_the_queue_never_writes_and_release_holds_returns_expired_ones(
    app, make_member, db_session, vault
):
    with time_machine.travel("2026-11-25T12:00:00Z", tick=False) as clock:
        agent = make_member()[1].sign_in()
        request = submit_request(db_session, vault)
        agent.post(f"/staff/requests/{request.reference}/take", form_page="/staff/")
        clock.shift(timedelta(minutes=21))
        agent.get_page("/staff/")
        agent.client.get("/staff/queue.json")
        db_session.expire_all()
        assert db_session.get(type(request), request.id).status == "in_progress"
        result = app.test_cli_runner().invoke(args=["release-holds"])
    assert result.exit_code == 0, result.output
    assert "Released 1 expired hold." in result.output
    db_session.expire_all()
    assert db_session.get(type(request), request.id).held_by_id is None
