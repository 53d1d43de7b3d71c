"""A real Celery worker process against the test database and the real
Redis, for tests marked `worker`."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from config import embedded
from config.celery_app import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    params = connection.settings_dict
    if os.environ.get("DATABASE_URL"):
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + params["NAME"]))
    return embedded.postgres_url(params["HOST"], params["NAME"])


# Each test session sends its tasks to a queue of its own, so that two
# sessions on one machine (and one Redis) never run each other's tasks.
QUEUE = f"test-{os.getpid()}"


@contextmanager
def celery_worker(timeout: float = 30.0):
    """Start a worker on this session's queue, wait until it answers a ping,
    stop it afterwards."""
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = QUEUE
    env = {
        **os.environ,
        "GUICHET_TESTING": "1",
        "DATABASE_URL": _database_url(),
        # Tasks the worker itself sends (re-matching after an assessment) stay on the queue.
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            QUEUE,
            "-n",
            f"{QUEUE}@%h",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while not celery_app.control.ping(
            destination=[f"{QUEUE}@{socket.gethostname()}"], timeout=0.5
        ):
            if process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not answer within the timeout")
        yield process
    finally:
        celery_app.conf.task_default_queue = previous_queue
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
