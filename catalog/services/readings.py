"""A record's readings: read it again, edit or delete one, set the progress.

Each change reads the record, changes its readings (``catalog.readings``) and
writes them at the version read, the status and dates following the latest
reading; a record that moved on meanwhile is read again and the change made
anew. An edit carries the reading's values as the page showed them, so a
reading changed elsewhere since is merged field by field, or refused with
what is stored now when both changed the same field.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError

from catalog import readings, records
from catalog.backends.base import StaleEdit
from catalog.merge import three_way
from catalog.models import ReadingStatus, UserBook
from catalog.services.library import _write

_ATTEMPTS = 3
_SALT = "catalog.readings.loaded"
READING_FIELDS = ("started_on", "finished_on", "outcome")


class ReadingGone(Exception):
    """The reading is no longer on the record (deleted elsewhere)."""

    def __init__(self, current: UserBook):
        super().__init__("That reading was deleted in another tab or device.")
        self.current = current


class ReadingConflict(StaleEdit):
    """The reading was changed elsewhere too; nothing was saved.

    ``conflicts`` maps each field both sides changed to (stored, submitted).
    """

    def __init__(self, current: UserBook, conflicts: dict[str, tuple[Any, Any]]):
        super().__init__(current)
        self.conflicts = conflicts


def reading_sign(record: UserBook, reading: dict[str, Any]) -> str:
    """Return the signed values of a reading, as its form showed them."""
    values = readings.editable(reading)
    payload = {
        "u": record.user_id,
        "b": record.book_id,
        "r": reading["id"],
        "f": {
            "started_on": readings.iso_date(values["started_on"]),
            "finished_on": readings.iso_date(values["finished_on"]),
            "outcome": values["outcome"],
        },
    }
    return signing.dumps(payload, salt=_SALT)


def reading_unsign(token: str, *, user_id: int, book_key: str, reading_id: int):
    """Return the values a reading's form showed, or raise ``records.BadSnapshot``."""
    try:
        payload = signing.loads(token or "", salt=_SALT)
    except signing.BadSignature:
        raise records.BadSnapshot("The form was altered.") from None
    if not isinstance(payload, dict) or (
        payload.get("u"),
        payload.get("b"),
        payload.get("r"),
    ) != (user_id, book_key, reading_id):
        raise records.BadSnapshot("The form belongs to another reading.")
    try:
        fields = payload["f"]
        return {
            "started_on": readings.as_date(fields["started_on"]),
            "finished_on": readings.as_date(fields["finished_on"]),
            "outcome": fields["outcome"],
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise records.BadSnapshot("The form is incomplete.") from exc


def _retrying(user, book_key: str, change: Callable[[UserBook], dict | None]):
    """Write ``change(current)`` at the version read; read again if it moved on."""
    for _ in range(_ATTEMPTS):
        current = UserBook.objects.get_for_user(user, book_key)
        writes = change(current)
        if writes is None:
            return current
        try:
            return _write(user, book_key, current, writes)
        except StaleEdit:
            continue
    raise StaleEdit(UserBook.objects.get_for_user(user, book_key))


def userbook_read_again(*, user, book_key: str) -> UserBook:
    """Start a new reading today, unless one is going already (then unchanged).

    Raises ``UserBook.DoesNotExist`` if the record is gone, ``ValidationError``
    when the record holds as many readings as it may.
    """

    def change(current: UserBook) -> dict | None:
        if readings.is_open(readings.latest(readings.history(current))):
            return None
        return {"status": ReadingStatus.READING}

    return _retrying(user, book_key, change)


def clean_reading(values: dict[str, Any]) -> dict[str, Any]:
    """Check a reading's typed values; ``ValidationError`` by field."""
    errors: dict[str, list[str]] = {}
    for name in ("started_on", "finished_on"):
        value = values.get(name)
        if value is not None and not isinstance(value, date):
            errors[name] = ["Enter a valid date."]
        elif error := readings.date_error(value):
            errors[name] = [error]
    if values.get("outcome") not in readings.OUTCOMES:
        errors["outcome"] = ["Choose how it ended: still reading, finished or not."]
    start, end = values.get("started_on"), values.get("finished_on")
    if not errors and start and end and end < start:
        day = records.describe("started_on", start)
        errors["finished_on"] = [f"The finish date is before the start date ({day})."]
    if errors:
        raise ValidationError(errors)
    return {name: values.get(name) for name in READING_FIELDS}


def userbook_reading_update(
    *,
    user,
    book_key: str,
    reading_id: int,
    loaded: dict[str, Any] | None,
    changes: dict[str, Any],
) -> UserBook:
    """Change one reading's dates and how it ended, merging a stale edit.

    ``loaded`` holds the reading's values as the form showed them: only what
    differs from them is written, over any change made elsewhere meanwhile;
    a field changed on both sides raises ``ReadingConflict``, a reading
    deleted elsewhere ``ReadingGone`` (nothing saved either way).
    ``ValidationError`` names a value to fix.
    """
    submitted = clean_reading(changes)

    def change(current: UserBook) -> dict | None:
        history = readings.history(current)
        stored = readings.find(history, reading_id)
        if stored is None:
            raise ReadingGone(current)
        now = readings.editable(stored)
        merge = three_way(loaded or now, now, submitted)
        if merge.conflicts:
            raise ReadingConflict(current, merge.conflicts)
        if not merge.changes:
            return None
        for name, value in merge.changes.items():
            stored[name] = readings.iso_date(value) if name != "outcome" else value
        if stored is not history[-1] and stored["outcome"] == readings.READING:
            raise ValidationError(
                {"outcome": ["Only the latest reading can still be going."]}
            )
        return {"readings": history}

    return _retrying(user, book_key, change)


def userbook_reading_delete(
    *, user, book_key: str, reading_id: int, loaded: dict[str, Any] | None
) -> UserBook:
    """Delete one reading, unless it was changed elsewhere since it was shown.

    Raises ``ReadingConflict`` (with what is stored now) when it was;
    a reading already gone leaves the record unchanged.
    """

    def change(current: UserBook) -> dict | None:
        history = readings.history(current)
        stored = readings.find(history, reading_id)
        if stored is None:
            return None
        now = readings.editable(stored)
        if loaded is not None and now != loaded:
            differ = {k: (now[k], None) for k in now if now[k] != loaded.get(k)}
            raise ReadingConflict(current, differ)
        history.remove(stored)
        return {"readings": history}

    return _retrying(user, book_key, change)


def userbook_set_progress(
    *, user, book_key: str, progress: str, reading_id: int | None = None
) -> UserBook:
    """Set how far into the current reading: "120" (a page) or "45%".

    An empty text clears it. ``reading_id`` is the reading the form showed:
    if another one is going now (or none), ``ValidationError`` says so.
    """

    def change(current: UserBook) -> dict | None:
        value = readings.parse_progress(progress, pages=readings.pages_of(current))
        history = readings.history(current)
        last = readings.latest(history)
        if not readings.is_open(last) or reading_id not in (None, last["id"]):
            raise ValidationError(
                {
                    "progress": [
                        "This book is not being read now: start a reading "
                        "(Read it again) to track your progress."
                    ]
                }
            )
        if all(last[name] == value[name] for name in value):
            return None
        last.update(value)
        return {"readings": history}

    return _retrying(user, book_key, change)


def userbooks_store_readings(*, dry_run: bool = False, batch: int = 100, progress=None):
    """Store the derived readings of every record stored before readings existed."""
    from catalog.services.search_keys import KeysRefresh

    done = KeysRefresh()
    for read, written in UserBook.objects.store_readings(dry_run=dry_run, batch=batch):
        done.read += read
        done.rewritten += written
        if progress:
            progress(done)
    return done
