"""Metadata services: fetch a book's details from the providers and keep them."""

import dataclasses
import itertools
import logging
from datetime import datetime, timedelta
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from catalog import metadata
from catalog.metadata import LookupResult, ProviderError
from catalog.models import Book, MetadataStatus
from catalog.services.limits import fit_fetched

logger = logging.getLogger(__name__)

# The fields providers fill; a field the user typed by hand is never overwritten.
METADATA_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "publisher",
    "publish_date",
    "pages",
    "language",
    "description",
    "subjects",
    "series",
)
COVER_SIZES = {"cover": (600, 900), "cover_thumb": (200, 300)}
SWEEP_JOB_SIZE = 25


class MetadataUnavailable(Exception):
    """Providers could not be reached for ``keys``; try again after ``retry_after``.

    ``outage`` names the providers that failed, in words a reader can take in
    ("Open Library is not answering"). ``answered`` names the providers that
    did answer for every one of these books (none knows them): the retry need
    not ask them again.
    """

    def __init__(
        self,
        message: str,
        *,
        keys: list[str],
        retry_after: float | None,
        outage: str = "",
        answered: list[str] | None = None,
    ):
        super().__init__(message)
        self.keys = keys
        self.retry_after = retry_after
        self.outage = outage
        self.answered = answered or []


def outage_sentence(labels: list[str]) -> str:
    """ "Open Library is not answering", naming every provider that failed."""
    if not labels:
        return "The book services are not answering"
    if len(labels) == 1:
        return f"{labels[0]} is not answering"
    return f"{', '.join(labels[:-1])} and {labels[-1]} are not answering"


def book_request_metadata(*, book_keys: list[str]) -> None:
    """Mark books as fetching and fetch their details in the background.

    The book record is the source of truth: it is saved as pending with the
    time its sweep check is due before anything is queued, so a job that is
    lost (a queue that refused it, a worker killed mid-job) is queued again by
    ``books_sweep_metadata``. Queuing happens after the commit and never fails
    the caller.
    """
    books = Book.objects.get_many(book_keys)
    now = timezone.now()
    # Only the bookkeeping is written: details a job stores meanwhile stay.
    keys = [
        key
        for key, book in books.items()
        if book.isbn13
        and Book.objects.mark_metadata_attempt(
            key,
            status=MetadataStatus.PENDING,
            error="",
            attempts=0,
            check_at=now + _sweep_wait(0),
            requested_at=now,
            only_if_pending=False,
        )
    ]
    if keys:
        transaction.on_commit(lambda: _enqueue_fetch(keys))


def new_book_pending(now: datetime | None = None) -> dict[str, object]:
    """The bookkeeping a new edition is stored with to have its details fetched.

    What ``book_request_metadata`` would write, given at creation instead: the
    book is pending with its sweep check time from the start, so a fetch job
    that is lost is queued again by ``books_sweep_metadata``. Queue its job
    with ``books_queue_fetch`` once it is stored.
    """
    now = now or timezone.now()
    return {
        "metadata_status": MetadataStatus.PENDING,
        "metadata_error": "",
        "metadata_attempts": 0,
        "metadata_check_at": now + _sweep_wait(0),
        "metadata_requested_at": now,
    }


def books_queue_fetch(*, book_keys: list[str]) -> None:
    """Queue the fetch of books stored pending (``new_book_pending``), after the commit.

    One job per ``SWEEP_JOB_SIZE`` books (an Open Library batch); nothing is
    written, and a queue that fails leaves the books to the sweep.
    """
    for chunk in itertools.batched(book_keys, SWEEP_JOB_SIZE):
        keys = list(chunk)
        transaction.on_commit(lambda keys=keys: _enqueue_fetch(keys))


def _enqueue_fetch(keys: list[str]) -> bool:
    """Queue the fetch job for these books; log (never raise) when the queue fails."""
    from worker.tasks import fetch_metadata

    try:
        fetch_metadata.enqueue(keys)
    except Exception:
        # The books stay pending with a check time: the sweep queues them again.
        logger.exception(
            "Could not queue fetching details for %s; the sweep will retry", keys
        )
        return False
    return True


