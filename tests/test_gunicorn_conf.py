"""gunicorn.conf.py keeps what the master loaded shared with its workers: the collector
off in the master as the file is read, everything frozen just before each fork, and on
again in each worker (see the file's comment; bench/memory.py measures it).

Each check reads the file in a Python of its own: reading it turns the collector off,
which this test process must not inherit.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HOOKS = """
import gc, json, runpy
settings = runpy.run_path("gunicorn.conf.py")
seen = {"master collects": gc.isenabled()}
settings["pre_fork"](None, None)
seen["frozen before fork"] = gc.get_freeze_count()
seen["master collects after pre_fork"] = gc.isenabled()
settings["post_fork"](None, None)
seen["worker collects"] = gc.isenabled()
print(json.dumps(seen))
"""


def hooks_run(**environ: str) -> dict:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": "/nonexistent", **environ}
    answer = subprocess.run(
        [sys.executable, "-c", HOOKS], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout)


def test_the_master_freezes_what_it_holds_before_each_fork_and_each_worker_collects_again():
    seen = hooks_run()
    assert seen["master collects"] is False
    assert seen["frozen before fork"] > 1000
    assert seen["master collects after pre_fork"] is False
    assert seen["worker collects"] is True


def test_the_freeze_can_be_switched_off_only_to_measure_it():
    seen = hooks_run(INTAKE_GC_FREEZE="off")
    assert seen == {
        "master collects": True,
        "frozen before fork": 0,
        "master collects after pre_fork": True,
        "worker collects": True,
    }
