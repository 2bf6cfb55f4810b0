"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py`.

Workers from the CPU count, firm timeouts, JSON access log lines without query
strings or client addresses, and Prometheus metrics shared by all workers.
"""

import gc
import multiprocessing
import os
import shutil
import tempfile

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
# %(U)s is the path without its query string; no client address, referrer or agent.
access_log_format = (
    '{"time": "%(t)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
    '"bytes": "%(B)s", "ms": %(M)s, "request_id": "%({x-request-id}o)s"}'
)

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


def post_fork(server, worker) -> None:
    from intake.observability import configure_json_logging

    configure_json_logging()


def post_worker_init(worker) -> None:
    """What the worker loaded at start lives as long as it does: keep it out of the
    garbage collector's full sweeps, which otherwise pause a request for about 60 ms
    now and then (the password checker's word lists alone are 100,000 items)."""
    gc.collect()
    gc.freeze()


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