def _sweep_wait(attempts: int) -> timedelta:
    """How long after a (re)queue the sweep looks again: doubling, capped."""
    wait = settings.METADATA_SWEEP_AFTER_SECONDS * 2**attempts
    return timedelta(seconds=min(wait, settings.METADATA_SWEEP_MAX_WAIT_SECONDS))


@dataclasses.dataclass
class SweepResult:
    """What one sweep did: the books queued again and those given up on."""

    requeued: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)


def books_sweep_metadata(*, now: datetime | None = None) -> SweepResult:
    """Queue again the books whose details are still pending past their check time.

    Each book is queued at most ``METADATA_SWEEP_MAX_ATTEMPTS`` times, waiting
    twice as long each time; then it is marked failed with the reason, and the
    reader is offered "try again".
    """
    now = now or timezone.now()
    result = SweepResult()
    due = Book.objects.pending_metadata_due(now, settings.METADATA_SWEEP_BATCH)
    for book in due:
        # Only the bookkeeping, and only while still pending: a fetch that
        # finished since the books were read keeps its details and status.
        if book.metadata_attempts >= settings.METADATA_SWEEP_MAX_ATTEMPTS:
            if Book.objects.mark_metadata_attempt(
                book.pk,
                status=MetadataStatus.FAILED,
                error=(
                    "the details were still not fetched after "
                    f"{book.metadata_attempts} tries; the book services or the "
                    "background worker may be down"
                ),
            ):
                result.failed.append(book.pk)
        elif Book.objects.mark_metadata_attempt(
            book.pk,
            status=MetadataStatus.PENDING,
            attempts=book.metadata_attempts + 1,
            check_at=now + _sweep_wait(book.metadata_attempts + 1),
        ):
            result.requeued.append(book.pk)
    # Jobs of the size one provider batch holds, each well within a job's time.
    for chunk in itertools.batched(result.requeued, SWEEP_JOB_SIZE):
        _enqueue_fetch(list(chunk))
    if result.requeued or result.failed:
        logger.warning(
            "Metadata sweep: queued %s again, gave up on %s",
            result.requeued,
            result.failed,
        )
    return result


def books_metadata_retrying(
    *, book_keys: list[str], delay: float, outage: str = ""
) -> None:
    """Note why the last try failed, and push the sweep's next check past the retry.

    ``outage`` is shown to readers while the books stay pending, so they learn
    after the first failed try that a provider is down, not minutes later.
    """
    check_at = timezone.now() + timedelta(seconds=delay) + _sweep_wait(0)
    for book in Book.objects.get_many(book_keys).values():
        later = book.metadata_check_at is None or book.metadata_check_at < check_at
        if book.is_pending and (later or book.metadata_error != outage[:500]):
            Book.objects.mark_metadata_attempt(
                book.pk,
                status=MetadataStatus.PENDING,
                error=outage[:500],
                check_at=max(check_at, book.metadata_check_at or check_at),
            )


def books_refresh_metadata(
    *, book_keys: list[str], skip: list[str] | tuple[str, ...] = ()
) -> dict[str, str]:
    """Fetch and store details for these books; return each book's new status.

    ``skip``: providers not to ask (they said they do not know these books).
    A book only a provider's spent daily quota left without details stays
    pending until the quota resets, when the sweep queues it again ("pending").
    Raises ``MetadataUnavailable`` (for the books concerned) when providers
    failed in a way worth retrying; the other books are stored regardless.
    """
    books = {
        key: book
        for key, book in Book.objects.get_many(book_keys).items()
        if book.isbn13
    }
    results = metadata.lookup([book.isbn13 for book in books.values()], skip=skip)
    statuses, unavailable = {}, []
    for key, book in books.items():
        result = results.get(book.isbn13) or LookupResult(metadata=None)
        if result.deferred:
            _defer(key, result)
            statuses[key] = MetadataStatus.PENDING
            continue
        if result.failed:
            unavailable.append((key, result))
            continue
        _apply(book, result)
        Book.objects.save_book(book)
        statuses[key] = book.metadata_status
    if unavailable:
        errors = [e for _, result in unavailable for e in result.errors]
        waits = [e.retry_after for e in errors if e.retry_after]
        labels = [label for _, result in unavailable for label in result.failing_labels]
        answered = set.intersection(*(set(r.answered) for _, r in unavailable))
        raise MetadataUnavailable(
            "; ".join(dict.fromkeys(str(e) for e in errors)),
            keys=[key for key, _ in unavailable],
            retry_after=max(waits) if waits else None,
            outage=outage_sentence(list(dict.fromkeys(labels))),
            answered=sorted(answered),
        )
    return statuses


