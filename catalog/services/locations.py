"""A reader's locations: renamed (or merged) on every record at once."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from catalog import locations
from catalog.backends.base import StaleEdit, TagJob
from catalog.models import TagChangeKind, UserBook
from catalog.services.counters import counters_rebuild_later
from catalog.services.library import _write
from catalog.services.tag_jobs import refuse_while_running, tag_job_start

# A record that keeps changing under us is read again this many times.
_ATTEMPTS = 3
# Records read per listing page while gathering a location's records, and the
# most pages read: a rename's reads are bounded whatever the library's size.
_PAGE, _MAX_PAGES = 100, 30


@dataclass
class LocationRenamed:
    """What ``location_rename`` did."""

    location: str
    changed: list[UserBook] = field(default_factory=list)
    # Records that kept changing elsewhere meanwhile (left as they were).
    skipped: list[UserBook] = field(default_factory=list)
    # Set when the location held too many books to move at once: the worker
    # moves them (``catalog.services.tag_jobs``), and nothing moved yet.
    job: TagJob | None = None


def _records_at(user, key: str) -> list[UserBook]:
    """Return the reader's records at the location ``key``, or refuse too many."""
    found: list[UserBook] = []
    cursor = None
    for _ in range(_MAX_PAGES):
        page = UserBook.objects.page_for_user(
            user, location=key, cursor=cursor, limit=_PAGE
        )
        found += page.items
        cursor = page.next_cursor
        if not cursor or len(found) > locations.RENAME_MAX_RECORDS:
            break
    if cursor or len(found) > locations.RENAME_MAX_RECORDS:
        raise ValidationError(
            {
                "old": "More than "
                f"{locations.RENAME_MAX_RECORDS} books are there: change their "
                "location from the library page in smaller groups."
            }
        )
    return found


def location_rename(*, user, old: str, new: str) -> LocationRenamed:
    """Give every record of the reader at location ``old`` the location ``new``.

    Locations are compared ignoring case; renaming to a location the reader
    uses already merges the two. More than ``locations.RENAME_MAX_RECORDS``
    records there are moved by a background job (``result.job``). Raises
    ``ValidationError`` (field "new") for an empty or too long name, (field
    "old") for no location, or while a tag job of the reader's runs. Only the
    reader's records change.
    """
    new = locations.clean(new) if isinstance(new, str) else locations.clean(None)
    key = locations.location_key(old if isinstance(old, str) else "")
    if not key:
        raise ValidationError({"old": "Choose a location to rename."})
    refuse_while_running(user, "old")
    result = LocationRenamed(location=new)
    counted = UserBook.objects.location_counts(user)
    total = sum(n for _shown, k, n in counted.locations if k == key)
    if total > locations.RENAME_MAX_RECORDS or not counted.complete:
        return _in_background(user, old, new, total, result)
    try:
        records = _records_at(user, key)
    except ValidationError:
        # More than the counts said: the worker moves them all.
        return _in_background(user, old, new, total, result)
    for record in records:
        relocate_record(user, record, key, new, result)
    return result


def _in_background(user, old: str, new: str, total: int, result) -> LocationRenamed:
    counters_rebuild_later(user=user)
    result.job = tag_job_start(
        user=user,
        kind=TagChangeKind.LOCATION,
        old=locations.tidy(old),
        new=new,
        total=total,
    )
    return result


def relocate_record(user, record, key: str, new: str, result) -> None:
    """Write one record's new location, reading it again if it changed meanwhile.

    ``result`` collects it in ``changed`` or ``skipped``; a record elsewhere
    (or there already) is left alone, so doing it twice changes nothing.
    """
    for _ in range(_ATTEMPTS):
        if locations.location_key(record.location) != key or record.location == new:
            return
        try:
            saved = _write(user, record.book_id, record, {"location": new})
        except StaleEdit as exc:
            record = exc.current
            continue
        except UserBook.DoesNotExist:
            return
        else:
            result.changed.append(saved)
            return
    result.skipped.append(record)
