"""A Django Tasks backend that sends jobs to Amazon SQS (AWS mode).

Each enqueued job is one SendMessage whose body is the JSON job message from
``worker.jobs``; the worker Lambda (``worker.sqs_handler``) runs it. Settings:

* ``OPTIONS["QUEUE_URL"]`` or else ``settings.JOBS_QUEUE_URL``: the queue, read
  at enqueue time;
* ``settings.AWS_REGION`` and ``settings.SQS_ENDPOINT_URL`` (empty: AWS itself):
  where the process-wide client connects.

``run_after`` becomes SQS ``DelaySeconds``, which SQS caps at 15 minutes: a job
asked to run later than that runs after 15 minutes (with a warning in the log).
Jobs are idempotent and retries wait at most that long (``worker.tasks``).
"""

import json
import logging
import math
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.tasks import Task, TaskResult
from django.tasks.backends.base import BaseTaskBackend

from worker import jobs

logger = logging.getLogger(__name__)

# SQS refuses a DelaySeconds above 900 (15 minutes).
MAX_DELAY_SECONDS = 15 * 60
# The message attribute that names the task, for filtering logs and metrics.
TASK_ATTRIBUTE = "task"
KNOWN_OPTIONS = {"QUEUE_URL"}


@cache
def client():
    """Return the process-wide SQS client."""
    return boto3.client(
        "sqs",
        region_name=settings.AWS_REGION,
        endpoint_url=getattr(settings, "SQS_ENDPOINT_URL", "") or None,
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )


@receiver(setting_changed)
def _reset_client(*, setting: str, **kwargs: Any) -> None:
    if setting in {"AWS_REGION", "SQS_ENDPOINT_URL"}:
        client.cache_clear()


def delay_seconds(run_after: datetime | None, now: datetime | None = None) -> int:
    """Return the SQS DelaySeconds for ``run_after``: 0 to 900, rounded up."""
    if run_after is None:
        return 0
    wait = (run_after - (now or datetime.now(UTC))).total_seconds()
    if wait > MAX_DELAY_SECONDS:
        logger.warning(
            "SQS delays a message by %d s at most; running %.0f s early",
            MAX_DELAY_SECONDS,
            wait - MAX_DELAY_SECONDS,
        )
    return min(max(math.ceil(wait), 0), MAX_DELAY_SECONDS)


class SqsTaskBackend(BaseTaskBackend):
    """Send each enqueued job to an SQS queue for the worker function to run."""

    supports_defer = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        unknown = set(self.options) - KNOWN_OPTIONS
        if unknown:
            raise ImproperlyConfigured(
                f"Unknown OPTIONS for the SQS task backend {alias!r}: "
                f"{', '.join(sorted(unknown))} (known: {', '.join(KNOWN_OPTIONS)})"
            )

    def queue_url(self) -> str:
        """Return the queue URL from OPTIONS or settings, or say what is missing."""
        url = self.options.get("QUEUE_URL") or getattr(settings, "JOBS_QUEUE_URL", "")
        if not url:
            raise ImproperlyConfigured(
                f"The SQS task backend {self.alias!r} needs a queue: set "
                "JOBS_QUEUE_URL (the infra stack's queue URL output) or "
                'TASKS[...]["OPTIONS"]["QUEUE_URL"].'
            )
        return url

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        """Send one SQS message for this run of ``task``; return it as READY."""
        self.validate_task(task)
        message = jobs.encode(task, args, kwargs)
        response = client().send_message(
            QueueUrl=self.queue_url(),
            MessageBody=json.dumps(message),
            DelaySeconds=delay_seconds(task.run_after),
            MessageAttributes={
                TASK_ATTRIBUTE: {"DataType": "String", "StringValue": task.module_path}
            },
        )
        return jobs.enqueued(self, task, response["MessageId"], message)
