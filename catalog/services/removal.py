"""Removing books from a library, undoable for a while after.

A removal holds the records it removed, exactly as stored, for
``REMOVAL_UNDO_SECONDS``; undoing puts them back (same added date, notes,
corrections, counts). Once the time has passed, the cleanup drops what is
held and only then deletes the reader's own cover photos of those books.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.backends import get_backend
from catalog.backends.base import HeldRemoval
from catalog.models import Book, MetadataStatus, UserBook

# The most books one removal takes (a page of the library is fewer).
MAX_REMOVE = 100
# The cleanup waits this much past the undo window, so an undo that began in
# time is never overtaken by it.
CLEANUP_GRACE = timedelta(seconds=60)
_CLEANUP_BATCH = 50
_NOTHING = "There is nothing to undo: it was undone already, or it is too old."


def undo_window() -> timedelta:
    """How long a removal can be undone."""
    return timedelta(seconds=settings.REMOVAL_UNDO_SECONDS)


def _quoted(title: str) -> str:
    return f"“{title}”"


@dataclass
class Removal:
    """The receipt of a removal: what went, and the token that undoes it.

    ``ignored`` counts the keys that named no book in the library.
    """

    token: str = ""
    titles: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    ignored: int = 0

    @property
    def count(self) -> int:
        return len(self.titles)

    @property
    def message(self) -> str:
        """What a reader is told: "Removed “Dune”." or "Removed 3 books."."""
        if self.count == 1:
            return f"Removed {_quoted(self.titles[0])}."
        return f"Removed {self.count} books."


class UndoUnavailable(Exception):
    """There is nothing to undo with this token; nothing was changed."""


class UndoUnknown(UndoUnavailable):
    """The token names no removal of this reader's (any more)."""


class UndoExpired(UndoUnavailable):
    """The removal is the reader's, but its time to undo has passed."""


class Restored(list):
    """The records an undo put back; ``kept`` are those the reader re-added."""

    def __init__(self, restored: list[UserBook], kept: list[UserBook]):
        super().__init__(restored)
        self.kept = kept

    @property
    def message(self) -> str:
        """What a reader is told: what came back, and what was left as it is."""
        parts = []
        if len(self) == 1:
            parts.append(f"Restored {_quoted(self[0].shown.display_title)}.")
        elif self:
            parts.append(f"Restored {len(self)} books.")
        for record in self.kept:
            parts.append(
                f"{_quoted(record.shown.display_title)} was added again meanwhile; "
                "that record was kept as it is."
            )
        return " ".join(parts)


def userbooks_remove(*, user, book_keys: list[str]) -> Removal:
    """Remove up to ``MAX_REMOVE`` books from the user's library, undoably.

    Keys not in their library are ignored (and counted). Raises
    ``ValidationError`` when given too many keys; nothing is removed then.
    """
    keys = list(dict.fromkeys(k for k in book_keys if k))
    if len(keys) > MAX_REMOVE:
        raise ValidationError(
            f"Remove at most {MAX_REMOVE} books at a time; you chose {len(keys)}. "
            "Nothing was removed."
        )
    found = UserBook.objects.for_keys(user, keys)
    records = [found[k] for k in keys if k in found]
    receipt = Removal(ignored=len(keys) - len(records))
    if not records:
        return receipt
    now = timezone.now()
    held = HeldRemoval(
        user_id=user.pk,
        token=secrets.token_urlsafe(24),
        created_at=now,
        held_until=now + undo_window(),
    )
    removed = get_backend().hold_and_remove(user, held, records)
    receipt.ignored = len(keys) - len(removed)
    if removed:
        receipt.token, receipt.titles, receipt.keys = held.token, held.titles, held.keys
    return receipt


def userbook_remove(*, user, book_key: str) -> Removal:
    """Remove one book from the user's library, undoably (the edition stays).

    Raises ``UserBook.DoesNotExist`` when it is not in their library.
    """
    receipt = userbooks_remove(user=user, book_keys=[book_key])
    if not receipt.count:
        raise UserBook.DoesNotExist(f"No book {book_key!r} in this library.")
    return receipt


def removal_undo(*, user, token: str) -> Restored:
    """Put back the records a removal took, exactly as they were.

    A book the reader added again meanwhile keeps its new record (listed in
    ``kept``). Raises ``UndoUnknown`` for a token that is unknown, someone
    else's or already used, ``UndoExpired`` past its time; nothing changes then.
    """
    backend = get_backend()
    try:
        held = backend.get_removal(user, str(token)[:100])
    except LookupError:
        raise UndoUnknown(_NOTHING) from None
    if held.held_until <= timezone.now():
        minutes = settings.REMOVAL_UNDO_SECONDS // 60
        raise UndoExpired(
            f"Too late to undo: a removal can be undone for {minutes} minutes."
        )
    _ensure_books(held)
    done = backend.restore_removal(user, held)
    _delete_files(done.unused_files)
    if not (done.restored or done.kept):
        raise UndoUnknown(_NOTHING)  # another request undid it a moment ago
    return Restored(done.restored, done.kept)


def _ensure_books(held: HeldRemoval) -> None:
    """Store again any of the removal's books deleted meanwhile (by an admin).

    An edition with an ISBN fetches its details again; a book entered by hand
    comes back with the title its reader saw.
    """
    from catalog.services.metadata import book_request_metadata

    books = Book.objects.get_many(held.keys)
    to_fetch = []
    for key, title in zip(held.keys, held.titles, strict=False):
        if key in books:
            continue
        if key.isdigit():
            candidate = Book(
                key=key, isbn13=key, metadata_status=MetadataStatus.PENDING
            )
        else:
            candidate = Book(
                key=key, title=title, metadata_status=MetadataStatus.MANUAL
            )
        book, created = Book.objects.get_or_create_book(candidate)
        if created and book.isbn13:
            to_fetch.append(book.pk)
    if to_fetch:
        book_request_metadata(book_keys=to_fetch)


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def removals_clean_expired(*, now: datetime | None = None) -> int:
    """Drop removals past their undo window, then their records' own cover files.

    Idempotent: the files go only after what held them, so a run cut short
    leaves the rest for the next. Returns how many removals were dropped.
    """
    due_by = (now or timezone.now()) - CLEANUP_GRACE
    backend = get_backend()
    dropped = 0
    while True:
        batch = backend.expired_removals(due_by, _CLEANUP_BATCH)
        for held in batch:
            backend.drop_removal(held)
            _delete_files(held.files)
        dropped += len(batch)
        if len(batch) < _CLEANUP_BATCH:
            return dropped
