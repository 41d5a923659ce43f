"""Metadata services: fetch a book's details from the providers and keep them."""

import logging
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from catalog import metadata
from catalog.metadata import LookupResult, ProviderError
from catalog.models import Book, MetadataStatus

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
)
COVER_SIZES = {"cover": (600, 900), "cover_thumb": (200, 300)}


class MetadataUnavailable(Exception):
    """Providers could not be reached for ``keys``; try again after ``retry_after``."""

    def __init__(self, message: str, *, keys: list[str], retry_after: float | None):
        super().__init__(message)
        self.keys = keys
        self.retry_after = retry_after


def book_request_metadata(*, book_keys: list[str]) -> None:
    """Mark books as fetching and fetch their details in the background."""
    from worker.tasks import fetch_metadata

    books = Book.objects.get_many(book_keys)
    keys = [key for key, book in books.items() if book.isbn13]
    for key in keys:
        book = books[key]
        if book.metadata_status != MetadataStatus.PENDING:
            book.metadata_status = MetadataStatus.PENDING
            book.metadata_error = ""
            Book.objects.save_book(book)
    if keys:
        transaction.on_commit(lambda: fetch_metadata.enqueue(keys))


def books_refresh_metadata(*, book_keys: list[str]) -> dict[str, str]:
    """Fetch and store details for these books; return each book's new status.

    Raises ``MetadataUnavailable`` (for the books concerned) when providers
    failed in a way worth retrying; the other books are stored regardless.
    """
    books = {
        key: book
        for key, book in Book.objects.get_many(book_keys).items()
        if book.isbn13
    }
    results = metadata.lookup([book.isbn13 for book in books.values()])
    statuses, unavailable = {}, []
    for key, book in books.items():
        result = results.get(book.isbn13) or LookupResult(metadata=None)
        if result.failed:
            unavailable.append((key, result.errors))
            continue
        _apply(book, result)
        Book.objects.save_book(book)
        statuses[key] = book.metadata_status
    if unavailable:
        errors = [e for _, errs in unavailable for e in errs]
        waits = [e.retry_after for e in errors if e.retry_after]
        raise MetadataUnavailable(
            "; ".join(dict.fromkeys(str(e) for e in errors)),
            keys=[key for key, _ in unavailable],
            retry_after=max(waits) if waits else None,
        )
    return statuses


def books_mark_metadata_failed(*, book_keys: list[str], reason: str) -> None:
    """Record that fetching details gave up, with the reason shown to the user."""
    for book in Book.objects.get_many(book_keys).values():
        if book.metadata_status == MetadataStatus.PENDING:
            book.metadata_status = MetadataStatus.FAILED
            book.metadata_error = reason[:500]
            Book.objects.save_book(book)


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
        value = getattr(found, field)
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
