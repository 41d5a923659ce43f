"""Books and UserBooks as typed DynamoDB items, and the keys lists sort on.

Model fields are stored by type: text as S (files by name, "" when none), JSON
fields as native lists and maps, numbers as N, dates and datetimes as ISO
strings, booleans as BOOL; a field that is ``None`` is left out.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from booklibrary import dynamodb
from booklibrary.dynamo_utils import Item, from_attribute, to_attribute
from catalog.backends.base import listing_fields
from catalog.models import Book, MetadataStatus, UserBook

# Joins a sort value to the book key that makes it unique. It sorts below every
# character a sort value may hold, so "it" still comes before "it ends".
SEP = "\x00"
# A GSI sort key holds at most 1024 bytes; the separator and key need the rest.
_SORT_VALUE_BYTES = 960
# UserBook fields kept elsewhere in the item: the key attributes, or none at all.
_USERBOOK_SKIP = {"id", "user", "book"}


def _encode(field: models.Field, value: Any) -> dict[str, Any] | None:
    """Return the typed value of one model field, or None to leave it out."""
    if isinstance(field, models.FileField):
        return {"S": getattr(value, "name", value) or ""}
    if value is None:
        return None
    if isinstance(field, models.DateTimeField):
        return {"S": value.isoformat()}
    if isinstance(field, models.DateField):
        return {"S": value.isoformat()}
    return to_attribute(value)


def _decode(field: models.Field, value: dict[str, Any]) -> Any:
    """Return the model value of one stored attribute."""
    if isinstance(field, models.JSONField):
        return from_attribute(value, plain=True)
    native = from_attribute(value)
    if isinstance(field, models.DateTimeField):
        return datetime.fromisoformat(native)
    if isinstance(field, models.DateField):
        return date.fromisoformat(native)
    if isinstance(field, models.DecimalField):
        return Decimal(native).quantize(Decimal(10) ** -field.decimal_places)
    if isinstance(field, models.IntegerField):
        return int(native)
    return native


def _fields(model: type[models.Model], skip: set[str] = frozenset()) -> list:
    return [f for f in model._meta.concrete_fields if f.name not in skip]


def _encode_model(instance: models.Model, fields: list) -> Item:
    item = {}
    for field in fields:
        typed = _encode(field, getattr(instance, field.attname))
        if typed is not None:
            item[field.attname] = typed
    return item


def _decode_fields(item: Item, fields: list) -> dict[str, Any]:
    return {f.attname: _decode(f, item[f.attname]) for f in fields if f.attname in item}


def book_to_item(book: Book) -> Item:
    """Return the Books-table item for a book (with its sweep keys while pending)."""
    item = _encode_model(book, _fields(Book))
    item.update(pending_keys(book))
    return item


def pending_keys(book: Book) -> Item:
    """Return the sparse ``pending`` GSI's keys: present only while pending.

    A whole-item PutItem writes every book, so the keys vanish as soon as a
    book leaves "pending" and the index holds the sweep's work and no more.
    """
    if book.metadata_status != MetadataStatus.PENDING:
        return {}
    return pending_keys_at(book.pk, book.metadata_check_at or book.created_at)


def pending_keys_at(key: str, check: datetime) -> Item:
    """Return the ``pending`` GSI's keys of a pending book due a check at ``check``."""
    return {
        dynamodb.PENDING_PARTITION: {"S": dynamodb.PENDING_VALUE},
        dynamodb.PENDING_SORT: {"S": f"{added_value(check)}{SEP}{key}"},
    }


def book_field_value(name: str, value: Any) -> dict[str, Any] | None:
    """Return the typed value of one Book field, or None when it is left out."""
    return _encode(Book._meta.get_field(name), value)


def book_from_item(item: Item) -> Book:
    """Return an unsaved Book (marked as stored) from its item."""
    book = Book(**_decode_fields(item, _fields(Book)))
    book._state.adding = False
    return book


def possible_book_keys(keys: list[str]) -> list[str]:
    """Return the keys that could name a book (once each), in order.

    Text longer than a book key (an ISBN-13 or a generated key), or empty,
    names no book; DynamoDB would refuse it as a key (over 1 KB, or empty)
    instead of finding nothing.
    """
    longest = Book._meta.get_field("key").max_length
    return [key for key in dict.fromkeys(keys) if 0 < len(key) <= longest]


def book_key(key: str) -> Item:
    """Return the primary key of a Books-table item."""
    return {"key": {"S": key}}


def userbook_key(user_id: int, key: str) -> Item:
    """Return the primary key of a UserBooks-table item."""
    return {"user_id": {"N": str(user_id)}, "book_key": {"S": key}}


