"""Renaming or deleting a tag, or renaming a location, across a large library.

A change that reaches more records than a request should write is a job: its
record in the database (``TagJob``: what to change, how far it got) is the
truth, the queue only delivers it. The worker changes ``TAG_JOB_BATCH``
records at a time through the same versioned writes as the reader's own
edits (so edits made meanwhile are merged, never lost) and saves its progress
after each batch: where the next batch starts, and a heartbeat. A worker
killed midway is run again from the last batch saved; a batch done twice
changes nothing the second time (a record already renamed no longer carries
the tag). A run stops after ``JOB_SLICE_SECONDS`` and queues the rest; a job
whose heartbeat stopped for ``STALL_SECONDS`` (a lost delivery, a dead
worker) is queued again by ``tag_jobs_sweep``. A reader runs one job at a time.
"""

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from booklibrary.cursors import InvalidCursor
from catalog import locations
from catalog import tags as tagging
from catalog.backends import get_backend
from catalog.backends.base import TagJob, TagJobRunning
from catalog.models import TagChangeKind, UserBook

logger = logging.getLogger(__name__)

# Records read and changed per batch; progress is saved after each.
TAG_JOB_BATCH = 100
# A run of the job stops after this long and queues itself to go on.
JOB_SLICE_SECONDS = 60
# A running job whose heartbeat is older than this is queued again.
STALL_SECONDS = 180
# A finished job's outcome is shown on the pages this long.
SHOWN_SECONDS = 3600


def describe_tag_job(job: TagJob) -> str:
    """Say what the job does or did: "Renaming “scifi” to “sci-fi”: 1,200 of 5,000"."""
    done = min(job.done, job.total) if job.total else job.done
    if job.running:
        doing = {
            TagChangeKind.RENAME: f"Renaming “{job.old}” to “{job.new}”",
            TagChangeKind.DELETE: f"Taking “{job.old}” off your books",
            TagChangeKind.LOCATION: f"Moving the books at “{job.old}” to “{job.new}”",
        }[job.kind]
        return f"{doing}: {done:,} of {job.total:,} books" if job.total else doing
    books = "1 book" if job.changed == 1 else f"{job.changed:,} books"
    did = {
        TagChangeKind.RENAME: f"Renamed “{job.old}” to “{job.new}” on {books}.",
        TagChangeKind.DELETE: f"Took “{job.old}” off {books}.",
        TagChangeKind.LOCATION: f"Moved {books} from “{job.old}” to “{job.new}”.",
    }[job.kind]
    if job.skipped:
        did += (
            f" {job.skipped:,} changed elsewhere meanwhile and were left as they "
            "were; change them again from the library."
        )
    return did


def tag_job_shown(*, user) -> TagJob | None:
    """Return the reader's job while it runs, or shortly after it finished."""
    job = get_backend().get_tag_job(user)
    if job is None or job.running:
        return job
    finished = job.finished_at or job.heartbeat_at
    if (timezone.now() - finished).total_seconds() > SHOWN_SECONDS:
        return None
    return job


def refuse_while_running(user, field_name: str) -> None:
    """Raise ``ValidationError`` when the reader has a tag job running."""
    job = get_backend().get_tag_job(user)
    if job is not None and job.running:
        raise ValidationError({field_name: [_busy(job)]})


def _busy(job: TagJob) -> str:
    return f"{describe_tag_job(job)}. Wait until it finishes, then try again."


def tag_job_start(*, user, kind: str, old: str, new: str, total: int) -> TagJob:
    """Store a job as the reader's and queue it; refuse while another runs.

    Raises ``ValidationError`` (field "tag", or "old" for a location) when a
    job of the reader's runs already.
    """
    now = timezone.now()
    job = TagJob(
        user_id=user.pk,
        token=secrets.token_urlsafe(18),
        kind=kind,
        old=old,
        new=new,
        total=total,
        created_at=now,
        heartbeat_at=now,
    )
    try:
        get_backend().start_tag_job(user, job)
    except TagJobRunning as exc:
        field_name = "old" if kind == TagChangeKind.LOCATION else "tag"
        raise ValidationError({field_name: [_busy(exc.job)]}) from None
    transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: TagJob) -> bool:
    """Queue a run of the job; log (never raise) when the queue fails."""
    from worker.tasks import run_tag_job

    try:
        run_tag_job.enqueue(job.user_id, job.token)
    except Exception:
        # The job is stored as running: the sweep queues it once its beat stops.
        logger.exception("Could not queue tag job %s; the sweep will", job.token)
        return False
    return True


