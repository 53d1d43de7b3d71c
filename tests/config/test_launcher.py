"""Importing the settings starts nothing; the launcher (make run/test and
every manage.py command) starts the embedded services and hands their URLs
on."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import embedded

ROOT = Path(__file__).resolve().parents[2]

# Run before the settings are imported: any attempt to start a process or
# reach a server ends the interpreter with the culprit.
REFUSE = """
import os, socket, subprocess, sys

def refuse(*args, **kwargs):
    sys.exit(f"side effect: {args[:2]}")

class Refused:
    __init__ = refuse

subprocess.Popen = Refused
os.fork = os.posix_spawn = os.posix_spawnp = os.system = refuse
socket.socket.connect = refuse
"""


def bare_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any service URL nor mode."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith(("DJANGO_", "GUICHET_"))
    }
    return {**env, **extra}


def test_importing_the_settings_starts_nothing_and_writes_nothing(tmp_path):
    """In a copy of config/ (so that BASE_DIR is a fresh folder): no process,
    no connection, no .data/, and no database configured."""
    shutil.copytree(
        ROOT / "config", tmp_path / "config", ignore=shutil.ignore_patterns("__pycache__")
    )
    code = REFUSE + (
        "import config.settings as s\n"
        "assert 'config.embedded' not in sys.modules and 'pgserver' not in sys.modules\n"
        "print(s.DATABASES, s.REDIS_URL == '', s.DEBUG, s.TESTING)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=bare_environment(PYTHONPATH=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["{}", "True", "True", "False"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]


def test_test_mode_is_said_not_guessed():
    """pytest is imported here, yet only GUICHET_TESTING (set by make test)
    makes test mode."""
    code = "import pytest, config.settings as s; print(s.TESTING)"
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=bare_environment(**extra),
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        for extra in ({}, {"GUICHET_TESTING": "1"})
    ]
    assert outputs == ["False", "True"]


def test_a_bare_manage_py_finds_the_embedded_services_itself():
    """A fresh clone's `python manage.py shell` works with nothing set: the
    launcher behind manage.py gives it the embedded servers — here the ones
    this session already runs, so that nothing new is started."""
    socket_dir = embedded._pg_running_socket_dir()
    if socket_dir is None or os.environ["DATABASE_URL"] != embedded.postgres_url(str(socket_dir)):
        pytest.skip("this session does not run on the embedded PostgreSQL")
    code = (
        "from django.conf import settings; from django.db import connection; "
        "connection.ensure_connection(); "
        "print(settings.DATABASES['default']['HOST'], settings.DEBUG, settings.TESTING)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=bare_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Only the command's own output on stdout.
    assert result.stdout.split() == [str(socket_dir), "True", "False"]