def _bounded(value: str) -> str:
    """Cut a sort value to what fits in a GSI sort key (whole characters)."""
    return value.encode()[:_SORT_VALUE_BYTES].decode(errors="ignore")


def added_value(added_at: datetime) -> str:
    """Return ``added_at`` as a fixed-width UTC string that sorts by time."""
    return added_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def rating_value(rating: Decimal | None) -> str:
    """Return the rating in half stars, two digits; unrated is "00"."""
    return f"{int(rating * 2) if rating else 0:02d}"


def sort_keys(record: UserBook) -> dict[str, str]:
    """Return the record's GSI attributes: status partition and the sort keys."""
    key, added = record.book_id, added_value(record.added_at)
    return {
        "user_status": f"{record.user_id}#{record.status}",
        "added_sk": f"{added}{SEP}{key}",
        "title_sk": f"{_bounded(record.sort_title)}{SEP}{key}",
        "author_sk": f"{_bounded(record.sort_author)}{SEP}{key}",
        "rating_sk": f"{rating_value(record.rating)}{SEP}{added}{SEP}{key}",
        "series_sk": f"{_bounded(record.sort_series)}{SEP}{key}",
    }


def listing_attributes(
    book: Book,
    corrections: dict[str, Any] | None = None,
    provisional: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Return what a record keeps of its book: sort, search and GSI title keys."""
    fields = listing_fields(book, corrections, provisional)
    return {
        **fields,
        "title_sk": f"{_bounded(fields['sort_title'])}{SEP}{book.pk}",
        "author_sk": f"{_bounded(fields['sort_author'])}{SEP}{book.pk}",
        "series_sk": f"{_bounded(fields['sort_series'])}{SEP}{book.pk}",
    }


def userbook_to_item(record: UserBook) -> Item:
    """Return the UserBooks-table item for a record (with its GSI keys)."""
    item = _encode_model(record, _fields(UserBook, _USERBOOK_SKIP))
    item.update(userbook_key(record.user_id, record.book_id))
    item.update({name: {"S": value} for name, value in sort_keys(record).items()})
    return item


def userbook_update(
    record: UserBook, names: list[str], *, before: dict[str, str]
) -> dict[str, Any]:
    """Return UpdateItem arguments writing these fields and the GSI keys they move.

    ``before`` is ``sort_keys(record)`` as it was stored; only the keys that
    differ now (``user_status`` for a status, ``rating_sk`` for a rating) are set.
    """
    sets, removes, values = {}, [], {}
    for name in dict.fromkeys(names):
        field = UserBook._meta.get_field(name)
        typed = _encode(field, getattr(record, field.attname))
        if typed is None:
            removes.append(field.attname)
        else:
            sets[field.attname] = typed
    for name, value in sort_keys(record).items():
        if before.get(name) != value:
            sets[name] = {"S": value}
    attrs = [*sets, *removes]
    placeholders = {f"#a{i}": attr for i, attr in enumerate(attrs)}
    expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(sets)))
    if removes:
        expression += " REMOVE " + ", ".join(
            f"#a{i}" for i in range(len(sets), len(attrs))
        )
    for i, typed in enumerate(sets.values()):
        values[f":a{i}"] = typed
    return {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": placeholders,
        "ExpressionAttributeValues": values,
    }


def userbook_from_item(item: Item, book: Book, user: Any = None) -> UserBook:
    """Return an unsaved UserBook (marked as stored) of ``book`` from its item.

    Given the ``user`` it belongs to, ``record.user`` is that object; without,
    only ``user_id`` is set (reaching ``record.user`` would then query SQL).
    """
    record = UserBook(
        user_id=int(item["user_id"]["N"]),
        book=book,
        **_decode_fields(item, _fields(UserBook, _USERBOOK_SKIP)),
    )
    if user is not None and user.pk == record.user_id:
        record.user = user
    record._state.adding = False
    return record


# The user backend reads the user's item, counters included, once per request
# and keeps the counters on the user object under this name
# (``accounts.backends.dynamodb``): pages then count for free. A write that
# moves a counter forgets them.
STORED_COUNTS = "stored_status_counts"


def books_table() -> str:
    """Return the Books table's name (settings may change between calls)."""
    return dynamodb.table_name(dynamodb.BOOKS)


def userbooks_table() -> str:
    """Return the UserBooks table's name."""
    return dynamodb.table_name(dynamodb.USERBOOKS)


def users_table() -> str:
    """Return the Users table's name (it holds the per-status counters)."""
    return dynamodb.table_name(dynamodb.USERS)
