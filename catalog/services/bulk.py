"""Changes to many books of one library at once (the library page's selection)."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from catalog.backends.base import StaleEdit
from catalog.models import ReadingStatus, UserBook
from catalog.services.library import _write

# The most books one request may change: a page of the library is 24 to 96.
BULK_LIMIT = 100
# A record that changes under us is read again this many times.
_ATTEMPTS = 2


@dataclass
class BulkStatusResult:
    """What ``userbooks_set_status`` did with each key it was given."""

    status: str
    changed: list[UserBook] = field(default_factory=list)
    unchanged: list[UserBook] = field(default_factory=list)
    # Keys that are not (or no longer) in the reader's library: left alone.
    missing: list[str] = field(default_factory=list)
    # Records that kept changing elsewhere, or whose dates need their own page.
    skipped: list[UserBook] = field(default_factory=list)


def clean_book_keys(book_keys: list[str]) -> list[str]:
    """Return the keys once each, in order; refuse more than ``BULK_LIMIT``."""
    keys = list(dict.fromkeys(k.strip() for k in book_keys if k and k.strip()))
    if len(keys) > BULK_LIMIT:
        raise ValidationError(
            f"Choose at most {BULK_LIMIT} books at a time ({len(keys)} were chosen)."
        )
    return keys


def userbooks_set_status(
    *, user, book_keys: list[str], status: str
) -> BulkStatusResult:
    """Set the status of several of the reader's books, with the dates it implies.

    The same rules as a single edit apply (``userbook_update``): a new status
    fills in an obvious start or finish date. Keys not in the reader's library
    are reported and ignored. One batch read, then one conditional write per
    book that changes. Raises ``ValidationError`` for an unknown status or too
    many keys (nothing is changed then).
    """
    if status not in ReadingStatus.values:
        raise ValidationError({"status": "Choose one of the reading statuses."})
    keys = clean_book_keys(book_keys)
    result = BulkStatusResult(status=status)
    found = UserBook.objects.for_keys(user, keys) if keys else {}
    for key in keys:
        record = found.get(key)
        if record is None:
            result.missing.append(key)
            continue
        _set_status(user, record, status, result)
    return result


def _set_status(user, record: UserBook, status: str, result: BulkStatusResult):
    """Write one record's new status, reading it again if it changed meanwhile."""
    write_each(
        user,
        record,
        result,
        lambda current: None if current.status == status else {"status": status},
    )


class Skip(Exception):
    """The record cannot take the change: it is reported as skipped."""


def write_each(
    user, record: UserBook, result, changes_for, *, attempts: int = _ATTEMPTS
) -> None:
    """Write ``changes_for(record)`` to one record, as a single edit would.

    ``changes_for`` returns the fields to write, None when the record already
    has them, or raises ``Skip``. A record that changed meanwhile is read
    again and the changes worked out anew (``attempts`` times). The outcome
    goes to ``result``'s lists: changed, unchanged, missing or skipped (a
    record that kept changing, or whose stored dates fail a newer rule, is
    left for its own page).
    """
    for _ in range(attempts):
        try:
            changes = changes_for(record)
        except Skip:
            result.skipped.append(record)
            return
        if changes is None:
            result.unchanged.append(record)
            return
        try:
            saved = _write(user, record.book_id, record, changes)
        except StaleEdit as exc:
            record = exc.current
            continue
        except UserBook.DoesNotExist:
            result.missing.append(record.book_id)
            return
        except ValidationError:
            result.skipped.append(record)
            return
        result.changed.append(saved)
        return
    result.skipped.append(record)
