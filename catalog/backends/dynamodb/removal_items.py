"""The items of a removal held for undo, in the Users table (see ``removals``)."""

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from booklibrary import dynamodb
from booklibrary.dynamo_utils import Item, from_attribute, item_size, to_attribute
from catalog.backends.base import HeldRemoval
from catalog.backends.dynamodb import items as codec
from catalog.models import UserBook

# The GSI attributes of a record, recomputed when it comes back.
_INDEX_ATTRIBUTES = ("user_status", "added_sk", "title_sk", "author_sk", "rating_sk")
# Held items outlive the undo window by this long unless the cleanup runs first.
_TTL_GRACE_SECONDS = 24 * 3600
# A transaction takes 100 actions and 4 MB: records move together in groups
# within both (two actions each, and one counter update).
_GROUP_RECORDS = 40
_GROUP_BYTES = 3_500_000


def header_pk(user_id: int, token: str) -> str:
    """Return the key of a removal's header: the user's id makes it theirs."""
    return f"REMOVAL#{user_id}#{token}"


def key(pk: str) -> dict[str, Any]:
    """Return the primary key of a Users-table item."""
    return {"pk": {"S": pk}}


def expires(removal: HeldRemoval) -> dict[str, str]:
    """Return the TTL attribute of a removal's items (epoch seconds)."""
    return {"N": str(int(removal.held_until.timestamp()) + _TTL_GRACE_SECONDS)}


def header_item(removal: HeldRemoval) -> dict[str, Any]:
    """Return the header item, with its keys in the ``removals-due`` index."""
    pk = header_pk(removal.user_id, removal.token)
    due = f"{codec.added_value(removal.held_until)}{codec.SEP}{pk}"
    return {
        "pk": {"S": pk},
        "user_id": {"N": str(removal.user_id)},
        "token": {"S": removal.token},
        "created_at": {"S": removal.created_at.isoformat()},
        "held_until": {"S": removal.held_until.isoformat()},
        "keys": to_attribute(removal.keys),
        "titles": to_attribute(removal.titles),
        "expires": expires(removal),
        dynamodb.REMOVALS_PARTITION: {"S": dynamodb.REMOVALS_VALUE},
        dynamodb.REMOVALS_SORT: {"S": due},
    }


def removal_from_item(item: dict[str, Any]) -> HeldRemoval:
    """Return the removal a header item describes."""
    return HeldRemoval(
        user_id=int(item["user_id"]["N"]),
        token=item["token"]["S"],
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        held_until=datetime.fromisoformat(item["held_until"]["S"]),
        keys=list(from_attribute(item["keys"], plain=True)),
        titles=list(from_attribute(item["titles"], plain=True)),
    )


def held_pk(removal: HeldRemoval, book_key: str) -> str:
    """Return the key of the item holding the removed record of ``book_key``."""
    return f"{header_pk(removal.user_id, removal.token)}#{book_key}"


def held_item(removal: HeldRemoval, record: UserBook) -> dict[str, Any]:
    """Return the record's item as stored, less its index keys, under the removal."""
    item = codec.userbook_to_item(record)
    for name in _INDEX_ATTRIBUTES:
        item.pop(name, None)
    item["pk"] = {"S": held_pk(removal, record.book_id)}
    item["expires"] = expires(removal)
    return item


def counter(user_id: int, records: list[UserBook], sign: int) -> dict[str, Any]:
    """Return the transaction action moving the status counters for these records."""
    from catalog.backends.dynamodb.backend import _counter_update

    moves = Counter(record.status for record in records)
    return _counter_update(user_id, {s: sign * n for s, n in moves.items()})


def groups(
    entries: list[tuple[UserBook, Item]],
) -> Iterator[list[tuple[UserBook, Item]]]:
    """Split (record, item) pairs into groups that fit in one transaction."""
    group: list[tuple[UserBook, Item]] = []
    size = 0
    for entry in entries:
        bytes_ = item_size(entry[1])
        if group and (len(group) == _GROUP_RECORDS or size + bytes_ > _GROUP_BYTES):
            yield group
            group, size = [], 0
        group.append(entry)
        size += bytes_
    if group:
        yield group
