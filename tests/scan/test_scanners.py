"""wapiti and sqlmap, run against the real app under gunicorn on PostgreSQL, find nothing.

An outside review ran both and found nothing; this keeps proving it. sqlmap tries every
field of the public forms (the callback form, withdrawing, the staff sign-in) and the
signed-in supervisor's filters (the queue, its live JSON, the audit trail, the reports'
period, the handover log, the search); wapiti crawls the public pages and, signed in
as a supervisor, the staff pages, and attacks every link and form it finds. Any finding,
any 5xx answer and any parameter sqlmap did not test fails, saying what and where.
"""

import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.browser.live_server import STAFF_PASSWORD
from tests.faults.http_visitor import HttpVisitor
from tests.scan.scanners import (
    WAPITI_MODULES,
    SqlmapResult,
    SqlmapTarget,
    WapitiScan,
    describe,
    posted_fields,
    run_sqlmap,
)
from tests.scan.site import EVERY_ANSWER, ScanSite, session_cookie, visitor_on

SERVICE_ZONE = ZoneInfo("Europe/London")  # INTAKE_TIMEZONE's default, which the site has


def sqlmap_all(site: ScanSite, targets: list[SqlmapTarget], tmp_path: Path) -> list[SqlmapResult]:
    """Each target in a sqlmap of its own, three at a time (gunicorn has two workers)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        return list(
            pool.map(
                lambda target: run_sqlmap(target, site.url, tmp_path / target.name),
                targets,
            )
        )


def assert_clean(results: list[SqlmapResult], site: ScanSite, log_from: int) -> None:
    reports = [result.report() for result in results if result.problems()]
    assert not reports, "\n\n".join(reports)
    errors = site.server_errors_since(log_from)
    assert not errors, f"the server answered 5xx: {errors}"


def test_sqlmap_finds_no_injection_in_the_public_forms(site, tmp_path):
    visitor = HttpVisitor(site.url)
    callback = {**site.callback_form(visitor), **EVERY_ANSWER}  # its tokens, a day to pick
    fields = sorted(name for name in callback if name != "csrf_token")
    halves = fields[: len(fields) // 2], fields[len(fields) // 2 :]
    targets = [
        # The form's twenty fields shared between two sqlmaps, in the same session.
        *(
            SqlmapTarget(
                f"callback-{number}",
                "/callback",
                callback,
                cookie=session_cookie(visitor),
                method="POST",
                csrf_page="/callback",
                only=tuple(half),
            )
            for number, half in enumerate(halves, 1)
        ),
        SqlmapTarget(
            "withdraw",
            "/callback/withdraw",
            {"csrf_token": "", "secret": site.withdraw_secret},
            cookie=visitor_on(site, "/callback"),
            method="POST",
            csrf_page="/callback",
        ),
        # The agent's real password: a sign-in that works is the "true" page sqlmap
        # compares the others with (the password's own payloads then lock the account).
        SqlmapTarget(
            "sign-in",
            "/staff/sign-in",
            {"csrf_token": "", "email": site.agent_email, "password": STAFF_PASSWORD},
            cookie=visitor_on(site, "/staff/sign-in"),
            method="POST",
            csrf_page="/staff/sign-in",
        ),
    ]
    log_from = site.log_position()
    results = sqlmap_all(site, targets, tmp_path)
    assert_clean(results, site, log_from)
    # The tokens held: sqlmap's requests got past the CSRF check and the submission
    # token's, to a stored request and to a password accepted.
    answers = site.answers_since(log_from)
    assert answers["POST", "/callback", 303] > 0, answers
    assert answers["POST", "/callback/withdraw", 303] == 1, answers
    assert answers["POST", "/staff/sign-in", 303] > 0, answers


def test_sqlmap_finds_no_injection_in_what_a_supervisor_filters_and_searches(site, tmp_path):
    cookie = site.signed_in_cookie("sqlmap")
    today = datetime.now(SERVICE_ZONE).date()  # the reports refuse a day still to come
    week_ago, month_ago = today - timedelta(days=7), today - timedelta(days=30)
    reference = site.references[0]
    queue = {
        "state": "new",
        "show": "ready",
        "urgent": "1",
        "mine": "1",
        "unassigned": "1",
        "reference": reference,
        "closed_as": "completed",
        "closed_since": month_ago.isoformat(),
        "closed_until": today.isoformat(),
        "after": site.queue_cursor,
    }
    audit = {
        "member": str(site.audit_member),
        "reference": reference,
        "action": "attempt_recorded",
        "since": week_ago.isoformat(),
        "until": today.isoformat(),
        "older": "100000",
    }
    period = {"start": week_ago.isoformat(), "end": today.isoformat()}
    targets = [
        SqlmapTarget("queue", "/staff/", queue, cookie),
        SqlmapTarget("queue-json", "/staff/queue.json", queue, cookie),
        SqlmapTarget("audit", "/staff/audit", audit, cookie),
        SqlmapTarget("reports", "/staff/reports", period, cookie),
        SqlmapTarget("handover", "/staff/handover", {"page": "1"}, cookie),
        SqlmapTarget(
            "reports-csv",
            "/staff/reports/requests.csv",
            {"csrf_token": ""},
            cookie,
            method="POST",
            csrf_page="/staff/reports",
            query=period,
        ),
        SqlmapTarget(
            "search",
            "/staff/search",
            {"csrf_token": "", "query": "07400 100001"},
            cookie,
            method="POST",
            csrf_page="/staff/",
        ),
    ]
    log_from = site.log_position()
    results = sqlmap_all(site, targets, tmp_path)
    assert site.still_signed_in(cookie), "the supervisor stayed signed in through the scan"
    assert_clean(results, site, log_from)


def test_wapiti_finds_nothing_in_the_public_or_staff_pages(site, tmp_path):
    cookie = site.signed_in_cookie("wapiti")
    # Two requests' pages, each with the forms of its state: the urgent one, which the
    # supervisor holds (calls, notes, release, give to a colleague), and one booked for
    # later for someone else (take with a reason, "they called us"). Every other
    # request's page has the same forms again.
    held, waiting = site.references[1], site.references[2]
    site.hold(held, "wapiti")
    others = [ref for ref in site.references_now() if ref not in (held, waiting)]
    start = [
        "/",
        "/callback",
        "/staff/",
        f"/staff/requests/{held}",
        f"/staff/requests/{waiting}",
        "/staff/team",
        "/staff/audit",
        "/staff/reports",
        "/staff/handover",
        "/staff/account/password",
    ]
    exclude = [
        # Signing out, or making this browser a wallboard, would end the session.
        "/staff/sign-out",
        "/staff/team/wallboards",
        # The CSV files read their filters as their pages do (/staff/audit and
        # /staff/reports, attacked; sqlmap tries the reports' CSV too).
        "/staff/reports/*.csv*",
        "/staff/audit.csv?*",
        *(f"/staff/requests/{ref}*" for ref in others),
    ]
    tokens = sorted(site.token_fields(cookie, start))
    scans = [
        WapitiScan(
            base=site.url,
            folder=tmp_path / f"wapiti-{number}",
            cookie=cookie,
            modules=modules,
            start=start,
            exclude=exclude,
            max_scan_seconds=60,
            max_attack_seconds=75,
            skip=tokens,
        )
        for number, modules in enumerate(WAPITI_MODULES, 1)
    ]
    log_from = site.log_position()
    with ThreadPoolExecutor(max_workers=len(scans)) as pool:
        results = list(pool.map(WapitiScan.run, scans))
    for scan, result in zip(scans, results, strict=True):
        output = f"wapiti -m {scan.modules} (exit {result.returncode})"
        assert result.report, f"{output} wrote no report:\n{result.output[-3000:]}"
        assert result.returncode == 0, f"{output}:\n{result.output[-3000:]}"
        crawled = set(result.crawled)
        staff_pages = {"/staff/team", f"/staff/requests/{held}", f"/staff/requests/{waiting}"}
        assert staff_pages <= crawled, f"{output} crawled, signed in: {sorted(crawled)}"
        assert not result.skipped, f"{output}: {result.skipped}"
    assert site.still_signed_in(cookie), "the supervisor stayed signed in through the scan"
    findings, disproved = [], []
    for result in results:
        for category, entry in result.entries("vulnerabilities"):
            if category == CSRF and csrf_refused(site, cookie, entry):
                disproved.append(f"{entry['method']} {entry['path']}")
            else:
                findings.append(describe(category, entry))
    print(f"CSRF claims disproved (no token and a forged one both refused): {disproved}")
    assert not findings, "\n\n".join(findings)
    anomalies = [describe(*found) for result in results for found in result.entries("anomalies")]
    assert not anomalies, "\n\n".join(anomalies)
    errors = site.server_errors_since(log_from)
    assert not errors, f"the server answered 5xx: {errors}"
    stopped = [line for result in results for line in result.stopped_early]
    if stopped:
        warnings.warn(f"wapiti stopped at its time bounds: {stopped}", stacklevel=1)


CSRF = "Cross Site Request Forgery"
EXPIRED = "This page had been open too long"


def csrf_refused(site: ScanSite, cookie: str, entry: dict) -> bool:
    """wapiti's csrf module knows a CSRF token by its name alone, from a list that lacks
    the names WTForms gives a form with a prefix (`take-csrf_token`), and so reports
    "Lack of anti CSRF token" for those forms. Its claim is checked here: the same POST,
    in the same session, sent without its token and with a forged one, must both be
    refused as the CSRF check refuses (Flask-WTF finds a token by its name's ending).
    If either gets through, the finding stands."""
    path, fields = posted_fields(entry)
    if not any(name.endswith("csrf_token") for name, _ in fields):
        return False
    without = [(name, value) for name, value in fields if not name.endswith("csrf_token")]
    forged = [(name, "forged" if name.endswith("csrf_token") else value) for name, value in fields]
    answers = [site.post_as(cookie, path, sent) for sent in (without, forged)]
    return all(answer.status == 400 and EXPIRED in answer.body for answer in answers)
