"""The launcher supervises (issue 15 item 5): under `python -m config.launcher
run` (what `make run` runs), a Celery worker killed with SIGKILL is
restarted while web and beat keep running, and matching completes through
the new worker; SIGTERM then stops everything, leaving no process behind.

The launcher runs on this test's own services (the test database, a
private Redis), so it starts no server of its own. The back-off and give-up
policy: tests/config/test_supervisor.py."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import psutil
import pytest

from tenders.models import MatchingState
from tests.reliability.conftest import (
    PY,
    assert_shortlisted_exactly_once,
    build_market,
    free_port,
    matching_state,
)
from tests.worker import ROOT, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


class Launcher:
    def __init__(self, stack):
        self.port = free_port()
        self.log_path = stack.tmp / "launcher.log"
        env = {
            **stack.env,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
            "CELERY_CONCURRENCY": "1",
            # `run` loads the demo data into an empty database; this one is not.
            "GUICHET_DEMO_DATA": "1",
        }
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [PY, "-m", "config.launcher", "run"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        stack.web_url = f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self, name: str) -> list[int]:
        """Every pid the launcher started ``name`` with, in order."""
        return [int(pid) for pid in re.findall(rf"\] {name} started \(pid (\d+)\)", self.log())]

    def wait_for(self, predicate, timeout: float, what: str):
        def met():
            if self.process.poll() is not None:
                raise AssertionError(f"the launcher exited with {self.process.returncode}")
            return predicate()

        try:
            return wait_until(met, timeout=timeout, interval=0.2)
        except AssertionError:
            raise AssertionError(f"{what}; the launcher's log:\n{self.log()[-4000:]}") from None

    def kill_everything(self) -> None:
        """SIGKILL to the launcher and to each child's process group."""
        for pid in [
            self.process.pid,
            *(p for n in ("web", "worker", "beat") for p in self.pids(n)),
        ]:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.process.wait(timeout=15)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_killed_worker_is_restarted_and_matching_completes_through_it(stack):
    market = build_market(offers=3)
    tender_id = market.draft.pk
    launcher = Launcher(stack)
    try:
        launcher.wait_for(
            lambda: (
                "Ctrl-C stops everything." in launcher.log()
                and launcher.log().count(" ready.") >= 1
            ),
            timeout=120,
            what="the launcher did not come up",
        )
        (web,), (worker,), (beat,) = (launcher.pids(n) for n in ("web", "worker", "beat"))

        os.kill(worker, signal.SIGKILL)
        launcher.wait_for(
            lambda: len(launcher.pids("worker")) == 2 and launcher.log().count(" ready.") >= 2,
            timeout=60,
            what="the worker was not restarted",
        )
        log = launcher.log()
        assert f"worker (pid {worker}) was killed by SIGKILL; restarting it in 1 s" in log
        assert "giving up" not in log and "stopping..." not in log
        restarted = launcher.pids("worker")[1]
        # Web and beat never stopped.
        assert launcher.pids("web") == [web] and launcher.pids("beat") == [beat]
        assert not gone(web) and not gone(beat) and not gone(restarted) and gone(worker)

        status, body = stack.http(
            "POST", f"/api/v1/tenders/{tender_id}/publish/", token=market.buyer_token
        )
        assert status == 200, body
        launcher.wait_for(
            lambda: matching_state(tender_id) == MatchingState.DONE,
            timeout=60,
            what="matching did not complete",
        )
        assert_shortlisted_exactly_once(market, tender_id)
        after_restart = launcher.log().split(f"worker started (pid {restarted})", 1)[1]
        assert "broker.tasks.tender_match" in after_restart

        # Ctrl-C / SIGTERM: everything stops, with success.
        launcher.process.send_signal(signal.SIGTERM)
        assert launcher.process.wait(timeout=40) == 0
        assert "stopping..." in launcher.log()
        wait_until(lambda: all(gone(pid) for pid in (web, restarted, beat)), timeout=10)
    finally:
        launcher.kill_everything()  # whatever a failed assertion left running
