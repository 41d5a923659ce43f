"""The Celery application for local mode: `celery -A booklibrary worker`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booklibrary.settings.local")

app = Celery("booklibrary")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="booklibrary.run_job", acks_late=True)
def run_job(message: dict) -> None:
    """Run one job message (see worker.jobs) in this worker."""
    from worker import jobs

    jobs.run(message)
