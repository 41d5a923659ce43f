"""Run the jobs a DummyBackend holds, in order, as one worker would.

Used by the metadata batching tests and ``bench/import_metadata.py``: the
import (or a test) queues ``fetch_metadata`` jobs; ``QueueWorker.run`` takes
them first in, first out, and a job deferred with ``run_after`` (a retry
after a rate limit) waits for its time through ``wait``: ``time.sleep`` in the
benchmark, a clock moved forward in the tests.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.tasks import task_backends
from django.utils import timezone


@dataclass
class QueueWorker:
    """Runs the queued jobs named ``only`` (all when empty) until none is left."""

    wait: Callable[[float], None] = time.sleep
    only: tuple[str, ...] = ("fetch_metadata",)
    ran: list[tuple[str, tuple, dict]] = field(default_factory=list)
    waited: float = 0.0
    # Called after each job with its arguments (the benchmark counts there).
    after: Callable[[tuple, dict], None] | None = None

    def run(self) -> int:
        """Run every job, those the jobs queue included; return how many ran."""
        backend = task_backends["default"]
        count = 0
        while True:
            queued = [
                result
                for result in backend.results
                if not self.only or result.task.name in self.only
            ]
            backend.results.clear()
            if not queued:
                return count
            # What the jobs queue goes to the back of the line.
            for result in sorted(queued, key=_due):
                delay = (_due(result) - timezone.now()).total_seconds()
                if delay > 0:
                    self.waited += delay
                    self.wait(delay)
                self.ran.append((result.task.name, result.args, result.kwargs))
                result.task.call(*result.args, **result.kwargs)
                if self.after is not None:
                    self.after(tuple(result.args), dict(result.kwargs))
                count += 1


def _due(result):
    return result.task.run_after or result.enqueued_at
