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


class PagePosition:
    """Where a page link points: a backend position, which way to read from it,
    and how many items come before the page it leads to (for "25–48 of N")."""

    __slots__ = ("at", "backwards", "offset")

    def __init__(self, at: Any, *, backwards: bool = False, offset: int = 0):
        self.at, self.backwards, self.offset = at, backwards, offset


def encode_page(
    at: Any, *, scope: str, backwards: bool = False, offset: int = 0
) -> str:
    """Sign a page link: read after ``at`` (or before it, ``backwards``)."""
    return encode({"at": at, "back": backwards, "n": max(offset, 0)}, scope=scope)


def decode_page(cursor: str, *, scope: str) -> PagePosition:
    """Return the page position inside ``cursor``, or raise InvalidCursor."""
    data = decode(cursor, scope=scope)
    if not (
        isinstance(data, dict)
        and isinstance(data.get("back"), bool)
        and type(data.get("n")) is int
        and data["n"] >= 0
    ):
        raise InvalidCursor("This page link is not valid.")
    return PagePosition(data.get("at"), backwards=data["back"], offset=data["n"])
