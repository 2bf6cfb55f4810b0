"""Running sqlmap and wapiti (from .venv-scan, requirements-scan.txt) and reading what
they found.

Neither fetches anything at run time, nor asks any host but the app for anything: no
browser (wapiti's crawler is its own, not headless Firefox), no update check, no bug
report (wapiti's --no-bugreport), no DNS look-up (wapiti's endpoints are the app's own),
and only modules that need no endpoint on the internet.
"""

import json
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
SCAN_BIN = ROOT / ".venv-scan" / "bin"
SQLMAP = SCAN_BIN / "sqlmap"
WAPITI = SCAN_BIN / "wapiti"
# A scanner that has not finished in this long is stuck, not slow: it never is on the
# slowest machine we run on (each one's own bounds end it well before).
STUCK_AFTER_SECONDS = 1200


def scanner_env(home: Path) -> dict[str, str]:
    """The scanners keep their state (sqlmap's history, wapiti's session and config
    databases) under HOME: each run its own, thrown away with the test's tmp_path."""
    home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}


# sqlmap

SQLMAP_OPTIONS = [
    "--batch",  # never asks; takes the default answer
    "--level=1",
    "--risk=1",
    # Boolean-based blind, error-based, UNION query and time-based blind (stacked and
    # inline queries are left out, to keep the scan short).
    "--technique=BEUT",
    # The database the app runs on, as in production: PostgreSQL's payloads only.
    "--dbms=PostgreSQL",
    "--flush-session",
    "--skip-waf",
    "--disable-coloring",
    "--timeout=60",
    "--retries=1",
    # A redirect after a POST is followed as a browser does, with a GET.
    "--answers=resend original POST data=N",
    "-v",
    "1",
]
NOT_INJECTABLE = re.compile(r"\b(GET|POST) parameter '([^']+)' does not seem to be injectable")
# Anything sqlmap took for a sign of injection, confirmed or not, and its heuristics
# for cross-site scripting and file inclusion: each is a finding to look at.
SIGNS = re.compile(
    r"identified the following injection point|appears to be .* injectable|is vulnerable"
    r"|might be injectable|might be vulnerable to|injection point\(s\)",
    re.I,
)
CRITICAL = re.compile(r"\[CRITICAL\] (.*)")
ALL_CLEAN = "all tested parameters do not appear to be injectable"
# "HTTP error codes detected during run: 400 (Bad Request) - 46 times, 500 (...) - 2 times"
HTTP_ERRORS = re.compile(r"\b(5\d\d) \(([^)]*)\) - (\d+) times")


@dataclass
class SqlmapTarget:
    """One form or page: where it is, what it sends, and which parameters to try.

    The session cookie is the one the form's tokens were given to (a visitor's, or a
    signed-in supervisor's), sent unchanged on every request: the callback form's
    submission token, like the CSRF token, is good only in the session it was given to.
    With `csrf_page`, sqlmap fetches that page (in the same session) before every
    request and sends its fresh CSRF token.
    """

    name: str
    path: str
    params: dict[str, str | list[str]]
    cookie: str
    method: str = "GET"
    csrf_page: str | None = None
    # A POST's parameters in its address (sent, and tried, with those in its body).
    query: dict[str, str] = field(default_factory=dict)
    # The parameters to try, if not all: a long form is shared between sqlmaps.
    only: tuple[str, ...] = ()

    def command(self, base: str, out: Path) -> list[str]:
        query = urlencode(self.params, doseq=True)
        url = base + self.path + (f"?{urlencode(self.query)}" if self.query else "")
        command = [
            str(SQLMAP),
            *SQLMAP_OPTIONS,
            *("--output-dir", str(out)),
            *("-p", ",".join(sorted(self.expected))),
            # The session stays as it was: a page that changes the cookie (a flash
            # message, a confirmation) must not sign the scanner out or lose its tokens.
            *("--cookie", f"intake_session={self.cookie}", "--drop-set-cookie"),
        ]
        if self.method == "POST":
            command += ["-u", url, "--data", query]
        else:
            command += ["-u", f"{url}?{query}"]
        if self.csrf_page:
            command += [
                "--csrf-token=csrf_token",
                f"--csrf-url={base}{self.csrf_page}",
                "--csrf-method=GET",
            ]
        return command

    @property
    def expected(self) -> set[str]:
        every = {name for name in [*self.params, *self.query] if name != "csrf_token"}
        return set(self.only) or every


