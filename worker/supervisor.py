"""A small process supervisor for `make run`: the web server, the worker and beat.

``python -m worker.supervisor`` (``scripts/run-local`` builds its command)
starts each service in a process group of its own and keeps it running:

* a service that exits is started again (after 1 s, doubling to 30 s while it
  keeps failing at once), and the others go on: the site keeps serving while
  the worker comes back;
* a service with a heartbeat file (the Celery worker touches one from its event
  loop, see ``booklibrary.celery``) that goes stale is taken as wedged: its
  whole process group is killed and it is started again;
* SIGINT (Ctrl-C) or SIGTERM stops everything within ``--stop-timeout``
  seconds: SIGTERM to each service (graceful), at half time SIGQUIT (Celery's
  cold shutdown cancels the running jobs and gives their messages back to the
  queue), and last SIGKILL to whatever is left of each process group. A job cut
  short is not lost either way: its book stays pending and the sweep queues it
  again.
"""

import argparse
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger("supervisor")

MIN_BACKOFF, MAX_BACKOFF = 1.0, 30.0
# A service that ran this long before exiting is restarted without delay growth.
STABLE_AFTER = 60.0


@dataclass
class Service:
    """One supervised command."""

    name: str
    argv: list[str]
    heartbeat: Path | None = None
    stale_after: float = 60.0
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float = 0.0
    backoff: float = MIN_BACKOFF
    restarts: int = field(default=0)

    def start(self) -> None:
        """Start the command in a new process group."""
        if self.heartbeat is not None:
            self.heartbeat.unlink(missing_ok=True)
        # The commands come from scripts/run-local, not from any user input.
        self.process = subprocess.Popen(self.argv, start_new_session=True)  # noqa: S603
        self.started_at = time.monotonic()
        logger.info("%s started (pid %d)", self.name, self.process.pid)

    def signal_group(self, signum: int) -> None:
        """Send ``signum`` to the service's whole process group (pool children too)."""
        if self.process is None:
            return
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def is_wedged(self, now: float) -> bool:
        """Whether its heartbeat went stale (or never came) past ``stale_after``."""
        if self.heartbeat is None or now - self.started_at < self.stale_after:
            return False
        try:
            age = time.time() - self.heartbeat.stat().st_mtime
        except FileNotFoundError:
            return True
        return age > self.stale_after


class Supervisor:
    """Keep services running until asked to stop; then stop them all, in time."""

    def __init__(self, services: list[Service], *, stop_timeout: float = 8.0):
        self.services = services
        self.stop_timeout = stop_timeout
        self.stopping = False

    def request_stop(self, signum: int, frame: object) -> None:
        """Signal handler: stop at the next turn of the loop."""
        if not self.stopping:
            logger.info("Stopping (%s)", signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        """Supervise until stopped; return the exit status."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.request_stop)
        for service in self.services:
            service.start()
        while not self.stopping:
            self.check(time.monotonic())
            time.sleep(0.2)
        return self.stop()

    def check(self, now: float) -> None:
        """Restart whatever exited or wedged (once its backoff has passed)."""
        for service in self.services:
            process = service.process
            if process is None:
                if now >= service.restart_at:
                    service.start()
                continue
            code = process.poll()
            if code is None and not service.is_wedged(now):
                continue
            if code is None:
                logger.error("%s is wedged (no heartbeat); restarting", service.name)
            else:
                logger.error("%s exited with %s; restarting", service.name, code)
            # Whatever the main process left behind (pool children) goes too.
            service.signal_group(signal.SIGKILL)
            if code is None:
                process.wait()
            if now - service.started_at > STABLE_AFTER:
                service.backoff = MIN_BACKOFF  # it had been running fine
            service.restart_at = now + service.backoff
            service.backoff = min(service.backoff * 2, MAX_BACKOFF)
            service.process = None
            service.restarts += 1

    def stop(self) -> int:
        """TERM, then QUIT, then KILL every service, within ``stop_timeout``."""
        started = time.monotonic()
        # TERM to the main process: gunicorn and Celery shut down gracefully.
        for service in self._running():
            service.process.send_signal(signal.SIGTERM)
        # Then QUIT to the main process: Celery's cold shutdown cancels the
        # running jobs and gives their messages back; gunicorn quits at once.
        self._wait_until(started + 0.5 * self.stop_timeout)
        for service in self._running():
            logger.warning("%s still running: sending SIGQUIT", service.name)
            service.process.send_signal(signal.SIGQUIT)
        # Last, KILL the whole group, pool children included.
        self._wait_until(started + self.stop_timeout - 0.5)
        for service in self._running():
            logger.warning("%s still running: sending SIGKILL", service.name)
            service.signal_group(signal.SIGKILL)
        self._wait_until(started + self.stop_timeout)
        for service in self.services:
            service.signal_group(signal.SIGKILL)  # leftovers of any group
        logger.info("Stopped in %.1f s", time.monotonic() - started)
        return 0

    def _running(self) -> list[Service]:
        return [s for s in self.services if s.process and s.process.poll() is None]

    def _wait_until(self, deadline: float) -> None:
        while self._running() and time.monotonic() < deadline:
            time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    """Parse the services and supervise them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--service",
        action="append",
        required=True,
        metavar="NAME=COMMAND",
        help="a name and the command to run, shell-quoted (repeatable)",
    )
    parser.add_argument(
        "--heartbeat",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a file the named service touches while it is healthy",
    )
    parser.add_argument("--stale-after", type=float, default=60.0)
    parser.add_argument("--stop-timeout", type=float, default=8.0)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="[%(asctime)s supervisor] %(message)s"
    )
    heartbeats = dict(item.split("=", 1) for item in args.heartbeat)
    services = []
    for item in args.service:
        name, command = item.split("=", 1)
        services.append(
            Service(
                name,
                shlex.split(command),
                heartbeat=Path(heartbeats[name]) if name in heartbeats else None,
                stale_after=args.stale_after,
            )
        )
    return Supervisor(services, stop_timeout=args.stop_timeout).run()


if __name__ == "__main__":
    sys.exit(main())
