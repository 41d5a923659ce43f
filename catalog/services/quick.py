"""One-tap changes of a record's status or rating, from a card or a book's page.

A one-tap control carries a small signed snapshot of what it showed (the
record's version, status and rating), so a change made from a page loaded
before another tab's save still merges: only the field tapped is written
(with the dates a new status implies), and a tap on a field changed elsewhere
to something else is refused with the value now stored.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError

from catalog import records
from catalog.models import ReadingStatus, UserBook
from catalog.services.library import userbook_update

QUICK_FIELDS = ("status", "rating")
_SALT = "catalog.quick.loaded"


@dataclass(frozen=True)
class QuickSnapshot:
    """What a one-tap control showed: the record's version, status and rating."""

    version: int
    values: dict[str, Any]


def quick_sign(record: UserBook) -> str:
    """Return the signed snapshot a one-tap control carries for ``record``."""
    payload = {
        "u": record.user_id,
        "b": record.book_id,
        "v": record.version,
        "s": record.status,
        "r": records.rating_text(record.rating),
    }
    return signing.dumps(payload, salt=_SALT)


def quick_unsign(token: str, *, user_id: int, book_key: str) -> QuickSnapshot:
    """Return the snapshot in ``token``, or raise ``records.BadSnapshot``."""
    try:
        payload = signing.loads(token or "", salt=_SALT)
    except signing.BadSignature:
        raise records.BadSnapshot("The control was altered.") from None
    if not isinstance(payload, dict):
        raise records.BadSnapshot("The control was altered.")
    if payload.get("u") != user_id or payload.get("b") != book_key:
        raise records.BadSnapshot("The control belongs to another record.")
    try:
        rating = payload["r"]
        values = {
            "status": payload["s"],
            "rating": Decimal(rating) if rating else None,
        }
        return QuickSnapshot(int(payload["v"]), values)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise records.BadSnapshot("The control is incomplete.") from exc


def parse_status(value: Any) -> str:
    """Return one of the four statuses, or raise ``ValidationError``."""
    if isinstance(value, str) and value in ReadingStatus.values:
        return value
    labels = ", ".join(str(label) for label in ReadingStatus.labels)
    raise ValidationError({"status": [f"Choose a reading status: {labels}."]})


def parse_rating(value: Any) -> Decimal | None:
    """Return a rating in half stars from 0.5 to 5, ``None`` to clear it.

    Raises ``ValidationError`` for anything else ("abc", "4.2", "6", "NaN").
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    refusal = ValidationError(
        {"rating": ["A rating is from 0.5 to 5 stars, in half stars."]}
    )
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise refusal from None
    if not number.is_finite() or number not in records.RATINGS:
        raise refusal
    return number.quantize(Decimal("0.1"))


def userbook_quick_set(
    *, user, book_key: str, loaded: QuickSnapshot, changes: dict[str, Any]
) -> UserBook:
    """Set the record's status and/or rating from a one-tap control.

    ``changes`` holds ``status`` and/or ``rating`` as the control sent them;
    each is checked (``ValidationError`` names what to fix). Only the fields
    that differ from what the control showed are written, merged over any
    change made elsewhere meanwhile; a field changed elsewhere to another value
    raises ``EditConflict`` (nothing saved). The returned record's
    ``changed_elsewhere`` names the fields another tab or device changed.
    """
    unknown = set(changes) - set(QUICK_FIELDS)
    if unknown:
        raise ValueError(f"Fields a one-tap control cannot set: {sorted(unknown)}")
    parsed: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, parse in (("status", parse_status), ("rating", parse_rating)):
        if name in changes:
            try:
                parsed[name] = parse(changes[name])
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    base = {name: loaded.values[name] for name in parsed}
    return userbook_update(
        user=user,
        book_key=book_key,
        version=loaded.version,
        loaded=base,
        changes=parsed,
    )