@dataclass
class SqlmapResult:
    target: SqlmapTarget
    returncode: int
    output: str
    injection_log: str
    tested: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, target: SqlmapTarget, done: subprocess.CompletedProcess, out: Path):
        logs = [path.read_text(errors="replace") for path in out.glob("*/log")]
        result = cls(target, done.returncode, done.stdout + done.stderr, "".join(logs).strip())
        result.tested = {match[1] for match in NOT_INJECTABLE.findall(result.output)}
        return result

    def problems(self) -> list[str]:
        """Everything that is not "nothing found, every parameter tested"."""
        problems = []
        if self.injection_log:
            problems.append(f"injection points found:\n{self.injection_log}")
        lines = self.output.splitlines()
        problems += [f"sign: {line.strip()}" for line in lines if SIGNS.search(line)]
        problems += [
            f"sqlmap stopped: {message}"
            for message in CRITICAL.findall(self.output)
            if not message.startswith(ALL_CLEAN)
        ]
        problems += [
            f"server error {code} ({words}) {times} times"
            for code, words, times in HTTP_ERRORS.findall(self.output)
        ]
        untested = self.target.expected - self.tested
        if untested:
            problems.append(f"parameters never reported tested: {sorted(untested)}")
        if self.returncode != 0:
            problems.append(f"sqlmap exited with {self.returncode}")
        if ALL_CLEAN not in self.output:
            problems.append(f"sqlmap did not say '{ALL_CLEAN}'")
        return problems

    def report(self) -> str:
        problems = "\n  ".join(self.problems())
        tail = "\n".join(self.output.splitlines()[-40:])
        where = f"{self.target.name} ({self.target.method} {self.target.path})"
        return f"{where}:\n  {problems}\n{tail}"


def run_sqlmap(target: SqlmapTarget, base: str, folder: Path) -> SqlmapResult:
    out = folder / "output"
    done = subprocess.run(
        target.command(base, out),
        capture_output=True,
        text=True,
        env=scanner_env(folder / "home"),
        cwd=folder,
        stdin=subprocess.DEVNULL,
        timeout=STUCK_AFTER_SECONDS,
        check=False,
    )
    (folder / "sqlmap.txt").write_text(done.stdout + done.stderr)
    return SqlmapResult.read(target, done, out)


# wapiti

# The attacks that need nothing but the site, in three wapitis run side by side (each
# crawls for itself, and each attack module sends its requests one at a time): SQL and
# shell injection; cross-site scripting reflected and stored (permanentxss needs xss),
# header injection (CRLF), open redirects and forms without a CSRF token; and file and
# path injection, the longest.
# Not ssrf, xxe or log4shell (they need wapiti's endpoint on the internet); not ldap
# (there is no directory, and its page comparison takes our escaped echo of its payload
# for a sign of one); not the fingerprinting and brute-force modules (nikto, wapp,
# buster, backup); not the checks of headers and cookie flags, which differ here
# (plain HTTP, no HSTS) from production and are tested in tests/test_headers.py.
WAPITI_MODULES = ("sql,exec", "xss,permanentxss,crlf,redirect,csrf", "file")


