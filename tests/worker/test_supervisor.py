"""The `make run` supervisor on small real processes: restarts, wedges, stopping."""

import os
import signal
import sys
import time

import pytest

from worker import supervisor
from worker.supervisor import Service, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
# Ignores SIGTERM and SIGQUIT, and has a child of its own: only SIGKILL works.
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, subprocess, sys, time\n"
    "for s in (signal.SIGTERM, signal.SIGQUIT): signal.signal(s, signal.SIG_IGN)\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "time.sleep(60)",
]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def _group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is in process group ``pgid``."""
    for stat in os.listdir("/proc"):
        if not stat.isdigit():
            continue
        try:
            with open(f"/proc/{stat}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _run_checks(sup: Supervisor, seconds: float) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        sup.check(time.monotonic())
        time.sleep(0.05)


@pytest.fixture
def sup(monkeypatch):
    monkeypatch.setattr(supervisor, "MIN_BACKOFF", 0.1)
    made = []

    def make(*services, stop_timeout=3.0):
        made.append(Supervisor(list(services), stop_timeout=stop_timeout))
        for service in services:
            service.start()
        return made[-1]

    yield make
    for each in made:
        for service in each.services:
            service.signal_group(signal.SIGKILL)


def test_a_service_that_exits_is_restarted_and_the_others_keep_running(sup):
    web = Service("web", SLEEPER)
    worker = Service("worker", SLEEPER, backoff=0.1)
    running = sup(web, worker)
    web_pid, worker_pid = web.process.pid, worker.process.pid
    os.kill(worker_pid, signal.SIGKILL)
    _run_checks(running, 0.8)
    assert worker.restarts == 1 and worker.process.pid != worker_pid
    assert _alive(worker.process.pid)
    assert web.process.pid == web_pid and web.restarts == 0


def test_a_service_whose_heartbeat_goes_stale_is_killed_and_restarted(sup, tmp_path):
    beat = tmp_path / "worker.heartbeat"
    worker = Service("worker", STUBBORN, heartbeat=beat, stale_after=0.5, backoff=0.1)
    running = sup(worker)
    old = worker.process.pid
    beat.touch()
    _run_checks(running, 0.3)
    assert worker.process.pid == old  # fresh heartbeat, starting grace: left alone
    _run_checks(running, 1.0)
    assert worker.restarts >= 1
    assert not _alive(old)


def test_stopping_ends_every_process_group_within_the_timeout(sup):
    stubborn = Service("worker", STUBBORN)
    polite = Service("web", SLEEPER)
    running = sup(stubborn, polite, stop_timeout=2.0)
    time.sleep(0.3)  # let the stubborn one start its child
    group = stubborn.process.pid
    started = time.monotonic()
    assert running.stop() == 0
    took = time.monotonic() - started
    assert took <= 2.1
    assert stubborn.process.poll() is not None and polite.process.poll() is not None
    # The child went with it (SIGKILL is delivered at once; under load the
    # kernel may take a moment to finish the process off).
    deadline = time.monotonic() + 1.0
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _group_alive(group)
