"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

Workers from the CPU count, firm timeouts, every log line a JSON object (access lines
without query strings or client addresses), Prometheus metrics shared by all workers,
and the app the master loaded kept out of the workers' garbage collections, so that
they share its memory (see pre_fork).
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


# What the app loads at start lives as long as the process: the master builds it once
# (preload_app) and each worker is a fork sharing its memory pages until it writes to
# one. A collection writes to every object it examines (its gc_refs count), so a worker
# whose collector walks the objects it inherited copies every page they lie on: until
# issue 30 each worker ran gc.collect() then gc.freeze() after the fork, and so held
# its own copy of the whole app (bench/memory.py: 100 MB more over 5 workers, 1.4 times
# as much). Instead, as the Python documentation of gc.freeze advises: the master turns
# its collector off before it loads anything (here, as this file is read, so that no
# freed holes among the app's objects are left for a worker's new objects to fill),
# freezes everything it holds just before each fork (no collection examines a frozen
# object again, in the master or in any worker), and each worker turns its collector
# back on first thing. A worker's full collections then walk only what it made itself,
# which also spares requests the 60 ms pause of a full sweep over the password
# checker's 100,000 words. The master, collector off, frees what it makes later (an
# object per worker it forks) by reference counting: its size stayed the same over
# 1,200 worker replacements.
#
# INTAKE_GC_FREEZE=off leaves the collector as Python does (on, nothing frozen), only to
# measure the difference (`python -m bench.memory`); never in production.
FREEZE_BEFORE_FORK = os.environ.get("INTAKE_GC_FREEZE", "on") != "off"
if FREEZE_BEFORE_FORK:
    gc.disable()


def pre_fork(server, worker) -> None:
    """In the master, just before it forks a worker: freeze what it holds."""
    if FREEZE_BEFORE_FORK:
        gc.freeze()


def post_fork(server, worker) -> None:
    """In the new worker, first thing: its own collector on again."""
    if FREEZE_BEFORE_FORK:
        gc.enable()


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
