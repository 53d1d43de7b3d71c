"""``make loadtest``: a bounded load test on loopback (issue 7), not part of
``make test``.

    python -m bench.loadtest [--users 50] [--spawn-rate 10] [--duration 60] [--fresh]

It starts (or reuses) the embedded PostgreSQL and Redis, prepares the
database ``guichet_loadtest`` with the demo data (once; ``--fresh`` starts
over), serves it with gunicorn in production mode (DEBUG off, collected
static files) and a Celery worker that matches the tenders published
meanwhile, then runs locust headless (bench/locustfile.py): browse, search,
publish and respond. It prints p50/p95/p99 per request kind, writes them to
bench/loadtest.json, and fails on any error. The API throttles are raised
for the run: it measures capacity, not the throttles (tested elsewhere).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from config import embedded

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
DATABASE = "guichet_loadtest"
WORK = embedded.DATA_DIR / "loadtest"


def _say(message: str) -> None:
    print(f"[loadtest] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _psql(socket_dir: str, sql: str) -> str:
    return subprocess.run(
        [
            str(embedded._pg_bin("psql")),
            "-h",
            socket_dir,
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            sql,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def prepare(fresh: bool) -> dict:
    socket_dir, _ = embedded.postgres_ensure()
    redis_socket, _ = embedded.redis_ensure()
    exists = _psql(socket_dir, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") == "1"  # noqa: S608
    if fresh and exists:
        _psql(socket_dir, f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
        exists = False
    if not exists:
        _psql(socket_dir, f'CREATE DATABASE "{DATABASE}"')
    WORK.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": embedded.postgres_url(socket_dir, DATABASE),
        "REDIS_URL": embedded.redis_url(redis_socket, db=3),
        "DJANGO_DEBUG": "0",
        "GUICHET_TESTING": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(WORK / "static"),
        "API_THROTTLE_ANON": "10000000/hour",
        "API_THROTTLE_USER": "10000000/hour",
        "API_THROTTLE_KEY": "10000000/hour",
        "CELERY_TASK_DEFAULT_QUEUE": f"loadtest-{os.getpid()}",
        "GUICHET_DEMO_DATA": "1",
        "LOG_LEVEL": "WARNING",
        "LOADTEST_DATA": str(WORK / "data.json"),
        # Invitations are e-mailed: not to the terminal, during a measurement.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    _say("demo data (first run only)...")
    subprocess.run(
        [*manage, "seed_demo", "--if-empty"],
        cwd=ROOT,
        check=True,
        env={**env, "CELERY_TASK_ALWAYS_EAGER": "1"},
    )
    manifest = WORK / "static" / "staticfiles.json"
    ours = [p.stat().st_mtime for p in ROOT.glob("*/static/**/*") if p.is_file()]
    if not manifest.exists() or manifest.stat().st_mtime < max(ours, default=0):
        _say("collecting static files (compressed, hashed: a few minutes the first time)...")
        subprocess.run(
            [*manage, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
    subprocess.run(
        [PY, "-m", "bench.loadtest_setup", env["LOADTEST_DATA"]],
        cwd=ROOT,
        check=True,
        env={**env, "CELERY_TASK_ALWAYS_EAGER": "1", "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    return env


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not become healthy")


def summarise(prefix: Path, args) -> dict:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))  # noqa: SIM115
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv")))  # noqa: SIM115

    def figures(row: dict) -> dict:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 1),
            "p50_ms": int(float(row["50%"] or 0)),
            "p95_ms": int(float(row["95%"] or 0)),
            "p99_ms": int(float(row["99%"] or 0)),
            "max_ms": int(float(row["Max Response Time"] or 0)),
        }

    return {
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "duration_s": args.duration,
        "machine": {"cpus": os.cpu_count()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "total": figures(next(r for r in rows if r["Name"] == "Aggregated")),
        "requests": {r["Name"]: figures(r) for r in rows if r["Name"] != "Aggregated"},
        "errors": [
            {"name": f["Name"], "error": f["Error"][:300], "occurrences": int(f["Occurrences"])}
            for f in failures
        ],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=60, help="seconds at full load and ramp-up")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    args = parser.parse_args(argv)

    env = prepare(args.fresh)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(WORK / "servers.log", "ab")  # noqa: SIM115 - closed at exit
    spawn = {
        "cwd": ROOT,
        "env": env,
        "start_new_session": True,
        "stdout": log,
        "stderr": subprocess.STDOUT,
    }
    children = [
        subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.web_workers),
                "--threads",
                "4",
                "--no-control-socket",
                "--log-level",
                "warning",
                "--backlog",
                "256",
                # Longer than a user's pause (2 s): a keep-alive connection closed by the
                # server just as the client reuses it is a reset, not a server fault.
                "--keep-alive",
                "5",
            ],
            **spawn,
        ),
        subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "-l",
                "warning",
                "-Q",
                env["CELERY_TASK_DEFAULT_QUEUE"],
                "-n",
                f"loadtest-{os.getpid()}@%h",
            ],
            **spawn,
        ),
    ]
    prefix = WORK / "locust"
    try:
        _wait_healthy(url, children[0])
        _say(f"{args.users} users for {args.duration} s against {url} ...")
        subprocess.run(
            [
                PY,
                "-m",
                "locust",
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--only-summary",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.duration}s",
                "--host",
                url,
                "--csv",
                str(prefix),
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=args.duration + 120,
        )
    finally:
        for child in children:
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)

    log.close()
    report = summarise(prefix, args)
    (HERE / "loadtest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _say(
        f"{'request':<34} {'count':>7} {'fail':>5} {'rps':>6} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)"
    )
    for name, row in [*report["requests"].items(), ("TOTAL", report["total"])]:
        _say(
            f"{name:<34} {row['requests']:>7} {row['failures']:>5} {row['rps']:>6} {row['p50_ms']:>6} "
            f"{row['p95_ms']:>6} {row['p99_ms']:>6}"
        )
    _say(f"written to bench/loadtest.json (server logs: {WORK / 'servers.log'})")
    if report["total"]["failures"] or report["errors"]:
        _say(f"FAILED: {report['total']['failures']} errors: {report['errors'][:3]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
