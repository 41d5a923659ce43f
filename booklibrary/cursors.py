"""Opaque, signed page cursors shared by every catalog backend.

A cursor carries a backend's position (a JSON-able value) to the next page.
Signing keeps users from forging positions; a cursor that fails to verify is
reported as ``InvalidCursor`` and the caller starts from the first page.
"""

from typing import Any

from django.core import signing

_SALT = "booklibrary.cursor"


class InvalidCursor(ValueError):
    """The cursor was tampered with, truncated, or made for another listing."""


def encode(position: Any, *, scope: str) -> str:
    """Sign ``position`` for use within ``scope`` (e.g. a user and sort order)."""
    return signing.dumps({"p": position, "s": scope}, salt=_SALT, compress=True)


def decode(cursor: str, *, scope: str) -> Any:
    """Return the position inside ``cursor``, or raise InvalidCursor."""
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature as exc:
        raise InvalidCursor("This page link is not valid.") from exc
    if not isinstance(data, dict) or data.get("s") != scope:
        raise InvalidCursor("This page link belongs to another listing.")
    return data.get("p")
