"""Personal data stays private: encrypted at rest, out of logs, URLs and other hosts."""

import inspect
import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from intake import create_app
from intake.config import KEEPING_PERIODS
from intake.domain import retention
from intake.extensions import db
from intake.staff.forms import NO_PERSONAL_DETAILS, AttemptForm, CloseForm, ReopenForm
from tests.conftest import CallbackVisitor, asset, page

ROOT = Path(__file__).resolve().parents[1]
DEPLOY_DOC = (ROOT / "docs" / "deploy.md").read_text()
SETTINGS_TEMPLATE = (ROOT / "deploy" / "intake.env.example").read_text()
SECRETS = {
    "name": "Marguerite Oyelaran-Quist",
    "phone": "07400 123 456",
    "email": "marguerite.quist@example.org",
    "message": "My brother Tobias drinks every morning",
}
PLAINTEXTS = [
    SECRETS["name"],
    "Oyelaran",
    "7400123456",
    "07400 123 456",
    "marguerite.quist",
    "Tobias",
    "drinks every morning",
]


def raw_database_text(app) -> str:
    """Everything the database holds, as its own files or its own dump of the table."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            path = Path(db.engine.url.database)
            files = [path, Path(f"{path}-wal")]
            return "".join(file.read_bytes().decode("latin-1") for file in files if file.exists())
        rows = db.session.execute(text("SELECT row_to_json(t)::text FROM callback_requests t"))
        return "\n".join(row[0] for row in rows)


def test_the_raw_database_holds_none_of_the_visitors_words(app, visitor, stored):
    visitor.submit(**SECRETS, topics=["cocaine"])
    assert stored.answers()["name"] == SECRETS["name"]
    raw = raw_database_text(app)
    assert stored.only().reference in raw, "the scan must see the stored rows"
    for plaintext in PLAINTEXTS:
        assert plaintext not in raw
    assert "cocaine" not in raw


def test_no_personal_data_reaches_the_logs(app, visitor, caplog):
    caplog.set_level(logging.DEBUG)
    visitor.submit(**SECRETS)
    visitor.submit(**{**SECRETS, "phone": "12"})
    visitor.submit(**{**SECRETS, "csrf_token": "stale"})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    logged += "\n".join(str(record.args) for record in caplog.records)
    for plaintext in PLAINTEXTS:
        assert plaintext not in logged


@pytest.mark.pages_only
def test_a_rate_limit_being_hit_logs_no_client_address(app_config, caplog):
    caplog.set_level(logging.DEBUG)
    app = create_app({**app_config, "INTAKE_CALLBACK_RATE_LIMIT": "1 per minute"})
    visitor = CallbackVisitor(app.test_client())
    address = {"REMOTE_ADDR": "203.0.113.77"}
    statuses = [
        visitor.client.post(
            "/callback", data=visitor.filled_form(), environ_base=address
        ).status_code
        for _ in "ab"
    ]
    assert statuses[-1] == 429
    lines = [record.getMessage() for record in caplog.records]
    assert any("exceeded" in line for line in lines), "the limit was logged"
    logged = "\n".join(lines) + "".join(str(record.args) for record in caplog.records)
    assert "203.0.113.77" not in logged


@pytest.mark.pages_only
def test_no_personal_data_reaches_a_url(visitor):
    response = visitor.submit(**SECRETS)
    location = response.headers["Location"]
    confirmation = page(visitor.client.get(location))
    urls = [location] + [
        tag.get(attr, "")
        for attr in ("href", "action", "src")
        for tag in confirmation.select(f"[{attr}]")
    ]
    for url in urls:
        for plaintext in PLAINTEXTS:
            assert plaintext not in url


def test_error_pages_show_no_personal_data_and_no_stack_trace(app, visitor, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError(f"boom with {SECRETS['name']}")

    monkeypatch.setattr("intake.public.views.submit_callback", broken)
    with caplog.at_level(logging.ERROR):
        response = visitor.submit(**SECRETS)
    logged = caplog.text
    assert "RuntimeError" in logged and "broken" in logged, "where it failed is logged"
    assert SECRETS["name"] not in logged
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert "boom" not in body
    assert SECRETS["name"] not in body
    assert page(response).select_one("a[href='tel:+448081570192']")


PUBLIC_PAGES = [
    "/",
    "/guide/",
    "/guide/about",
    "/guide/addiction",
    "/privacy",
    "/about-this-service",
    "/callback",
    "/no-such-page",
]


@pytest.mark.pages_only
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_pages_load_nothing_from_another_host(client, path):
    html = page(client.get(path))
    for tag in html.select("[src], link[href]:not([rel=canonical])"):
        url = tag.get("src") or tag.get("href")
        assert url.startswith("/"), url
    assert not html.select("iframe, object, embed")
    for script in html.select("script"):
        if script.get("type") == "application/ld+json":
            continue
        assert script.get("src", "").startswith("/assets/"), "no inline script"
    insecure = [link["href"] for link in html.select("a[href^='http:']")]
    assert not insecure, "links out go to secure sites only"


@pytest.mark.pages_only
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_no_attribute_points_at_a_font_analytics_or_captcha_service(client, path):
    html = page(client.get(path))
    attributes = " ".join(
        str(value).lower() for tag in html.find_all(True) for value in tag.attrs.values()
    )
    for marker in ("googleapis", "gstatic", "analytics", "gtag", "captcha", "cdn", "font"):
        assert marker not in attributes


@pytest.mark.pages_only
def test_the_stylesheet_loads_nothing_from_another_host(client):
    css = client.get(asset(client, "intake.css")).get_data(as_text=True)
    assert not re.search(r"url\(|@import|https?://", css)


# The privacy notice, as the law and the code say it must read


def privacy_page(app_config, **settings):
    return page(create_app({**app_config, **settings}).test_client().get("/privacy"))


def section_text(html, heading: str) -> str:
    """The words under the h2 `heading`, up to the next h2."""
    start = next(h2 for h2 in html.select("main h2") if h2.get_text(strip=True) == heading)
    words = []
    for sibling in start.find_next_siblings():
        if sibling.name == "h2":
            break
        words.append(sibling.get_text(" ", strip=True))
    return " ".join(words)


@pytest.mark.pages_only
def test_legitimate_interests_hold_only_where_their_interests_and_rights_do_not_override_ours(
    client,
):
    html = page(client.get("/privacy"))
    basis = next(
        li.get_text(" ") for li in html.select("main li") if "legitimate interests" in li.get_text()
    )
    assert "only if their interests and rights do not override our reason" in basis
    assert not re.search(r"not (outweigh|override) (their|your) (rights|interests)", basis)


@pytest.mark.pages_only
def test_the_privacy_notice_names_the_data_protection_officer_from_configuration(app_config):
    html = privacy_page(
        app_config,
        INTAKE_DPO_NAME="Priya Natarajan",
        INTAKE_PRIVACY_CONTACT="dpo@northgate.example",
    )
    officer = section_text(html, "Our data protection officer")
    assert "Our data protection officer is Priya Natarajan." in officer
    assert "email them at dpo@northgate.example" in officer
    footer = html.select_one("footer").get_text(" ", strip=True)
    assert "Our data protection officer is Priya Natarajan" in footer


@pytest.mark.pages_only
def test_every_processor_is_listed_with_the_companies_from_configuration(app_config):
    html = privacy_page(
        app_config,
        INTAKE_HOSTING_PROVIDER="Albion Hosting Ltd, in London",
        INTAKE_EMAIL_PROVIDER="Postbox Mail Ltd",
        INTAKE_REDIS_PROVIDER="Keystore Cloud Ltd",
    )
    heading = next(
        h2
        for h2 in html.select("main h2")
        if h2.get_text() == "Companies that handle your details for us"
    )
    items = [li.get_text(" ", strip=True) for li in heading.find_next_sibling("ul").select("li")]
    kinds = [item.split(":", 1)[0] for item in items]
    assert kinds == ["Hosting", "Email", "Text messages", "Counting form use"]
    assert "Albion Hosting Ltd, in London" in items[0]
    assert "Postbox Mail Ltd sends our emails for us." in items[1]
    assert "this website sends none" in items[2]
    assert "Keystore Cloud Ltd runs the store that keeps these counts." in items[3]
    on_our_servers = privacy_page(app_config, INTAKE_HOSTING_PROVIDER="Albion Hosting Ltd")
    assert (
        "The store that keeps these counts runs on our own servers at Albion Hosting Ltd"
        in on_our_servers.get_text(" ")
    )


def test_nothing_in_the_app_sends_a_text_message_as_the_privacy_notice_says():
    """If a text provider is ever added, the notice must name it: this fails first."""
    texting = re.compile(r"twilio|vonage|messagebird|\bsms\b|send_text", re.I)
    files = [*(ROOT / "intake").rglob("*.py"), *ROOT.glob("requirements*.txt")]
    assert not [path.name for path in files if texting.search(path.read_text())]


def documented_days(pattern: str) -> int:
    """The one number the deploy guide and the settings template give for `pattern`."""
    found = {int(days) for days in re.findall(pattern, DEPLOY_DOC + SETTINGS_TEMPLATE)}
    assert len(found) == 1, f"the deploy guide gives {found or 'no'} number for {pattern}"
    return found.pop()


@pytest.mark.pages_only
def test_the_backup_period_the_notice_states_is_the_one_the_deploy_guide_deletes_at(app_config):
    # find's -mtime +N matches a file N + 1 whole days old or older: deleted on day N + 1.
    in_cron = documented_days(r"find /backups -name 'intake-\*\.dump' -mtime \+(\d+) -delete") + 1
    in_settings = documented_days(r"INTAKE_BACKUP_DAYS=(\d+)")
    assert in_cron == in_settings == KEEPING_PERIODS["INTAKE_BACKUP_DAYS"]
    keeping = section_text(privacy_page(app_config), "How long we keep your details")
    assert f"We delete each backup {in_cron} days after we make it." in keeping
    told = section_text(
        privacy_page(app_config, INTAKE_BACKUP_DAYS=5), "How long we keep your details"
    )
    assert "We delete each backup 5 days after we make it." in told


@pytest.mark.pages_only
def test_the_notice_says_the_audit_trail_is_kept_for_good_and_holds_no_words_staff_type(
    app_config,
):
    purge_code = inspect.getsource(retention)
    assert "AuditEvent" not in purge_code, "the purge now touches the trail: update /privacy"
    keeping = section_text(privacy_page(app_config), "How long we keep your details")
    assert "Our staff audit trail" in keeping
    assert "we keep it for as long as this service runs" in keeping
    assert "none of the words our team write" in keeping
    assert "The trail notes only that a reason was given." in keeping
    # The words themselves are sealed with the request (proved in test_rights.py): every
    # reason a member types is kept through audit.record's `words`, never in `detail`.
    reasons = [AttemptForm.override_reason, CloseForm.reason, ReopenForm.reason]
    for field in reasons:
        assert NO_PERSONAL_DETAILS in field.kwargs["description"], field.args[0]
    assert "erased with its details" in NO_PERSONAL_DETAILS


@pytest.mark.pages_only
def test_the_notice_says_how_a_person_uses_their_rights_as_the_dashboard_carries_them_out(
    app_config,
):
    rights = section_text(privacy_page(app_config), "Your rights")
    assert "Tell us the phone number or email address you gave us." in rights
    assert "a copy of everything we keep about you" in rights
    assert "correct your name, phone number or email address" in rights
    assert "delete your details straight away" in rights
    assert "stop contacting you until you tell us we may call again" in rights
    # What each of these does is proved in test_rights.py.


@pytest.mark.pages_only
def test_the_notice_says_downloads_are_not_kept_by_the_app_and_when_staff_delete_them(app_config):
    assert documented_days(r"INTAKE_EXPORT_DAYS=(\d+)") == KEEPING_PERIODS["INTAKE_EXPORT_DAYS"]
    keeping = section_text(privacy_page(app_config), "How long we keep your details")
    assert "The website keeps no copy." in keeping
    assert f"delete them within {KEEPING_PERIODS['INTAKE_EXPORT_DAYS']} days" in keeping
    told = section_text(
        privacy_page(app_config, INTAKE_EXPORT_DAYS=9), "How long we keep your details"
    )
    assert "delete them within 9 days" in told


def test_the_notice_says_the_report_of_every_request_is_still_personal_data(app_config):
    keeping = section_text(privacy_page(app_config), "How long we keep your details")
    assert "One report lists each request on its own line" in keeping
    assert (
        "It is still personal data, because we can link a reference back to your request" in keeping
    )


@pytest.mark.pages_only
@pytest.mark.parametrize(
    ("limit", "stated"),
    [
        ("10 per minute;60 per hour", "an hour"),
        ("3 per minute", "a minute"),
        ("5 per 2 day", "2 days"),
    ],
)
def test_the_notice_states_how_long_the_rate_limit_counts_last(app_config, limit, stated):
    keeping = section_text(
        privacy_page(app_config, INTAKE_CALLBACK_RATE_LIMIT=limit), "How long we keep your details"
    )
    assert f"for {stated} at most" in keeping


@pytest.mark.pages_only
def test_a_person_we_are_asked_to_call_about_is_told_who_we_are_why_and_who_asked(client):
    html = page(client.get("/privacy"))
    heading = html.select_one("main h2#asked-to-call-about-you")
    assert heading.get_text() == "If someone asked us to call about you"
    told = section_text(html, heading.get_text())
    for words in [
        "Where it came from: the person who asked us to call.",
        "What we hold:",
        "at the start of the first call who we are and why we are calling",
        "We tell you that someone asked us to call.",
        "We say who asked only if they agree, and only if it is safe.",
        "If we never speak to you, this notice is how we tell you.",
    ]:
        assert words in told, words
    asker = section_text(html, "If you ask us to call about someone else")
    assert "We do not say that you asked unless you agree." in asker
