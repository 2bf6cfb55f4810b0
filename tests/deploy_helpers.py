"""nginx with the shipped site files (deploy/nginx/), in front of the app under gunicorn.

nginx runs as a child process (never a daemon) in a folder of its own, with its own
pid file, logs and temporary files, on free ports, with a self-signed certificate that
openssl makes for the public name. The shipped files are changed only as `rewrites`
says: where nginx listens, reaches the app, keeps its cache and logs, and reads the
certificate and the certificate challenges. Used by tests/test_nginx.py and
bench/nginx_cache.py.
"""

import http.client
import os
import pwd
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tests.browser.live_server import ROOT, free_port, stop
from tests.faults.http_visitor import HIDDEN

SHIPPED = ROOT / "deploy" / "nginx"
PLAIN_HTTP, HTTPS = "intake-http.conf", "intake-https.conf"
HOST = "help.example.org"  # the server_name of the shipped files
# Debian keeps nginx in /usr/sbin, which is not on every user's PATH.
NGINX = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
OPENSSL = shutil.which("openssl")
MISSING = (
    None
    if NGINX and OPENSSL
    else "nginx and openssl are needed to prove deploy/nginx: apt-get install nginx-light openssl"
)


@dataclass(frozen=True)
class Ports:
    https: int
    http: int
    app: int

    @classmethod
    def free(cls, app: int) -> "Ports":
        return cls(https=free_port(), http=free_port(), app=app)


def rewrites(folder: Path, ports: Ports) -> dict[str, dict[str, str]]:
    """Every change made to each shipped file, and nothing else: its ports, the app's
    port, and paths this test may write to or has made (the certificate)."""
    log = {"/var/log/nginx/intake.log": str(folder / "intake.log")}
    return {
        PLAIN_HTTP: {
            "listen 80;": f"listen 127.0.0.1:{ports.http};",
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{ports.app};",
            "/var/cache/nginx/intake": str(folder / "cache"),
            "/var/www/letsencrypt": str(folder / "acme"),
            **log,
        },
        HTTPS: {
            "listen 443 ssl http2;": f"listen 127.0.0.1:{ports.https} ssl http2;",
            f"/etc/letsencrypt/live/{HOST}/": f"{folder / 'tls'}/",
            **log,
        },
    }


def site_files(folder: Path, ports: Ports, names: tuple[str, ...] = (PLAIN_HTTP, HTTPS)):
    """The shipped files, rewritten, in `folder`/conf.d; each change must find its text."""
    conf_d = folder / "conf.d"
    conf_d.mkdir(exist_ok=True)
    for name in names:
        text = (SHIPPED / name).read_text()
        for old, new in rewrites(folder, ports)[name].items():
            if old not in text:
                raise AssertionError(f"{name} no longer says {old!r}: update tests/deploy_helpers")
            text = text.replace(old, new)
        (conf_d / name).write_text(text)
    return conf_d