def _defer(key: str, result: LookupResult) -> None:
    """Leave a book pending, with the reason, until the provider's quota resets.

    Its tries start again from nothing: waiting for a quota is not a failure,
    and the sweep queues it again once its check time (the reset) has come.
    """
    wait = max((e.retry_after or 0.0) for e in result.errors if e.transient)
    reason = "; ".join(dict.fromkeys(str(e) for e in result.errors if e.transient))
    Book.objects.mark_metadata_attempt(
        key,
        status=MetadataStatus.PENDING,
        error=reason[:500],
        attempts=0,
        check_at=timezone.now() + timedelta(seconds=wait) + _sweep_wait(0),
    )


def books_mark_metadata_failed(*, book_keys: list[str], reason: str) -> None:
    """Record that fetching details gave up, with the reason shown to the user."""
    for key in book_keys:
        Book.objects.mark_metadata_attempt(
            key, status=MetadataStatus.FAILED, error=reason[:500]
        )


def _apply(book: Book, result: LookupResult) -> None:
    """Merge a lookup result into the book, keeping fields edited by hand."""
    book.fetched_at = timezone.now()
    found = result.metadata
    if found is None:
        book.metadata_status = MetadataStatus.NOT_FOUND
        book.metadata_error = ""
        return
    edited = set(book.edited_fields or [])
    for field in METADATA_FIELDS:
        value = fit_fetched(field, getattr(found, field))
        if value and not (field in edited and getattr(book, field)):
            setattr(book, field, value)
    book.provider_ids = {**(book.provider_ids or {}), **found.provider_ids}
    book.metadata_source = ", ".join(result.source_labels)[:100]
    book.metadata_status = MetadataStatus.COMPLETE
    book.metadata_error = ""
    if found.cover_url and "cover" not in edited:
        _store_cover(book, found.cover_url)


def _store_cover(book: Book, url: str) -> None:
    """Download the cover into media storage at two sizes (never hot-linked)."""
    try:
        source = metadata.fetch_cover(url)
    except ProviderError as exc:
        logger.warning("No cover for %s from %s: %s", book.pk, url, exc)
        return
    if source.width < 10 or source.height < 10:
        return  # a 1x1 "no cover" placeholder
    store_cover_image(book, source)


def cover_sizes(source: Image.Image) -> dict[str, bytes]:
    """Return an RGB image as JPEG bytes at each cover size, by field name."""
    sized = {}
    for field, size in COVER_SIZES.items():
        resized = source.copy()
        resized.thumbnail(size, Image.Resampling.LANCZOS)
        buffer = BytesIO()
        resized.save(buffer, "JPEG", quality=85, optimize=True)
        sized[field] = buffer.getvalue()
    return sized


def store_cover_image(book: Book, source: Image.Image) -> None:
    """Store an RGB image as the book's cover at two sizes (the book is not saved)."""
    for field, data in cover_sizes(source).items():
        old = getattr(book, field)
        if old:
            old.delete(save=False)
        suffix = "" if field == "cover" else "-thumb"
        getattr(book, field).save(
            f"{book.pk}{suffix}.jpg", ContentFile(data), save=False
        )
