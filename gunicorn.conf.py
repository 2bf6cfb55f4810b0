"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

Workers from the CPU count, firm timeouts, every log line a JSON object (access lines
without query strings or client addresses), and Prometheus metrics shared by all
workers.
"""

import gc
import multiprocessing
import os
import shutil
import tempfile

from gunicorn.glogging import Logger

wsgi_app = "intake:create_app()"
bind = os.environ.get("INTAKE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# The app is built once, in the master, and each worker is a fork of it: a worker (a
# new one, or one replacing a worker that died or served max_requests) starts at once
# instead of spending seconds importing and building the app, and the workers share
# what was loaded. create_app opens no connection, so no worker inherits one. A new
# release needs a restart: HUP would fork the code already loaded.
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 10_000
max_requests_jitter = 1_000

accesslog = "-"
errorlog = "-"


class JsonLines(Logger):
    """gunicorn's own lines as JSON objects, one a line, like the app's: the master's and
    the workers' (starting, booting, timeouts) and the access lines, wherever accesslog,
    errorlog or syslog send them. The app's records, and every library's, go where
    gunicorn's errors go, set up before the app is built (preload_app), so no line in
    any process is written another way. (intake.observability is imported late, as
    PROMETHEUS_MULTIPROC_DIR must be set first.)"""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        from intake.observability import configure_json_logging, json_access_lines

        for handler in self.access_log.handlers:
            json_access_lines(handler)
        # The error log's handlers become the root logger's too, writing JSON lines.
        configure_json_logging(handlers=self.error_log.handlers)

    def access(self, resp, req, environ, request_time) -> None:
        """An access line built from fields, never from a printf template, so the
        formatter's json.dumps escapes whatever a path holds (quotes, line breaks, NUL).
        The path is without its query string; no client address, referrer or agent.
        access_log_format is not used."""
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(str(atoms["s"])),
            "bytes": atoms["B"],
            "ms": atoms["M"],
            "request_id": atoms.get("{x-request-id}o", "-"),
        }
        self.access_log.info("request", extra=fields)


logger_class = JsonLines

# prometheus_client's multiprocess mode: every worker writes its counters here.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "intake-prometheus")
)


def on_starting(server) -> None:
    from intake.config import require_shared_rate_limits

    # The app was built before -w on the command line was known: check the real count.
    require_shared_rate_limits(os.environ, server.cfg.workers)
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def post_worker_init(worker) -> None:
    """What the worker loaded at start lives as long as it does: keep it out of the
    garbage collector's full sweeps, which otherwise pause a request for about 60 ms
    now and then (the password checker's word lists alone are 100,000 items)."""
    gc.collect()
    gc.freeze()


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
