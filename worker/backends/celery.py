"""A Django Tasks backend that hands jobs to Celery (local mode).

Every job travels as the same JSON message (see ``worker.jobs``) through one
generic Celery task, ``booklibrary.run_job``; no per-task Celery registration.
Background work (``worker.jobs.BACKGROUND_TASKS``) goes to the "background"
Celery queue, the rest to Celery's default queue; the worker consumes both
(``CELERY_TASK_QUEUES``), taking from each in turn.
"""

from django.tasks.backends.base import BaseTaskBackend
from django.utils.crypto import get_random_string

from worker import jobs


class CeleryTaskBackend(BaseTaskBackend):
    """Send each enqueued job to the Celery broker for a worker to run."""

    supports_defer = True

    def enqueue(self, task, args, kwargs):
        self.validate_task(task)
        from booklibrary.celery import run_job

        options = {}
        if task.run_after is not None:
            options["eta"] = task.run_after
        queue = jobs.queue_for(task)
        if queue != "default":
            options["queue"] = queue
        job_id = get_random_string(32)
        message = jobs.encode(task, args, kwargs)
        run_job.apply_async(args=[message], task_id=job_id, **options)
        return jobs.enqueued(self, task, job_id, message)
