"""OCDS_OCID_PREFIX comes from the environment and a malformed one stops
the process (tests/config/test_settings.py has the harness)."""

import pytest

from tests.config.test_settings import run_manage


@pytest.mark.parametrize(
    "prefix", ["OCDS-ABC123", "ocds-abc12", "ocds-abc1234", "abc123", "ocds-ab_123"]
)
def test_a_malformed_ocid_prefix_stops_the_process(prefix):
    result = run_manage("check", OCDS_OCID_PREFIX=prefix)
    assert result.returncode != 0
    assert (
        f"OCDS_OCID_PREFIX={prefix!r} must be 'ocds-' and six lower-case letters or digits"
        in result.stderr
    )


def test_the_ocid_prefix_is_read_from_the_environment():
    result = run_manage(
        "shell",
        "-c",
        "from tenders import ocds; print(ocds.ocid_for('GC-2025-00001'))",
        OCDS_OCID_PREFIX="ocds-7x2k9q",
    )
    assert result.stdout.strip().splitlines()[-1] == "ocds-7x2k9q-GC-2025-00001", result.stderr