def self_signed_certificate(folder: Path) -> Path:
    """A key and certificate for HOST (and 127.0.0.1), named as certbot names them."""
    tls = folder / "tls"
    tls.mkdir(exist_ok=True)
    subprocess.run(
        [
            *(OPENSSL, "req", "-x509", "-newkey", "ec", "-nodes", "-days", "2"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-subj", f"/CN={HOST}"),
            *("-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1"),
            *("-keyout", str(tls / "privkey.pem"), "-out", str(tls / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    return tls / "fullchain.pem"


def main_config(folder: Path, conf_d: Path, extra: str = "", workers: str = "1") -> Path:
    """An nginx.conf of the test's own: its pid, error log and temporary files in
    `folder`, and conf.d/*.conf included inside http {}, as Debian's nginx.conf does."""
    temp = folder / "temp"
    temp.mkdir(exist_ok=True)
    # As root, nginx's workers would run as nobody, who cannot read a test's folder.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp_paths = "\n".join(
        f"    {kind}_temp_path {temp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"{user}\nworker_processes {workers};\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} notice;\n"
        f"events {{\n    worker_connections 1024;\n}}\n"
        f"http {{\n{temp_paths}\n    include {conf_d}/*.conf;\n{extra}\n}}\n"
    )
    return conf


def nginx_command(conf: Path, *args: str) -> list[str]:
    folder = conf.parent
    return [NGINX, "-p", f"{folder}/", "-c", str(conf), "-e", str(folder / "error.log"), *args]


def check_config(conf: Path) -> subprocess.CompletedProcess:
    """`nginx -t`: what nginx says of the configuration, and whether it would load."""
    return subprocess.run(nginx_command(conf, "-t"), capture_output=True, text=True)


@dataclass
class NginxSite:
    folder: Path
    ports: Ports
    process: subprocess.Popen
    certificate: Path

    @property
    def access_log(self) -> Path:
        return self.folder / "intake.log"

    def visitor(self, address: str) -> "Visitor":
        return Visitor(self, address)

    def plain_get(self, path: str, address: str = "127.0.0.1") -> "Answer":
        """A GET on the plain-HTTP port (no redirect followed)."""
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.ports.http, timeout=60, source_address=(address, 0)
        )
        return _exchange(connection, "GET", path, None, {"Host": HOST})


@contextmanager
def nginx_in_front(
    folder: Path, app_url: str, extra: str = "", workers: str = "1"
) -> Iterator[NginxSite]:
    """nginx with both shipped files in front of the app at `app_url`, until the end of
    the block; `extra` is added to http {} (another server, say)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acme").mkdir(exist_ok=True)
    certificate = self_signed_certificate(folder)
    ports = Ports.free(app=urlsplit(app_url).port)
    conf = main_config(folder, site_files(folder, ports), extra, workers)
    with (folder / "nginx.out").open("wb") as output:
        process = subprocess.Popen(
            nginx_command(conf, "-g", "daemon off;"),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopping its session reaches its workers too
        )
    try:
        site = NginxSite(folder, ports, process, certificate)
        _wait_until_answering(site)
        yield site
    finally:
        stop(process)


def _wait_until_answering(site: NginxSite, seconds: float = 180) -> None:
    """Until a worker answers on the plain-HTTP port: generous, for a busy machine."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            said = (site.folder / "nginx.out").read_text() + (site.folder / "error.log").read_text()
            raise RuntimeError(f"nginx stopped while starting:\n{said}")
        try:
            site.plain_get("/")
            return
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not answer within {seconds} s")


@dataclass
class Answer:
    status: int
    headers: Message
    body: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def cache_status(self) -> str | None:
        return self.headers.get("X-Cache-Status")


def _exchange(connection, method: str, path: str, body, headers: dict) -> Answer:
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read().decode())
    finally:
        connection.close()


@dataclass
class Visitor:
    """Someone reaching the site by its public name over HTTPS from an address of their
    own on the loopback network (nginx sees 127.0.0.N as the client), checking its
    certificate, keeping cookies as a browser does and following no redirect."""

    site: NginxSite
    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, fields=None, headers=None) -> Answer:
        context = ssl.create_default_context(cafile=self.site.certificate)
        connection = http.client.HTTPSConnection(
            "127.0.0.1",
            self.site.ports.https,
            timeout=60,
            context=context,
            source_address=(self.address, 0),
        )
        sent = {"Host": HOST, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        answer = _exchange(connection, method, path, body, sent)
        self._keep_cookies(answer)
        return answer

    def get(self, path: str, headers=None) -> Answer:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, fields: dict, form_path: str | None = None, headers=None):
        """POST `fields` with the hidden fields (CSRF token and the rest) of the page the
        form is on, fetched first."""
        hidden = dict(HIDDEN.findall(self.get(form_path or path).body))
        return self.request("POST", path, {**hidden, **fields}, headers)

    def _keep_cookies(self, answer: Answer) -> None:
        for line in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
