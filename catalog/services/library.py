"""Library services: every change a person makes to their own library."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog import isbn as isbn_tools
from catalog.backends.base import EDITABLE_FIELDS, AlreadyInLibrary
from catalog.models import Book, MetadataStatus, ReadingStatus, UserBook, new_manual_key
from catalog.services.metadata import book_request_metadata

# A known edition whose details never arrived is fetched again when added.
_REFETCH = (MetadataStatus.PENDING, MetadataStatus.FAILED)

BOOK_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "publisher",
    "publish_date",
    "pages",
    "language",
    "description",
)


class InvalidStatus(ValueError):
    """Raised for a reading status that is not one of the four."""


def _check_status(status: str) -> None:
    if status not in ReadingStatus.values:
        choices = ", ".join(label for _, label in ReadingStatus.choices)
        raise InvalidStatus(f"Choose a reading status: {choices}.")


def _dates_for_status(
    status: str, started_on: date | None, finished_on: date | None
) -> dict[str, date | None]:
    """Fill in the obvious date when a status implies one and none was given."""
    today = timezone.localdate()
    if status in (ReadingStatus.READING, ReadingStatus.READ) and started_on is None:
        started_on = today if status == ReadingStatus.READING else None
    if status in (ReadingStatus.READ, ReadingStatus.DNF) and finished_on is None:
        finished_on = today
    return {"started_on": started_on, "finished_on": finished_on}


def userbook_add(
    *,
    user,
    isbn: str,
    status: str = ReadingStatus.WANT,
    owned: bool = True,
    location: str = "",
) -> UserBook:
    """Add the edition with this ISBN to the user's library.

    Raises ``InvalidISBN`` for a malformed ISBN and ``AlreadyInLibrary`` when
    the user already has it. A new edition starts with metadata "pending".
    """
    _check_status(status)
    isbn13 = isbn_tools.to_isbn13(isbn)
    candidate = Book(key=isbn13, isbn13=isbn13, metadata_status=MetadataStatus.PENDING)
    return _add(user, candidate, status=status, owned=owned, location=location)


def _add(user, candidate: Book, **shelf: Any) -> UserBook:
    """Store the edition unless known, add it, and fetch details it lacks."""
    with transaction.atomic():
        book, created = Book.objects.get_or_create_book(candidate)
        record = UserBook.objects.add(
            user, book, **shelf, **_dates_for_status(shelf["status"], None, None)
        )
        if book.isbn13 and (created or book.metadata_status in _REFETCH):
            book_request_metadata(book_keys=[book.pk])
    return record


def userbook_add_manual(
    *,
    user,
    book_fields: dict[str, Any],
    isbn: str = "",
    status: str = ReadingStatus.WANT,
    owned: bool = True,
    location: str = "",
) -> UserBook:
    """Add a book entered by hand, with or without an ISBN.

    With an ISBN the edition is shared: if it is already known, the known
    record is used; otherwise the typed fields are kept as edited by hand.
    """
    _check_status(status)
    fields = {k: v for k, v in book_fields.items() if k in BOOK_FIELDS and v}
    if isbn:
        isbn13 = isbn_tools.to_isbn13(isbn)
        candidate = Book(
            key=isbn13,
            isbn13=isbn13,
            metadata_status=MetadataStatus.PENDING,
            edited_fields=sorted(fields),
            **fields,
        )
    else:
        candidate = Book(
            key=new_manual_key(),
            metadata_status=MetadataStatus.MANUAL,
            edited_fields=sorted(fields),
            **fields,
        )
    return _add(user, candidate, status=status, owned=owned, location=location)


def userbook_update(
    *, user, book_key: str, version: int, changes: dict[str, Any]
) -> UserBook:
    """Change the user's record of a book, refusing stale edits (``StaleEdit``)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Fields that cannot be edited: {sorted(unknown)}")
    changes = dict(changes)
    current = UserBook.objects.get_for_user(user, book_key)
    if "status" in changes and changes["status"] != current.status:
        # Only a change of status implies dates; a date cleared on purpose stays so.
        changes.update(
            _dates_for_status(
                changes["status"],
                changes.get("started_on", current.started_on),
                changes.get("finished_on", current.finished_on),
            )
        )
    return UserBook.objects.update_for_user(
        user, book_key, version=version, changes=changes
    )


def userbook_remove(*, user, book_key: str) -> None:
    """Remove a book from the user's library (the shared edition stays)."""
    UserBook.objects.remove_for_user(user, book_key)


def userbook_add_many(
    *, user, isbns: list[str], status: str = ReadingStatus.WANT, owned: bool = True
) -> "AddManyResult":
    """Add several ISBNs at once; details for the new ones come in one batched job."""
    _check_status(status)
    result = AddManyResult()
    to_fetch = []
    for raw in dict.fromkeys(isbns):
        try:
            isbn13 = isbn_tools.to_isbn13(raw)
        except isbn_tools.InvalidISBN as exc:
            result.invalid.append((raw, str(exc)))
            continue
        candidate = Book(
            key=isbn13, isbn13=isbn13, metadata_status=MetadataStatus.PENDING
        )
        with transaction.atomic():
            book, created = Book.objects.get_or_create_book(candidate)
            try:
                record = UserBook.objects.add(
                    user,
                    book,
                    status=status,
                    owned=owned,
                    **_dates_for_status(status, None, None),
                )
            except AlreadyInLibrary as exc:
                result.already.append(exc.existing)
                continue
        result.added.append(record)
        if created or book.metadata_status in _REFETCH:
            to_fetch.append(book.pk)
    if to_fetch:
        book_request_metadata(book_keys=to_fetch)
    return result


@dataclass
class AddManyResult:
    """What ``userbook_add_many`` did with each ISBN."""

    added: list[UserBook] = field(default_factory=list)
    already: list[UserBook] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)


def book_lookup(*, isbn: str) -> Book:
    """Return the edition for an ISBN, fetching its details if it is new to us.

    The edition is only a shared cache entry: nothing is added to a library.
    """
    isbn13 = isbn_tools.to_isbn13(isbn)
    candidate = Book(key=isbn13, isbn13=isbn13, metadata_status=MetadataStatus.PENDING)
    with transaction.atomic():
        book, created = Book.objects.get_or_create_book(candidate)
        fetch = created or book.metadata_status == MetadataStatus.FAILED
        if fetch:
            book_request_metadata(book_keys=[book.pk])
    # A fetch that already ran (an immediate job backend) is worth showing.
    return Book.objects.get_by_key(book.pk) if fetch else book
