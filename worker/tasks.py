"""Jobs: thin, idempotent calls of catalog services, taking ids only.

Retries live here, not in the services: a job that meets a provider outage
enqueues itself again later with exponential backoff, and after the last
attempt records the failure so the user sees it and can try again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone

from catalog import services

logger = logging.getLogger(__name__)


@task
def fetch_metadata(
    book_keys: list[str], attempt: int = 1, skip: list[str] | None = None
) -> dict[str, str]:
    """Fetch details (and covers) for these books from the metadata providers.

    ``skip``: providers that already said they do not know these books; a
    retry asks only the others (so a Google Books rate limit costs no second
    Open Library call).
    """
    asked = {"skip": skip} if skip else {}
    try:
        return services.books_refresh_metadata(book_keys=book_keys, **asked)
    except services.MetadataUnavailable as exc:
        if attempt >= settings.METADATA_MAX_ATTEMPTS:
            logger.warning(
                "Giving up on %s after %d attempts: %s", exc.keys, attempt, exc
            )
            services.books_mark_metadata_failed(book_keys=exc.keys, reason=str(exc))
            return dict.fromkeys(exc.keys, "failed")
        delay = retry_delay(attempt, exc.retry_after)
        logger.info(
            "Retrying %s in %.0f s (attempt %d): %s", exc.keys, delay, attempt, exc
        )
        services.books_metadata_retrying(
            book_keys=exc.keys, delay=delay, outage=exc.outage
        )
        skipped = sorted({*(skip or []), *exc.answered})
        enqueue_later(
            fetch_metadata,
            delay,
            exc.keys,
            attempt + 1,
            *([skipped] if skipped else []),
        )
        return dict.fromkeys(exc.keys, "retrying")


@task
def sweep_metadata() -> dict[str, list[str]]:
    """Queue again the books whose details are pending past their check time."""
    result = services.books_sweep_metadata()
    return {"requeued": result.requeued, "failed": result.failed}


@task
def clean_removals() -> dict[str, int]:
    """Drop removals whose undo window has passed, then their own cover photos."""
    return {"dropped": services.removals_clean_expired()}


@task
def send_loan_reminders() -> dict[str, int]:
    """Mail the day's reminders of overdue and soon-due loans (once a day each)."""
    return services.loans_send_reminders().as_dict()


@task
def run_import(
    user_id: int, import_id: str, takeover: bool = False
) -> dict[str, object]:
    """Import a file's rows from where its import got to (see the service)."""
    job = services.import_run(user_id=user_id, import_id=import_id, takeover=takeover)
    if job is None:
        return {"state": "gone"}
    return {"state": job.state, "next_index": job.next_index}


@task
def sweep_imports() -> dict[str, list[str]]:
    """Queue again the imports no worker has moved for a while."""
    return {"requeued": services.imports_sweep()}


@task
def rebuild_counters(user_id: int) -> bool:
    """Count a reader's tags and locations from their records (if not kept yet)."""
    from accounts.models import User

    try:
        user = User.objects.get_by_id(user_id)
    except User.DoesNotExist:
        return False
    return services.counters_rebuild(user=user, only_missing=True)


# SQS can delay a message by 15 minutes at most; a longer Retry-After waits that.
MAX_RETRY_DELAY = 15 * 60


def retry_delay(attempt: int, retry_after: float | None) -> float:
    """Exponential backoff from the base delay, never sooner than Retry-After."""
    backoff = settings.METADATA_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return min(max(backoff, retry_after or 0.0), MAX_RETRY_DELAY)


def enqueue_later(job, delay: float, *args) -> None:
    """Enqueue ``job`` to run after ``delay`` seconds where the backend can defer."""
    if delay > 0 and job.get_backend().supports_defer:
        job = job.using(run_after=timezone.now() + timedelta(seconds=delay))
    job.enqueue(*args)


@task
def run_tag_job(user_id: int, token: str) -> dict[str, int] | None:
    """Go on with a reader's tag or location change from its last saved batch."""
    job = services.tag_job_run(user_id=user_id, token=token)
    return None if job is None else {"done": job.done, "total": job.total}


@task
def sweep_tag_jobs() -> dict[str, list[int]]:
    """Queue again the tag jobs whose heartbeat stopped."""
    return {"requeued": services.tag_jobs_sweep().requeued}
