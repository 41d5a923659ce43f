"""A reader's tags on their records: set on one book, added or removed on many."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from catalog import tags as tagging
from catalog.backends.base import StaleEdit, TagJob
from catalog.models import TagChangeKind, UserBook
from catalog.services.bulk import Skip, clean_book_keys, write_each
from catalog.services.counters import counters_rebuild_later
from catalog.services.library import _write
from catalog.services.tag_jobs import refuse_while_running, tag_job_start

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

    def changes_for(current: UserBook):
        new = tagging.apply(current.tags, add=adding, remove=removing)
        if new == current.tags:
            return None
        if len(new) > tagging.MAX_TAGS:
            raise Skip
        return {"tags": new}

    write_each(user, record, result, changes_for, attempts=_ATTEMPTS)


# A rename or delete changes at most this many records in one request; a tag
# on more records is changed by a background job (``tag_jobs``).
TAG_CHANGE_BATCH = 200
# Records read per listing page while gathering the ones that carry a tag.
_GATHER_PAGE = 100


@dataclass
class TagChangeResult:
    """What a rename or delete of one tag across the library did."""

    # The tag as it is now shown ("" after a delete).
    name: str
    changed: list[UserBook] = field(default_factory=list)
    # Records that kept changing elsewhere: left as they were.
    skipped: list[UserBook] = field(default_factory=list)
    # True when more than ``TAG_CHANGE_BATCH`` records carried the tag: the
    # rest still carry it; the same change again continues with them.
    more: bool = False
    # Set when the tag is on more books than a request changes: the worker
    # changes them (``catalog.services.tag_jobs``), and nothing changed yet.
    job: TagJob | None = None


def _one_tag(text: Any, field_name: str) -> str:
    """Return one typed tag, tidied, or raise ``ValidationError``."""
    typed = text if isinstance(text, str) else ""
    if tagging.SEPARATOR in typed:
        raise ValidationError(
            {field_name: ["A tag cannot hold a comma; type one tag and save again."]}
        )
    tag = tagging.tidy(typed)
    if not tag:
        raise ValidationError({field_name: ["Type the tag's new name."]})
    message = tagging.check_tag(tag)
    if message:
        raise ValidationError({field_name: [message]})
    return tag


def _carrying(user, tag: str, changes) -> tuple[list[UserBook], bool]:
    """Return up to ``TAG_CHANGE_BATCH`` records carrying ``tag`` that ``changes``
    would change, and whether more would be changed."""
    found: list[UserBook] = []
    cursor = None
    while True:
        page = UserBook.objects.page_for_user(
            user, tags=[tag], sort="title", cursor=cursor, limit=_GATHER_PAGE
        )
        found += [r for r in page.items if changes(r)]
        cursor = page.next_cursor
        if len(found) > TAG_CHANGE_BATCH:
            return found[:TAG_CHANGE_BATCH], True
        if cursor is None:
            return found, False


def _renamed(tags: list[str], key: str, new: str | None) -> list[str]:
    """Return ``tags`` with the tag ``key`` replaced by ``new`` in its place.

    With ``new`` None the tag is taken off; a ``new`` the record already has
    (another tag with its key) is kept where it was: the two become one.
    """
    new_key = tagging.tag_key(new) if new is not None else None
    holds_new = (
        new_key is not None
        and new_key != key
        and any(tagging.tag_key(t) == new_key for t in tags)
    )
    result = []
    for tag in tags:
        if tagging.tag_key(tag) != key:
            result.append(tag)
        elif new is not None and not holds_new:
            result.append(new)
    return result


def _change_tag(user, tag: str, new: str | None) -> TagChangeResult:
    key = tagging.tag_key(tag)
    refuse_while_running(user, "tag")
    counted = UserBook.objects.tag_counts(user)
    total = sum(n for _shown, k, n in counted.tags if k == key)
    if total > TAG_CHANGE_BATCH or not counted.complete:
        counters_rebuild_later(user=user)
        kind = TagChangeKind.DELETE if new is None else TagChangeKind.RENAME
        job = tag_job_start(user=user, kind=kind, old=tag, new=new or "", total=total)
        return TagChangeResult(name=new or "", job=job)
    records, more = _carrying(
        user, tag, lambda record: _renamed(record.tags, key, new) != record.tags
    )
    result = TagChangeResult(name=new or "", more=more)
    for record in records:
        retag_record(user, record, key, new, result)
    return result


def retag_record(
    user, record: UserBook, key: str, new: str | None, result: TagChangeResult
) -> None:
    """Rename (or, with ``new`` None, take off) the tag ``key`` on one record.

    Written through the versioned write, read again when it changed meanwhile;
    a record without the tag is left alone, so doing it twice changes nothing.
    """
    for _ in range(_ATTEMPTS):
        wanted = _renamed(record.tags, key, new)
        if wanted == record.tags:
            return
        try:
            result.changed.append(
                _write(user, record.book_id, record, {"tags": wanted})
            )
        except StaleEdit as exc:
            record = exc.current
            continue
        except UserBook.DoesNotExist:
            pass
        return
    result.skipped.append(record)


def tag_rename(*, user, tag: Any, new_name: Any) -> TagChangeResult:
    """Rename one of the reader's tags on every record that carries it.

    Renaming to a tag the reader has already merges the two: a record with
    both keeps one, where the other was. Each record keeps its other tags.
    Raises ``ValidationError`` (field "name") for a new name a typed tag could
    not have, (field "tag") for no tag given or while a tag job of the
    reader's runs. A tag on more than ``TAG_CHANGE_BATCH`` records is renamed
    by a background job (``result.job``); else ``more`` says the same rename
    should be sent again for records the counts missed.
    """
    old = tagging.tidy(tag) if isinstance(tag, str) else ""
    if not old:
        raise ValidationError({"tag": ["Choose a tag to rename."]})
    new = _one_tag(new_name, "name")
    return _change_tag(user, old, new)


def tag_delete(*, user, tag: Any) -> TagChangeResult:
    """Take one of the reader's tags off every record that carries it.

    Each record keeps its other tags. A tag on more than ``TAG_CHANGE_BATCH``
    records is taken off by a background job (``result.job``).
    """
    old = tagging.tidy(tag) if isinstance(tag, str) else ""
    if not old:
        raise ValidationError({"tag": ["Choose a tag to delete."]})
    return _change_tag(user, old, None)