@dataclass
class WapitiScan:
    base: str
    folder: Path
    cookie: str
    modules: str
    start: list[str]
    exclude: list[str]
    max_scan_seconds: int
    max_attack_seconds: int
    # Parameters not attacked: the CSRF tokens (as sqlmap leaves them alone), whose
    # every wrong value is refused by Flask-WTF before any of our code runs.
    skip: list[str] = field(default_factory=list)

    @property
    def report_path(self) -> Path:
        return self.folder / "report.json"

    def cookie_file(self) -> Path:
        """wapiti's own JSON cookie format, for the jar its crawler and attacks share."""
        host = urlsplit(self.base).hostname
        cookie = {"value": self.cookie, "expires": None, "secure": False, "port": None}
        jar = {host: {"/": {"intake_session": {**cookie, "version": 0}}}}
        path = self.folder / "cookies.json"
        path.write_text(json.dumps(jar))
        return path

    def command(self) -> list[str]:
        command = [
            str(WAPITI),
            *("-u", self.base + "/", "--scope", "folder"),
            *("-m", self.modules),
            *("-c", str(self.cookie_file())),
            *("--max-scan-time", str(self.max_scan_seconds)),
            *("--max-attack-time", str(self.max_attack_seconds)),
            # Generous: a slow answer on a busy machine is not an anomaly.
            *("-t", "60"),
            *("--tasks", "8"),
            # Links of one kind (a path and its parameters' names) are attacked once with
            # three parameters or more, a few times with two, up to 30 times with one:
            # the audit trail's filter links differ only in the request or member named.
            *("-S", "paranoid"),
            "--flush-session",
            *("--store-session", str(self.folder / "session")),
            *("--store-config", str(self.folder / "config")),
            *("-f", "json", "-o", str(self.report_path)),
            # The report keeps the request of each finding, to say exactly what was sent.
            *("-dr", "1"),
            *("--log", str(self.folder / "wapiti.log")),
            "--no-bugreport",
            # Every module is loaded, used or not, and log4shell's looks its DNS endpoint
            # up as it loads; ssrf's and xxe's endpoint is a site on the internet. Ours
            # are named instead, so nothing is asked of any other host.
            *("--dns-endpoint", "127.0.0.1"),
            *("--endpoint", self.base + "/"),
            *("-v", "1"),
        ]
        for path in self.start:
            command += ["-s", self.base + path]
        for pattern in self.exclude:
            command += ["-x", self.base + pattern]
        for parameter in self.skip:
            command += ["--skip", parameter]
        return command

    def run(self) -> "WapitiReport":
        self.folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            self.command(),
            capture_output=True,
            text=True,
            env=scanner_env(self.folder / "home"),
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            timeout=STUCK_AFTER_SECONDS,
            check=False,
        )
        output = done.stdout + done.stderr
        (self.folder / "wapiti.txt").write_text(output)
        report = json.loads(self.report_path.read_text()) if self.report_path.exists() else {}
        return WapitiReport(done.returncode, output, report)


@dataclass
class WapitiReport:
    returncode: int
    output: str
    report: dict

    def entries(self, section: str) -> list[tuple[str, dict]]:
        """The report's `vulnerabilities` or `anomalies`: (category, entry) each."""
        sections = self.report.get(section) or {}
        return [(category, entry) for category, found in sections.items() for entry in found]

    @property
    def crawled(self) -> list[str]:
        pages = self.report.get("infos", {}).get("crawled_pages", [])
        return [urlsplit(page["request"]["url"]).path for page in pages]

    @property
    def stopped_early(self) -> list[str]:
        """The modules its time bounds stopped, each with how far it got."""
        found = re.search(r"Wapiti found (\d+) URLs and forms", self.output)
        module, attacked, stopped = None, Counter(), []
        for line in self.output.splitlines():
            if launched := re.search(r"Launching module (\w+)", line):
                module = launched[1]
            elif module and line.startswith("[+] "):
                attacked[module] += 1
            elif "time was reached" in line:
                total = found[1] if found else "?"
                where = f"{module}: {attacked[module]} of {total} links and forms" if module else ""
                stopped.append(f"{line.strip()} ({where})")
        return stopped

    @property
    def skipped(self) -> list[str]:
        return [line for line in self.output.splitlines() if "were skipped due to" in line]


def describe(category: str, entry: dict) -> str:
    """A finding in words: what, where, which parameter, and the request that showed it."""
    return (
        f"{category}: {entry.get('method')} {entry.get('path')} "
        f"parameter {entry.get('parameter')!r}: {entry.get('info')}\n"
        f"{entry.get('http_request', '')}"
    )


def posted_fields(entry: dict) -> tuple[str, list[tuple[str, str]]]:
    """The path (with its query) and the form fields of the POST a finding reports."""
    request = entry["http_request"]
    path = request.split(" ", 2)[1]
    body = request.split("\n\n", 1)[1] if "\n\n" in request else ""
    return path, parse_qsl(body, keep_blank_values=True)
