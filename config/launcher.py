"""The project's own launcher, behind `make run`, `make test` and `manage.py`.

    python -m config.launcher run     # services, migrate, demo data, web + worker + beat
    python -m config.launcher test    # services, then the whole test suite
    python -m config.launcher stop    # stop the embedded PostgreSQL and Redis
    python -m config.launcher manage  # any manage.py command (as `python manage.py`)

It is the one place that starts the embedded PostgreSQL and Redis (settings
start nothing): what DATABASE_URL / REDIS_URL do not provide is started here,
and its URL is put in this process's environment, so that every process it
runs (manage.py, gunicorn, Celery, pytest and what the tests start) finds the
same servers.

Web, the Celery worker and beat run in the foreground as children of this
process (a detached worker exits silently with kombu 5.7), supervised
(config/supervisor.py): one that dies is restarted with a back-off and the
others keep running; Ctrl-C (or SIGTERM) stops them in order, then the
databases this launcher started, leaving no process behind. A child that
keeps dying stops everything, with a non-zero exit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from config import embedded
from config.supervisor import ChildSpec, Supervisor

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DEMO_PASSWORD = "guichet-demo"


def _say(message: str) -> None:
    print(f"[guichet] {message}", flush=True)


def ensure_services(*, redis_db: int = 0, verbose: bool = True) -> list[str]:
    """Start what the environment does not provide and set its URL in the
    environment; return what we started. Local work on the embedded
    PostgreSQL is debug mode unless DJANGO_DEBUG says otherwise (a
    deployment, which sets DATABASE_URL, is production mode)."""
    say = _say if verbose else lambda _message: None
    started = []
    if not os.environ.get("DATABASE_URL"):
        socket_dir, fresh = embedded.postgres_ensure()
        os.environ["DATABASE_URL"] = embedded.postgres_url(socket_dir)
        os.environ.setdefault("DJANGO_DEBUG", "1")
        say(f"PostgreSQL (embedded, {'started' if fresh else 'already running'}) at {socket_dir}")
        if fresh:
            started.append("postgres")
    if not os.environ.get("REDIS_URL"):
        sock, fresh = embedded.redis_ensure()
        os.environ["REDIS_URL"] = embedded.redis_url(sock, db=redis_db)
        say(f"Redis (embedded, {'started' if fresh else 'already running'}) at {sock}")
        if fresh:
            started.append("redis")
    return started


def stop_services(names: list[str]) -> None:
    if "redis" in names:
        embedded.redis_stop()
        _say("Redis stopped")
    if "postgres" in names:
        embedded.postgres_stop()
        _say("PostgreSQL stopped")


def manage(*args: str, check: bool = True) -> int:
    return subprocess.run([PY, str(ROOT / "manage.py"), *args], cwd=ROOT, check=check).returncode


def execute_manage(argv: list[str]) -> None:
    """`python manage.py ...`: the services first, then Django's command
    line, which alone writes to stdout (dumpdata, shell -c). Servers started
    here keep running after the command (the next one reuses them in
    milliseconds); `make stop` stops them."""
    ensure_services(verbose=False)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def children(port: str) -> list[ChildSpec]:
    """What `make run` keeps running: web, worker and beat."""
    return [
        ChildSpec(
            "web",
            [
                PY,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                os.environ.get("WEB_CONCURRENCY", "2"),
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
                "--no-control-socket",
            ],
        ),
        ChildSpec(
            "worker",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "info",
                "--concurrency",
                os.environ.get("CELERY_CONCURRENCY", "2"),
                "-n",
                "worker@%h",
            ],
        ),
        ChildSpec(
            "beat",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "-s",
                str(embedded.DATA_DIR / "celerybeat-schedule"),
            ],
        ),
    ]


def run() -> int:
    """Serve until Ctrl-C (or SIGTERM): 0. A child that dies is restarted
    (config.supervisor); one that keeps dying stops everything: 1."""
    os.environ.setdefault("DJANGO_DEBUG", "1")
    port = os.environ.get("PORT", "8000")
    started = ensure_services()
    supervisor = Supervisor(children(port), cwd=ROOT, say=_say)
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        manage("migrate", "--noinput", "-v", "0")
        manage("seed_demo", "--if-empty")
        supervisor.start()
        _say(f"Guichet Cloud is up: http://127.0.0.1:{port}/")
        _say(f"  API: http://127.0.0.1:{port}/api/v1/   docs: http://127.0.0.1:{port}/api/docs/")
        _say(f"  admin: http://127.0.0.1:{port}/admin/   health: http://127.0.0.1:{port}/healthz")
        _say(f"  demo logins (password '{DEMO_PASSWORD}'):")
        manage("demo_logins")
        _say("Ctrl-C stops everything.")
        code = supervisor.run(lambda: stopping)
    finally:
        _say("stopping...")
        supervisor.stop()
        stop_services(started)
    return code


def test(args: list[str]) -> int:
    """The suite (lint and type check are `make lint` and `make typecheck`,
    which .ci/run calls first). Tests keep to Redis database 1, `make run`
    to 0."""
    os.environ["GUICHET_TESTING"] = "1"
    started = ensure_services(redis_db=1)
    try:
        # pytest exits 5 when it collects no test: that is a failure here too.
        code = subprocess.run([PY, "-m", "pytest", "--durations=30", *args], cwd=ROOT).returncode
        if code == 5:
            _say("no tests were collected: failing")
        return code
    finally:
        stop_services(started)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        return run()
    if command == "test":
        return test(rest)
    if command == "stop":
        stop_services(["redis", "postgres"])
        return 0
    if command == "manage":
        ensure_services()
        return manage(*rest, check=False)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
