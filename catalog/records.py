"""A reader's record of a book as plain values: its fields, their rules, a snapshot.

The services check every value a record may take here, so both backends
refuse the same things with the same messages; the edit form carries a signed
snapshot of the values it was loaded with, so a stale edit can be merged.
"""

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from booklibrary.dynamo_utils import ItemTooLarge
from catalog.models import ReadingStatus

# The fields a reader edits, in the order the form shows them.
FIELDS = ("status", "rating", "started_on", "finished_on", "location", "owned", "notes")

# At most 4 bytes of UTF-8 a character: 200 KB, half of DynamoDB's 400 KB item,
# which leaves the rest of the record (and a reader's corrections) room to spare;
# the whole record's worst case is added up in catalog.services.limits.
NOTES_MAX_CHARS = 50_000
LOCATION_MAX_CHARS = 200
# The UTF-8 bytes of a record's text (notes, location, corrections, provisional
# values, sort and search keys) that any backend stores: DynamoDB's 400 KB item
# less 20 KB for the keys, dates and attribute names. Within the fields' limits
# a record stays under 346,600 bytes; this refuses alike on every backend.
RECORD_MAX_BYTES = 380 * 1024
MIN_YEAR = 1900

RATINGS = tuple(Decimal(half) / 2 for half in range(1, 11))

# How messages name each field.
NAMES = {
    "status": "status",
    "rating": "rating",
    "started_on": "start date",
    "finished_on": "finish date",
    "location": "location",
    "owned": "owned or wishlist",
    "notes": "notes",
    "tags": "tags",
    "readings": "readings",
}

_NEWLINES = re.compile(r"\r\n?")


def values(record: Any) -> dict[str, Any]:
    """Return the record's editable values, normalised, by field name."""
    return normalise({name: getattr(record, name) for name in FIELDS})


def rating_text(rating: Any) -> str:
    """Return a rating as the form shows it ("4.5", "5.0"), or "" for none."""
    if rating is None or rating == "":
        return ""
    try:
        number = Decimal(str(rating).strip())
        if number.is_finite() and number.adjusted() < 2 and number == _tenths(number):
            return f"{number:.1f}"
    except ArithmeticError:  # not a number, or out of Decimal's range
        pass
    return str(rating)  # not a rating: shown as typed


