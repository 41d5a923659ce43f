"""The job message: one JSON shape for every queue (Celery locally, SQS on AWS).

A message names the task by its dotted path and carries JSON arguments, so a
worker needs nothing but the code to run it, and running it twice is the
job's own business (every job is idempotent).
"""

import logging
from datetime import UTC, datetime
from typing import Any

from django.tasks import Task, TaskResult, TaskResultStatus
from django.tasks.signals import task_enqueued
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Bulk work nobody watches (the details lookups an import queues by the
# hundred) goes to its own queue, so that the jobs a person waits for (an
# import, a tag change) never queue behind it: a worker consumes both queues
# in turn, and the AWS worker runs the rest of a batch before these.
BACKGROUND_QUEUE = "background"
BACKGROUND_TASKS = frozenset({"worker.tasks.fetch_metadata"})


class BadJobMessage(ValueError):
    """The message is not a job this code can run (malformed or unknown task)."""


def encode(task: Task, args: tuple | list, kwargs: dict) -> dict[str, Any]:
    """Return the JSON-able message for one run of ``task``."""
    return {
        "task": task.module_path,
        "args": list(args),
        "kwargs": dict(kwargs),
        "enqueued_at": datetime.now(UTC).isoformat(),
    }


def queue_for(task: Task) -> str:
    """Return the queue a run of ``task`` goes to: "background" or its own."""
    if task.module_path in BACKGROUND_TASKS:
        return BACKGROUND_QUEUE
    return task.queue_name


def resolve(message: Any) -> tuple[Task, list, dict]:
    """Return (task, args, kwargs) for a message, or raise BadJobMessage."""
    if not isinstance(message, dict) or not isinstance(message.get("task"), str):
        raise BadJobMessage(f"Not a job message: {message!r:.200}")
    try:
        task = import_string(message["task"])
    except ImportError as exc:
        raise BadJobMessage(f"Unknown task {message['task']!r}") from exc
    if not isinstance(task, Task):
        raise BadJobMessage(f"{message['task']!r} is not a task")
    args, kwargs = message.get("args", []), message.get("kwargs", {})
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise BadJobMessage("Job arguments must be a list and a dict")
    return task, args, kwargs


def run(message: Any) -> Any:
    """Run the job a message describes, in this process."""
    task, args, kwargs = resolve(message)
    logger.info("Running %s%s", task.module_path, tuple(args))
    return task.call(*args, **kwargs)


def enqueued(backend: Any, task: Task, job_id: str, message: dict) -> TaskResult:
    """Return the READY result of a job just sent, and announce it.

    The result a queue backend (Celery, SQS) hands back from ``enqueue``: the
    job now waits for a worker, which keeps no result store to look it up in.
    """
    result = TaskResult(
        task=task,
        id=job_id,
        status=TaskResultStatus.READY,
        enqueued_at=datetime.fromisoformat(message["enqueued_at"]),
        started_at=None,
        finished_at=None,
        last_attempted_at=None,
        args=list(message["args"]),
        kwargs=dict(message["kwargs"]),
        backend=backend.alias,
        errors=[],
        worker_ids=[],
    )
    task_enqueued.send(type(backend), task_result=result)
    return result
