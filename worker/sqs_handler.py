"""The worker Lambda's handlers: each job in an SQS batch, and the scheduled jobs.

Zappa's handler (``zappa.handler.LambdaHandler``) receives the SQS batch as one
event, finds this function in ``AWS_EVENT_MAPPING`` by the first record's
``eventSourceARN`` (``events`` in ``zappa_settings.json``), and calls it once
per batch as ``handle(event, context)``. Django is already set up by then
(``django_settings``); ``handle`` sets it up itself when called any other way.

The answer is a partial batch response: only the records listed in
``batchItemFailures`` return to the queue, so one failing or malformed message
neither blocks nor redelivers the others, and after the queue's
``maxReceiveCount`` receives it moves to the dead-letter queue. Within a batch
the background jobs (``worker.jobs.BACKGROUND_TASKS``, the details lookups)
run last, so an import that shares a batch with them does not wait for them.
Lambda reads
that answer only when the event source mapping has ``FunctionResponseTypes:
["ReportBatchItemFailures"]``, which Zappa 0.63 does not set (see the README).
"""

import json
import logging
import os
from typing import Any

import django

logger = logging.getLogger(__name__)


def handle(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    """Run every job in an SQS batch; return the records that failed."""
    # Zappa calls handle(event) and then handle() again if this raises
    # TypeError, so no TypeError may leave here: it would run the batch twice.
    try:
        _setup_django()
        records = list(event["Records"])
        in_turn = sorted(
            range(len(records)), key=lambda i: _background_last(records[i])
        )
    except (TypeError, KeyError) as exc:
        raise RuntimeError(f"Not an SQS batch event: {exc!r}") from exc
    failed = {i for i in in_turn if not run_record(records[i])}
    failures = [
        {"itemIdentifier": record.get("messageId", "")}
        for i, record in enumerate(records)
        if i in failed
    ]
    if failures:
        logger.warning(
            "%d of %d jobs failed in this batch", len(failures), len(records)
        )
    return {"batchItemFailures": failures}


def _background_last(record: Any) -> int:
    """Sort key: 1 for a background job, 0 for any other (malformed ones too)."""
    from worker import jobs

    try:
        task, _, _ = jobs.resolve(json.loads(record["body"]))
    except (KeyError, TypeError, ValueError):
        return 0
    return int(jobs.queue_for(task) == jobs.BACKGROUND_QUEUE)


def run_record(record: dict[str, Any]) -> bool:
    """Run the job in one SQS record; return whether it succeeded."""
    from worker import jobs

    message_id = record.get("messageId", "?")
    receives = record.get("attributes", {}).get("ApproximateReceiveCount", "?")
    try:
        message = json.loads(record["body"])
        jobs.resolve(message)
    except (KeyError, TypeError, ValueError) as exc:  # BadJobMessage is a ValueError
        # Failing it, rather than dropping it, sends it on to the dead-letter queue.
        logger.error(
            "Poison message %s (receive %s), bound for the dead-letter queue: %s",
            message_id,
            receives,
            exc,
        )
        return False
    try:
        jobs.run(message)
    except Exception:
        logger.exception("Job failed: message %s (receive %s)", message_id, receives)
        return False
    logger.info("Job done: message %s (receive %s)", message_id, receives)
    return True


def sweep(event: dict[str, Any], context: Any) -> dict[str, list]:
    """Run the metadata sweep and the tag jobs' sweep: a scheduled event.

    ``events`` in ``zappa_settings.json`` schedules it (an EventBridge rule
    named after this function); Zappa's handler finds the function by the
    rule name at the end of ``event["resources"][0]`` and calls it here.
    """
    from worker.tasks import sweep_metadata, sweep_tag_jobs

    _setup_django()
    result = sweep_metadata.call()
    result["tag_jobs"] = sweep_tag_jobs.call()["requeued"]
    logger.info("Sweep done: %s", result)
    return result


def clean_removals(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Drop removals past their undo window: the worker's other scheduled event."""
    from worker.tasks import clean_removals as job

    _setup_django()
    result = job.call()
    logger.info("Removals cleaned: %s", result)
    return result


def sweep_imports(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    """Queue again the imports no worker is moving: a scheduled event."""
    from worker.tasks import sweep_imports as job

    _setup_django()
    result = job.call()
    logger.info("Imports swept: %s", result)
    return result


def send_loan_reminders(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Mail the day's loan reminders: the worker's daily scheduled event."""
    from worker.tasks import send_loan_reminders as job

    _setup_django()
    result = job.call()
    logger.info("Loan reminders: %s", result)
    return result


def _setup_django() -> None:
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booklibrary.settings.aws")
        django.setup()
