"""Settings read the environment and fail loudly on a bad value; production
mode passes `manage.py check --deploy` with no warning."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py outside test mode, in local work's debug mode (what the
    launcher says on the embedded database) unless ``env`` says otherwise."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUICHET_TESTING"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
    "DJANGO_ALLOWED_HOSTS": "guichet.example.gouv.fr",
}


def test_production_settings_pass_the_deploy_check_with_no_warning():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe' is not a boolean"),
        ({**PRODUCTION, "DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is required"),
        ({**PRODUCTION, "DJANGO_SECRET_KEY": "short"}, "at least 50 characters"),
        ({**PRODUCTION, "DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS is required"),
        ({"API_PAGE_SIZE": "twenty"}, "API_PAGE_SIZE='twenty' is not an integer"),
        ({"API_PAGE_SIZE": "0"}, "API_PAGE_SIZE=0 must be at least 1"),
        ({"VAT_RATE": "vingt"}, "VAT_RATE='vingt' is not a decimal number"),
        ({"VAT_RATE": "-0.2"}, "must be a non-negative number"),
        (
            {**PRODUCTION, "DATABASE_URL": "mysql://u:p@localhost/x"},
            "DATABASE_URL must point to PostgreSQL",
        ),
        ({**PRODUCTION, "REDIS_URL": "http://localhost:6379"}, "REDIS_URL must be a redis://"),
    ],
)
def test_bad_values_stop_the_process_naming_the_variable(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_demo_data_is_off_in_production_mode():
    result = run_manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEMO_DATA)", **PRODUCTION
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