def normalise(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return values as they are stored, so that equal values compare equal.

    Notes keep their text but end lines with "\\n" (a browser sends "\\r\\n");
    a location is one line without surrounding spaces (as a text box sends it).
    """
    out = dict(fields)
    if isinstance(out.get("notes"), str):
        out["notes"] = _NEWLINES.sub("\n", out["notes"])
    if isinstance(out.get("location"), str):
        out["location"] = " ".join(out["location"].split())
    if "rating" in out:
        out["rating"] = _rating(out["rating"])
    return out


def _rating(value: Any) -> Any:
    """A rating as a one-place Decimal when it reads as a number; else as given."""
    if value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        return value
    try:
        number = Decimal(str(value).strip())
        tenths = _tenths(number)
    except ArithmeticError:  # not a number, or out of Decimal's range
        return value
    return tenths if tenths == number else number  # 4.96 is no rating


def _tenths(number: Decimal) -> Decimal:
    return number.quantize(Decimal("0.1"))


def clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return the values normalised, or raise ``ValidationError`` by field."""
    out = normalise(fields)
    errors: dict[str, list[str]] = {}
    for name, value in out.items():
        check = _CHECKS.get(name)
        message = check(value) if check else None
        if message:
            errors[name] = [message]
    if errors:
        raise ValidationError(errors)
    return out


def check_dates(started: date | None, finished: date | None) -> None:
    """Refuse a finish date before the start date."""
    if started and finished and finished < started:
        raise ValidationError(
            {
                "finished_on": [
                    f"The finish date is before the start date ({_day(started)})."
                ]
            }
        )


def describe(name: str, value: Any) -> str:
    """Return a field's value as a reader would say it, for messages."""
    if name == "status":
        return str(ReadingStatus(value).label) if value in ReadingStatus.values else ""
    if name == "rating":
        if value is None:
            return "no rating"
        return stars(value) if value in RATINGS else "no valid rating"
    if name in ("started_on", "finished_on"):
        return _day(value) if isinstance(value, date) else "no date"
    if name == "owned":
        return "owned" if value else "on the wishlist"
    if name == "location":
        return f"“{value}”" if value else "no location"
    return value or "(empty)"


def elsewhere_message(record: Any, names: list[str]) -> str:
    """Name the fields changed in another tab or device, with their values now."""
    if not names:
        return ""
    parts = [
        NAMES[name]
        if name == "notes"
        else f"{NAMES[name]} (now {describe(name, getattr(record, name))})"
        for name in FIELDS
        if name in names
    ]
    return f"Changed in another tab or device: {', '.join(parts)}."


def saved_message(record: Any) -> str:
    """Say it was saved, and what was kept from another tab or device."""
    elsewhere = elsewhere_message(record, getattr(record, "changed_elsewhere", []))
    return f"Saved. {elsewhere}" if elsewhere else "Saved."


def stars(rating: Decimal) -> str:
    """Return "4.5 stars", "1 star"."""
    number = f"{rating.normalize():f}"
    return f"{number} star" if number == "1" else f"{number} stars"


def _day(value: date) -> str:
    return date_format(value, "j F Y")


def _check_status(value: Any) -> str | None:
    if value in ReadingStatus.values:
        return None
    labels = ", ".join(str(label) for label in ReadingStatus.labels)
    return f"Choose a reading status: {labels}."


def _check_rating(value: Any) -> str | None:
    if value is None or value in RATINGS:
        return None
    return "A rating is from 0.5 to 5 stars, in half stars."


def _check_text(limit: int, what: str):
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"{what} must be text."
        if "\x00" in value:
            return f"{what} cannot hold null characters; remove them and save again."
        if len(value) > limit:
            return (
                f"{what} can be at most {limit:,} characters; "
                f"this is {len(value):,}. Shorten it and save again."
            )
        return None

    return check


def _check_date(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, date):
        return "Enter a valid date."
    last = timezone.localdate().year + 1
    if not MIN_YEAR <= value.year <= last:
        return f"Give a year from {MIN_YEAR} to {last}."
    return None


def _check_owned(value: Any) -> str | None:
    return None if isinstance(value, bool) else "Owned is yes or no."


def _check_tags(value: Any) -> str | None:
    from catalog.tags import clean as clean_tags

    try:
        clean_tags(value)
    except ValidationError as exc:
        return exc.message_dict["tags"][0]
    return None


_CHECKS = {
    "tags": _check_tags,
    "status": _check_status,
    "rating": _check_rating,
    "notes": _check_text(NOTES_MAX_CHARS, "Notes"),
    "location": _check_text(LOCATION_MAX_CHARS, "A location"),
    "started_on": _check_date,
    "finished_on": _check_date,
    "owned": _check_owned,
}


# The size of a whole record ------------------------------------------------------

_DETAIL_NAMES = {"publish_date": "publication date", "cover_thumb": "cover"}


def _bytes(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    return len(json.dumps(value, ensure_ascii=False, default=str).encode())


def _sizes(record: Any) -> dict[str, int]:
    """The UTF-8 bytes of a record's text, by the field a reader would shorten."""
    sizes = {
        name: _bytes(getattr(record, name) or "") for name in ("notes", "location")
    }
    # Tags are stored twice: as typed and as their keys.
    sizes["tags"] = 2 * _bytes(getattr(record, "tags", None) or [])
    sizes["readings"] = _bytes(getattr(record, "readings", None) or [])
    for own in (record.corrections or {}, record.provisional or {}):
        for name, value in own.items():
            sizes[name] = sizes.get(name, 0) + len(name) + _bytes(value)
    return sizes


def _listing_bytes(record: Any) -> int:
    from catalog.backends.base import record_listing_fields

    keys = record_listing_fields(record)
    # The sort keys are stored twice on DynamoDB: as such and in the index keys.
    return (
        sum(_bytes(v) for v in keys.values())
        + _bytes(keys["sort_title"])
        + (_bytes(keys["sort_author"]))
    )


def _too_large(record: Any) -> ValidationError:
    sizes = _sizes(record)
    largest = max(sizes, key=sizes.__getitem__)
    what = NAMES.get(largest) or _DETAIL_NAMES.get(largest, largest)
    return ValidationError(
        {largest: [f"This record is too large to store: shorten the {what}."]}
    )


def check_size(record: Any) -> None:
    """Refuse a record whose text is over ``RECORD_MAX_BYTES``, naming its largest.

    ``record`` is a UserBook as it would be stored (its book attached); the
    same record is refused on every backend, before any of them is called.
    """
    if sum(_sizes(record).values()) + _listing_bytes(record) > RECORD_MAX_BYTES:
        raise _too_large(record)


@contextmanager
def refusing_too_large(record: Any) -> Iterator[None]:
    """Turn a backend's ``ItemTooLarge`` for ``record`` into a ``ValidationError``."""
    try:
        yield
    except ItemTooLarge:
        raise _too_large(record) from None


# The snapshot an edit form carries ---------------------------------------------

_SALT = "catalog.records.loaded"


@dataclass(frozen=True)
class Snapshot:
    """What an editor loaded: the record's version and values.

    ``conflicts`` names the fields the reader was asked to settle (both sides
    changed them), when the form re-shows a stale edit.
    """

    version: int
    values: dict[str, Any]
    conflicts: tuple[str, ...] = ()


class BadSnapshot(ValueError):
    """The snapshot was tampered with, or belongs to another record."""


def sign(snapshot: Snapshot, *, user_id: int, book_key: str) -> str:
    """Return the snapshot signed for this user's record of this book."""
    payload = {
        "u": user_id,
        "b": book_key,
        "v": snapshot.version,
        "f": {name: _to_json(name, snapshot.values[name]) for name in FIELDS},
        "c": list(snapshot.conflicts),
    }
    return signing.dumps(payload, salt=_SALT, compress=True)


def unsign(token: str, *, user_id: int, book_key: str) -> Snapshot:
    """Return the snapshot in ``token`` or raise ``BadSnapshot``."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise BadSnapshot("The form was altered.") from None
    if payload.get("u") != user_id or payload.get("b") != book_key:
        raise BadSnapshot("The form belongs to another record.")
    try:
        fields = {name: _from_json(name, payload["f"][name]) for name in FIELDS}
        conflicts = tuple(c for c in payload.get("c", ()) if c in FIELDS)
        return Snapshot(int(payload["v"]), fields, conflicts)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadSnapshot("The form is incomplete.") from exc


def _to_json(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "rating":
        return rating_text(value)
    if name in ("started_on", "finished_on"):
        return value.isoformat()
    return value


def _from_json(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "rating":
        return Decimal(value)
    if name in ("started_on", "finished_on"):
        return date.fromisoformat(value)
    return value
