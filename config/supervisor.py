"""The launcher's supervisor: it runs web, worker and beat as children and
restarts one that dies, so that a crashed (or ``kill -9``-ed) worker does
not take the whole local stack down with it.

A child that exits while nobody asked it to is restarted after a back-off
that doubles with each crash of that child within ``window`` seconds (1 s,
2 s, 4 s … at most ``cap``). More than ``max_crashes`` crashes of one child
within the window is a crash loop (a broken import, a port taken): the
supervisor then stops every child and reports failure, rather than
restarting for ever and hiding it.

Each child runs in a session of its own, so Ctrl-C in the terminal reaches
the launcher alone and the children are stopped in order; the whole
process group of a dead child is killed too (a Celery pool process, a
gunicorn worker), so that no orphan keeps a task or a port."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ChildSpec:
    """A process to keep running: its name in the log and its command."""

    name: str
    argv: list[str]


@dataclass(frozen=True)
class RestartPolicy:
    base: float = 1.0
    cap: float = 30.0
    max_crashes: int = 5
    # Wider than the sum of the back-offs before giving up (1+2+4+8+16 s)
    # plus start-up times, so that a child crashing at each start is caught.
    window: float = 120.0

    def delay(self, crashes: deque[float], now: float) -> float | None:
        """Record a crash at ``now`` in ``crashes`` (the child's recent
        crash times); the seconds to wait before the restart, or None to
        give up."""
        while crashes and crashes[0] <= now - self.window:
            crashes.popleft()
        crashes.append(now)
        if len(crashes) > self.max_crashes:
            return None
        return min(self.cap, self.base * 2.0 ** (len(crashes) - 1))


@dataclass
class _Child:
    spec: ChildSpec
    process: subprocess.Popen | None = None
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    restarts: int = 0


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Supervisor:
    """Starts ``specs`` in order, restarts the ones that die (``RestartPolicy``),
    stops them all in order on ``stop()``. ``popen`` and ``clock`` are
    there for the tests."""

    def __init__(
        self,
        specs: list[ChildSpec],
        *,
        cwd: Path | str | None = None,
        env: dict[str, str] | None = None,
        policy: RestartPolicy | None = None,
        say: Callable[[str], None] = print,
        popen: Callable[..., subprocess.Popen] = subprocess.Popen,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.children = [_Child(spec) for spec in specs]
        self.cwd = cwd
        self.env = env
        self.policy = policy or RestartPolicy()
        self.say = say
        self.popen = popen
        self.clock = clock
        self.gave_up: str | None = None

    def _spawn(self, child: _Child) -> None:
        child.process = self.popen(
            child.spec.argv, cwd=self.cwd, env=self.env, start_new_session=True
        )
        child.restart_at = None
        self.say(f"{child.spec.name} started (pid {child.process.pid})")

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def check(self) -> bool:
        """One round: note the children that died, restart those whose
        back-off is over. False once a child crashed too often."""
        now = self.clock()
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                _kill_group(process.pid, signal.SIGKILL)  # its pool or workers, orphaned
                child.process = None
                delay = self.policy.delay(child.crashes, now)
                what = f"{child.spec.name} (pid {process.pid}) {_describe(process.returncode)}"
                if delay is None:
                    self.gave_up = (
                        f"{what}: {len(child.crashes)} crashes within "
                        f"{self.policy.window:.0f} s, giving up"
                    )
                    self.say(self.gave_up)
                    return False
                child.restart_at = now + delay
                self.say(f"{what}; restarting it in {delay:g} s")
            elif process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)
        return True

    def run(self, should_stop: Callable[[], bool], interval: float = 0.2) -> int:
        """Supervise until ``should_stop()`` (0) or a crash loop (1)."""
        while not should_stop():
            if not self.check():
                return 1
            time.sleep(interval)
        return 0

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to every child's process group, SIGKILL to what is left
        after ``timeout``."""
        running = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in running:
            _kill_group(process.pid, signal.SIGTERM)
        deadline = self.clock() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                _kill_group(process.pid, signal.SIGKILL)
                process.wait()
        for child in self.children:
            child.process = None
