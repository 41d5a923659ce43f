"""A reader's tags on their records: set on one book, added or removed on many."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from catalog import tags as tagging
from catalog.backends.base import StaleEdit
from catalog.models import UserBook
from catalog.services.bulk import clean_book_keys
from catalog.services.library import _write

# A record that keeps changing under us is read again this many times.
_ATTEMPTS = 3


def _typed(value: Any) -> list[str]:
    """Return typed tags as a list: text is split at commas."""
    if isinstance(value, str):
        return tagging.split(value)
    return list(value)


def userbook_set_tags(
    *, user, book_key: str, tags: Any, loaded: Any = None
) -> UserBook:
    """Give the reader's record of a book these tags (text with commas, or a list).

    ``loaded`` holds the tags the editor loaded: the tags they added and
    removed since are applied to the record as stored now, so tags added or
    removed meanwhile elsewhere are kept as they are (tags are a set: two
    edits never conflict). Without ``loaded`` the tags replace the stored ones.
    Raises ``ValidationError`` (field "tags") for a tag too long, one holding
    a bar, or more than ``tags.MAX_TAGS`` of them; ``DoesNotExist`` when the
    book is not in the library.
    """
    wanted = tagging.clean(_typed(tags))
    current = UserBook.objects.get_for_user(user, book_key)
    base = current.tags if loaded is None else tagging.unique(_typed(loaded))
    wanted_keys = {tagging.tag_key(t) for t in wanted}
    base_keys = {tagging.tag_key(t) for t in base}
    added = [t for t in wanted if tagging.tag_key(t) not in base_keys]
    removed = [t for t in base if tagging.tag_key(t) not in wanted_keys]
    for _ in range(_ATTEMPTS):
        new = tagging.clean(tagging.apply(current.tags, add=added, remove=removed))
        if new == current.tags:
            return current
        try:
            return _write(user, book_key, current, {"tags": new})
        except StaleEdit as exc:
            current = exc.current
    raise StaleEdit(current)


@dataclass
class BulkTagResult:
    """What ``userbooks_tag`` did with each key it was given."""

    changed: list[UserBook] = field(default_factory=list)
    unchanged: list[UserBook] = field(default_factory=list)
    # Keys that are not (or no longer) in the reader's library: left alone.
    missing: list[str] = field(default_factory=list)
    # Records that would hold too many tags, or kept changing elsewhere.
    skipped: list[UserBook] = field(default_factory=list)


def userbooks_tag(
    *, user, book_keys: list[str], add: Any = (), remove: Any = ()
) -> BulkTagResult:
    """Add tags to, or remove tags from, several of the reader's books.

    ``add`` and ``remove`` are text with commas or lists. One batch read, then
    one conditional write per book that changes. Raises ``ValidationError``
    for an invalid tag, no tag at all or too many keys (nothing is changed
    then); a book that would have more than ``tags.MAX_TAGS`` is skipped.
    """
    adding, removing = tagging.clean(_typed(add)), tagging.clean(_typed(remove))
    if not adding and not removing:
        raise ValidationError({"tags": ["Type a tag, then choose the books again."]})
    keys = clean_book_keys(book_keys)
    result = BulkTagResult()
    found = UserBook.objects.for_keys(user, keys) if keys else {}
    for key in keys:
        record = found.get(key)
        if record is None:
            result.missing.append(key)
            continue
        _retag(user, record, adding, removing, result)
    return result


def _retag(user, record, adding, removing, result: BulkTagResult) -> None:
    """Write one record's tags, reading it again if it changed meanwhile."""
    for _ in range(_ATTEMPTS):
        new = tagging.apply(record.tags, add=adding, remove=removing)
        if new == record.tags:
            result.unchanged.append(record)
            return
        if len(new) > tagging.MAX_TAGS:
            result.skipped.append(record)
            return
        try:
            saved = _write(user, record.book_id, record, {"tags": new})
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
