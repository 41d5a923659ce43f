"""The Celery application for local mode: `celery -A booklibrary worker` and `beat`.

Jobs are at-least-once (``CELERY_TASK_ACKS_LATE``, ``..._REJECT_ON_WORKER_LOST``,
prefetch 1, time limits: see the settings). Every worker consumes two queues
in turn (``CELERY_TASK_QUEUES``): the default one and "background", where the
bulk details lookups go (``worker.jobs.BACKGROUND_TASKS``), so an import never
waits behind them. Beat runs the metadata sweep
(with the tag jobs' sweep), the cleanup of expired removals, the imports'
sweep and the daily loan reminders
(``CELERY_BEAT_SCHEDULE``). The worker touches
a heartbeat file from its consumer loop, which ``scripts/run-local`` watches to
restart a wedged worker.
"""

import logging
import os
from pathlib import Path

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booklibrary.settings.local")

logger = logging.getLogger(__name__)

app = Celery("booklibrary")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="booklibrary.run_job", acks_late=True)
def run_job(message: dict) -> None:
    """Run one job message (see worker.jobs) in this worker."""
    from worker import jobs

    jobs.run(message)


@app.task(name="booklibrary.sweep", acks_late=True)
def sweep() -> None:
    """Run the metadata and tag-job sweeps here (beat sends this every interval)."""
    from worker.tasks import sweep_metadata, sweep_tag_jobs

    sweep_metadata.call()
    sweep_tag_jobs.call()


@app.task(name="booklibrary.clean_removals", acks_late=True)
def clean_removals() -> None:
    """Drop removals past their undo window (beat sends this every interval)."""
    from worker.tasks import clean_removals as job

    job.call()


@app.task(name="booklibrary.sweep_imports", acks_late=True)
def sweep_imports() -> None:
    """Queue again the imports no worker is moving (beat sends this)."""
    from worker.tasks import sweep_imports as job

    job.call()


@app.task(name="booklibrary.send_loan_reminders", acks_late=True)
def send_loan_reminders() -> None:
    """Mail the loan reminders (beat sends this once a day)."""
    from worker.tasks import send_loan_reminders as job

    job.call()


class Heartbeat(bootsteps.StartStopStep):
    """Touch ``WORKER_HEARTBEAT_FILE`` every few seconds while the consumer runs."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.timer_ref = None

    def start(self, parent) -> None:
        from django.conf import settings

        path = Path(settings.WORKER_HEARTBEAT_FILE)

        def beat() -> None:
            try:
                path.touch()
            except OSError as exc:
                logger.warning("Cannot touch the heartbeat file %s: %s", path, exc)

        beat()
        self.timer_ref = parent.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, beat
        )

    def stop(self, parent) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None


app.steps["consumer"].add(Heartbeat)
