"""Library services: every change a person makes to their own library."""

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog import isbn as isbn_tools
from catalog import readings, records
from catalog.backends.base import EDITABLE_FIELDS, AlreadyInLibrary, StaleEdit
from catalog.merge import Merge, three_way
from catalog.models import Book, MetadataStatus, ReadingStatus, UserBook, new_manual_key
from catalog.services.metadata import book_request_metadata

# A known edition whose details never arrived is fetched again when added.
_REFETCH = (MetadataStatus.PENDING, MetadataStatus.FAILED)
# How often a stale edit is merged again when the record keeps changing meanwhile.
_MERGE_ATTEMPTS = 3

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


def _first_reading(status: str) -> dict[str, Any]:
    """The dates and readings a record added with this status starts with."""
    dates = _dates_for_status(status, None, None)
    return {**dates, "readings": readings.from_status(status, **dates)}


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
    isbn13 = isbn_tools.to_isbn13(isbn)
    candidate = Book(key=isbn13, isbn13=isbn13, metadata_status=MetadataStatus.PENDING)
    return _add(user, candidate, status=status, owned=owned, location=location)


def _add(user, candidate: Book, **shelf: Any) -> UserBook:
    """Store the edition unless known, add it, and fetch details it lacks."""
    shelf = records.clean(shelf)
    proposed = UserBook(user=user, book=candidate, **shelf)
    records.check_size(proposed)
    with transaction.atomic(), records.refusing_too_large(proposed):
        book, created = Book.objects.get_or_create_book(candidate)
        record = UserBook.objects.add(
            user, book, **shelf, **_first_reading(shelf["status"])
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

    With an ISBN the edition is shared: it gets nothing the reader typed (it
    is fetched like any other), and the typed fields become the reader's own
    corrections. Without one the book is theirs alone (a generated key no one
    else can reach), so the typed fields are its details: the admin then
    lists it by its title.
    """
    from catalog.services.corrections import clean_corrections

    fields = clean_corrections(
        {k: v for k, v in book_fields.items() if k in BOOK_FIELDS}
    )
    shelf = {"status": status, "owned": owned, "location": location}
    if isbn:
        isbn13 = isbn_tools.to_isbn13(isbn)
        candidate = Book(
            key=isbn13, isbn13=isbn13, metadata_status=MetadataStatus.PENDING
        )
        return _add(user, candidate, corrections=fields, **shelf)
    candidate = Book(
        key=new_manual_key(),
        metadata_status=MetadataStatus.MANUAL,
        edited_fields=sorted(fields),
        **fields,
    )
    return _add(user, candidate, **shelf)


class EditConflict(StaleEdit):
    """A stale edit changed fields that were changed elsewhere too; nothing was saved.

    ``current`` is the record as stored now, ``merge`` tells which fields each
    side changed (``merge.conflicts``: field -> (stored, submitted)).
    """

    def __init__(self, current: UserBook, merge: Merge):
        super().__init__(current)
        self.merge = merge


def userbook_update(
    *,
    user,
    book_key: str,
    version: int,
    changes: dict[str, Any],
    loaded: dict[str, Any] | None = None,
) -> UserBook:
    """Change the user's record of a book, merging a stale edit where it can.

    ``loaded`` holds the values the editor loaded at ``version``: only the
    fields that differ from them are written, and if the record moved on, the
    fields changed elsewhere are kept (the returned record's
    ``changed_elsewhere`` names them, as ``authenticate()`` sets ``user.backend``).
    Without ``loaded``, every field that differs from the stored record after
    a change elsewhere is a conflict. Fields both sides changed differently
    raise ``EditConflict`` (nothing saved); invalid values ``ValidationError``.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Fields that cannot be edited: {sorted(unknown)}")
    changes = records.normalise(changes)
    base = records.normalise(loaded) if loaded is not None else None
    if base is not None:
        if not set(changes) <= set(base):
            raise ValueError("``loaded`` must hold every field in ``changes``.")
        changes = {k: v for k, v in changes.items() if v != base[k]}
    # Only what is written is checked: a value stored before a rule existed
    # does not block the reader's other changes.
    changes = records.clean(changes)
    for _ in range(_MERGE_ATTEMPTS):
        current = UserBook.objects.get_for_user(user, book_key)
        if current.version == version:
            writes, elsewhere = changes, []
        else:
            merge = _merge(current, changes, base)
            if merge.conflicts:
                raise EditConflict(current, merge)
            writes, elsewhere = merge.changes, merge.changed_elsewhere
        try:
            record = _write(user, book_key, current, writes)
        except StaleEdit:
            continue  # changed again while we merged: merge with that too
        record.changed_elsewhere = elsewhere
        return record
    # Still changing under us: let the reader settle each difference.
    current = UserBook.objects.get_for_user(user, book_key)
    raise EditConflict(current, _merge(current, changes, None))


def _merge(
    current: UserBook, changes: dict[str, Any], loaded: dict[str, Any] | None
) -> Merge:
    """Merge the editor's changes onto the stored record."""
    stored = records.values(current)
    if loaded is None:
        # What the editor loaded is unknown: any difference is theirs to settle.
        conflicts = {k: (stored[k], v) for k, v in changes.items() if v != stored[k]}
        return Merge(changed_elsewhere=list(conflicts), conflicts=conflicts)
    return three_way(loaded, stored, {**loaded, **changes})


def _write(user, book_key: str, current: UserBook, writes: dict[str, Any]) -> UserBook:
    """Write these fields at the record's version, the readings kept in step.

    A status or dates change the readings (``catalog.readings``); status and
    dates are then stored as the latest reading has them.
    """
    if {"started_on", "finished_on"} & set(writes):
        records.check_dates(
            writes.get("started_on", current.started_on),
            writes.get("finished_on", current.finished_on),
        )
    writes = _with_readings(current, dict(writes))
    if not writes:
        return current
    updated = _checked_size(current, writes)
    with records.refusing_too_large(updated):
        return UserBook.objects.update_for_user(
            user, book_key, version=current.version, changes=writes
        )


def _with_readings(current: UserBook, writes: dict[str, Any]) -> dict[str, Any]:
    """Turn changes of status, dates or readings into readings and what they show."""
    if not {"status", "started_on", "finished_on", "readings"} & set(writes):
        return writes
    given = writes.pop("readings", None)
    history = readings.history(current) if given is None else given
    status = writes.get("status", current.status)
    if status != current.status:
        history = readings.with_status(
            history,
            current.status,
            status,
            started_on=writes.get("started_on"),
            finished_on=writes.get("finished_on"),
        )
    dates = {
        name: writes[name]
        for name in ("started_on", "finished_on")
        if name in writes and writes[name] != getattr(current, name)
    }
    if dates:
        history = readings.with_dates(history, **dates)
    readings.check(history, pages=readings.pages_of(current))
    derived = {"readings": history, **readings.derive(history, status)}
    # What the readings leave as it is stays unwritten (a stale edit's merge
    # wrote only what the reader changed).
    return {
        **writes,
        **{k: v for k, v in derived.items() if k in writes or getattr(current, k) != v},
    }


def _checked_size(current: UserBook, writes: dict[str, Any]) -> UserBook:
    """The record as it would be stored, refused (``ValidationError``) if too large."""
    updated = copy.copy(current)
    for name, value in writes.items():
        setattr(updated, name, value)
    records.check_size(updated)
    return updated


def userbook_add_many(
    *,
    user,
    isbns: list[str],
    status: str = ReadingStatus.WANT,
    owned: bool = True,
    shown: dict[str, dict[str, Any]] | None = None,
) -> "AddManyResult":
    """Add several ISBNs at once; details for the new ones come in one batched job.

    ``shown`` maps an ISBN to what the reader's page showed of it (a search
    result's title and authors): kept on their record only, as provisional
    values until the edition's own details arrive.
    """
    from catalog.services.corrections import provisional_values

    shown = {
        isbn_tools.to_isbn13(k): v
        for k, v in (shown or {}).items()
        if isbn_tools.is_valid(k)
    }
    records.clean({"status": status, "owned": owned})
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
        provisional = provisional_values(shown.get(isbn13, {}))
        proposed = UserBook(user=user, book=candidate, provisional=provisional)
        records.check_size(proposed)
        with transaction.atomic(), records.refusing_too_large(proposed):
            book, created = Book.objects.get_or_create_book(candidate)
            try:
                record = UserBook.objects.add(
                    user,
                    book,
                    status=status,
                    owned=owned,
                    provisional=provisional,
                    **_first_reading(status),
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


def books_lookup(*, isbns: list[str]) -> dict[str, Book]:
    """Return the editions for these valid ISBN-13s, by ISBN; fetch the new ones.

    The known editions are read in one batch; only the ones new to us are
    stored, and their details are asked for in one job. Nothing is added to a
    library.
    """
    wanted = list(dict.fromkeys(isbns))
    books = Book.objects.get_many(wanted)
    to_fetch = [
        key
        for key, book in books.items()
        if book.metadata_status == MetadataStatus.FAILED
    ]
    missing = [isbn13 for isbn13 in wanted if isbn13 not in books]
    if missing or to_fetch:
        with transaction.atomic():
            for isbn13 in missing:
                candidate = Book(
                    key=isbn13, isbn13=isbn13, metadata_status=MetadataStatus.PENDING
                )
                books[isbn13], created = Book.objects.get_or_create_book(candidate)
                if created or books[isbn13].metadata_status == MetadataStatus.FAILED:
                    to_fetch.append(isbn13)
            if to_fetch:
                book_request_metadata(book_keys=to_fetch)
    if to_fetch:
        # A fetch that already ran (an immediate job backend) is worth showing.
        books.update(Book.objects.get_many(to_fetch))
    return {isbn13: books[isbn13] for isbn13 in wanted if isbn13 in books}