@dataclass
class _Batch:
    """What one batch changed (the shape the per-record helpers fill)."""

    changed: list[UserBook] = field(default_factory=list)
    skipped: list[UserBook] = field(default_factory=list)


def _run_batch(user, job: TagJob) -> None:
    """Change the next batch of records; move the job's cursor and counts."""
    from catalog.services.locations import relocate_record
    from catalog.services.tagging import retag_record

    if job.kind == TagChangeKind.LOCATION:
        lookup = {"location": job.old}
    else:
        lookup = {"tags": [job.old]}
    try:
        page = UserBook.objects.page_for_user(
            user,
            sort="title",
            cursor=job.cursor or None,
            limit=TAG_JOB_BATCH,
            **lookup,
        )
    except InvalidCursor:
        # Never expected; starting over only redoes what is a no-op now.
        page = UserBook.objects.page_for_user(
            user, sort="title", limit=TAG_JOB_BATCH, **lookup
        )
    batch = _Batch()
    for record in page.items:
        if job.kind == TagChangeKind.LOCATION:
            relocate_record(
                user, record, locations.location_key(job.old), job.new, batch
            )
        else:
            retag_record(user, record, tagging.tag_key(job.old), job.new or None, batch)
    job.done += len(page.items)
    job.changed += len(batch.changed)
    job.skipped += len(batch.skipped)
    job.cursor = page.next_cursor or ""


def tag_job_run(*, user_id: int, token: str, seconds: float | None = None):
    """Run the reader's job ``token`` from where it was saved last.

    Returns the job as saved last, or None when this run stopped because the
    job is not there, not this one, finished, or taken over by another run.
    """
    from accounts.models import User

    try:
        user = User.objects.get_by_id(user_id)
    except User.DoesNotExist:
        return None
    backend = get_backend()
    job = backend.get_tag_job(user)
    if job is None or job.token != token or not job.running:
        return None
    limit = JOB_SLICE_SECONDS if seconds is None else seconds
    started = time.monotonic()
    # Claim it: a run delivered twice (or re-queued) goes on in one place only.
    if not _save(job):
        return None
    while job.running:
        _run_batch(user, job)
        if not job.cursor:
            job.running, job.finished_at = False, timezone.now()
            job.done = max(job.done, job.total)
        if not _save(job):
            return None
        if job.running and time.monotonic() - started >= limit:
            _enqueue(job)
            break
    return job


def _save(job: TagJob, now=None) -> bool:
    """Save the job's progress with a new heartbeat, if no one else moved it."""
    seen = job.heartbeat_at
    now = now or timezone.now()
    job.heartbeat_at = now if now > seen else seen + timedelta(microseconds=1)
    return get_backend().save_tag_job(job, seen=seen)


@dataclass
class TagJobSweep:
    """The jobs one sweep queued again (by reader id)."""

    requeued: list[int] = field(default_factory=list)


def tag_jobs_sweep(*, now=None, limit: int = 50) -> TagJobSweep:
    """Queue again the running jobs whose heartbeat stopped (a lost delivery).

    The heartbeat is moved first, so that the next sweep leaves the job to
    the run just queued, and a run still alive elsewhere stops at its next
    save.
    """
    now = now or timezone.now()
    beat_before = now - timedelta(seconds=STALL_SECONDS)
    result = TagJobSweep()
    for job in get_backend().stalled_tag_jobs(beat_before, limit):
        if _save(job, now):
            _enqueue(job)
            result.requeued.append(job.user_id)
    return result
