"""The launcher's supervisor (config/supervisor.py): a crashed child is
restarted with a doubling back-off and the others keep running; a crash
loop stops everything with a failure; stopping leaves no process behind.
The same supervisor under a real `make run`-like launcher:
tests/reliability/test_supervision.py."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import deque

import psutil
import pytest

from config.supervisor import ChildSpec, RestartPolicy, Supervisor
from tests.worker import wait_until

SLEEPER = ChildSpec("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
# A child that leaves a grandchild in its process group (as Celery's pool does).
PARENT = ChildSpec(
    "parent",
    [
        sys.executable,
        "-c",
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "time.sleep(60)",
    ],
)
FAILING = ChildSpec("failing", [sys.executable, "-c", "import sys; sys.exit(3)"])
FAST = RestartPolicy(base=0.05, cap=0.2, max_crashes=3, window=30)


def delays(policy: RestartPolicy, times: list[float]) -> list[float | None]:
    crashes: deque[float] = deque()
    return [policy.delay(crashes, now) for now in times]


def test_it_doubles_the_back_off_with_each_crash_and_gives_up_past_the_limit():
    policy = RestartPolicy(base=1, cap=30, max_crashes=5, window=120)
    assert delays(policy, [0, 1, 3, 7, 15, 31]) == [1, 2, 4, 8, 16, None]


def test_it_caps_the_back_off():
    policy = RestartPolicy(base=1, cap=5, max_crashes=10, window=1000)
    assert delays(policy, [0, 1, 2, 3, 4, 5]) == [1, 2, 4, 5, 5, 5]


def test_it_forgets_crashes_older_than_the_window():
    policy = RestartPolicy(base=1, cap=30, max_crashes=2, window=60)
    # Two crashes, then a child that ran for more than the window: a fresh start.
    assert delays(policy, [0, 1, 100, 101]) == [1, 2, 1, 2]
    assert delays(policy, [0, 1, 2]) == [1, 2, None]


@pytest.fixture
def supervise():
    made: list[Supervisor] = []

    def start(*specs: ChildSpec, policy: RestartPolicy = FAST) -> tuple[Supervisor, list[str]]:
        log: list[str] = []
        supervisor = Supervisor(list(specs), policy=policy, say=log.append)
        supervisor.start()
        made.append(supervisor)
        return supervisor, log

    yield start
    for supervisor in made:
        supervisor.stop(timeout=5)


def pid_of(supervisor: Supervisor, name: str) -> int | None:
    (child,) = [c for c in supervisor.children if c.spec.name == name]
    return child.process.pid if child.process else None


def test_it_restarts_a_killed_child_and_leaves_the_others_running(supervise):
    supervisor, log = supervise(SLEEPER, PARENT)
    sleeper, parent = pid_of(supervisor, "sleeper"), pid_of(supervisor, "parent")
    grandchild = wait_until(lambda: psutil.Process(parent).children())[0].pid

    os.kill(parent, signal.SIGKILL)
    restarted = wait_until(
        lambda: supervisor.check() and pid_of(supervisor, "parent") not in (None, parent)
    )
    assert restarted
    assert f"parent (pid {parent}) was killed by SIGKILL; restarting it in 0.05 s" in log
    assert f"parent started (pid {pid_of(supervisor, 'parent')})" in log
    # The orphan of the dead child is gone with it; the other child never noticed.
    wait_until(lambda: not psutil.pid_exists(grandchild) or _zombie(grandchild), timeout=5)
    assert pid_of(supervisor, "sleeper") == sleeper and psutil.pid_exists(sleeper)


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_crash_loop_stops_everything_with_a_failure(supervise):
    supervisor, log = supervise(SLEEPER, FAILING)
    sleeper = pid_of(supervisor, "sleeper")
    started = time.monotonic()
    assert supervisor.run(should_stop=lambda: False, interval=0.02) == 1
    assert time.monotonic() - started < 10
    assert log[-1].startswith("failing (pid ") and log[-1].endswith(
        "exited with code 3: 4 crashes within 30 s, giving up"
    )
    assert sum("failing started" in line for line in log) == 4  # the first start, 3 restarts
    supervisor.stop(timeout=5)
    assert not psutil.pid_exists(sleeper) or _zombie(sleeper)


def test_it_runs_until_asked_to_stop_then_stops_every_process_group(supervise):
    supervisor, _log = supervise(SLEEPER, PARENT)
    parent = pid_of(supervisor, "parent")
    grandchild = wait_until(lambda: psutil.Process(parent).children())[0].pid
    pids = [pid_of(supervisor, "sleeper"), parent, grandchild]
    deadline = time.monotonic() + 0.5
    assert supervisor.run(should_stop=lambda: time.monotonic() > deadline) == 0
    supervisor.stop(timeout=5)
    wait_until(lambda: all(not psutil.pid_exists(pid) or _zombie(pid) for pid in pids), timeout=5)
