"""A reader's tag and location counters: one item in the Users table.

``TALLY#<user id>`` holds one number per tag as typed (``t:<tag>``) and per
location as typed (``l:<location>``), moved with ADD in the same transaction
as every record write that changes them (ADD creates a missing attribute, so
a tag's first record needs no read, and two writes to the same tag add up).
Forms are counted apart so that a tag typed "Sci fi" and "sci fi" is shown in
its most used form, as the ORM shows it. Reading them all is one GetItem.

A rebuild replaces the item with what a Query of the reader's records counts;
a record write landing between that Query and the Put may be missed, and
running the rebuild again corrects it (it is idempotent).

``built`` says the counters cover every record: set when the item is written
whole (a new account, ``rebuild``, ``migrate_to_dynamo``, a library emptied).
Records stored before the counters existed leave it unset; the pages then
read a bounded part of the reader's records and say so until ``rebuild``
(``manage.py rebuild_counters``, or the job queued by a tag change) counts
them all.

Size: an entry is its name (a tag is at most 60 characters, a location 200)
and a number; DynamoDB's 400 KB item holds some 20,000 tags of a dozen
letters, and at least 1,500 of the longest. A write that would grow the item
past the limit is made without the counters, which are then dropped and
rebuilt; a rebuild that would not fit under ``MAX_BYTES`` stores
``overflow`` and the pages keep the bounded reads.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from booklibrary import dynamodb
from booklibrary.dynamo_utils import error_code, item_size, transact_write
from catalog.backends.base import LocationCounts, TagCounts, count_forms
from catalog.backends.dynamodb.items import users_table
from catalog.locations import location_key
from catalog.models import UserBook

TAG, LOCATION = "t:", "l:"
# A rebuilt item stays this far under DynamoDB's 400 KB, room for new tags.
MAX_BYTES = 300_000


def tally_key(user_id: int) -> dict[str, Any]:
    """Return the key of the reader's counters item."""
    return {"pk": {"S": f"TALLY#{user_id}"}}


def entries(record: UserBook | None) -> Counter:
    """Return the counter entries one record holds (its tags, its location)."""
    found: Counter = Counter()
    if record is None:
        return found
    for tag in dict.fromkeys(record.tags or []):
        found[TAG + tag] += 1
    if location_key(record.location or ""):
        found[LOCATION + record.location] += 1
    return found


def moves(
    before: Iterable[UserBook | None] = (),
    after: Iterable[UserBook | None] = (),
    *,
    held: Counter | None = None,
) -> dict[str, int]:
    """Return the counter moves from records ``before`` to records ``after``.

    ``held`` is the entries of a record before it was changed in place.
    """
    total: Counter = Counter()
    for record in after:
        total.update(entries(record))
    for record in before:
        total.subtract(entries(record))
    if held:
        total.subtract(held)
    return {name: n for name, n in total.items() if n}


def update_action(user_id: int, deltas: dict[str, int]) -> dict[str, Any] | None:
    """Return the transaction action adding ``deltas``, or None when nothing moves."""
    if not deltas:
        return None
    names = {f"#t{i}": name for i, name in enumerate(deltas)}
    values = {f":t{i}": {"N": str(n)} for i, n in enumerate(deltas.values())}
    return {
        "Update": {
            "TableName": users_table(),
            "Key": tally_key(user_id),
            "UpdateExpression": "ADD "
            + ", ".join(f"#t{i} :t{i}" for i in range(len(deltas))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def with_tally(
    actions: list[dict[str, Any]], user_id: int, deltas: dict[str, int]
) -> list[dict[str, Any]]:
    """Return ``actions`` and the counters' action when anything moves."""
    action = update_action(user_id, deltas)
    return [*actions, action] if action else list(actions)


def too_large(exc: ClientError) -> bool:
    """Tell whether a write failed because the counters item would be too large."""
    text = str(exc.response.get("Error", {}).get("Message", ""))
    reasons = exc.response.get("CancellationReasons") or []
    texts = [text, *(str(r.get("Message", "")) for r in reasons)]
    return error_code(exc) in {
        "ValidationException",
        "TransactionCanceledException",
    } and any("size" in t.lower() and "exceed" in t.lower() for t in texts)


def without_tally(actions: list[dict[str, Any]], user_id: int) -> list[dict[str, Any]]:
    """Return ``actions`` less the counters' update (after ``too_large``)."""
    key = tally_key(user_id)
    return [a for a in actions if a.get("Update", {}).get("Key") != key]


def drop(user_id: int) -> None:
    """Delete the counters item: the pages read records until it is rebuilt."""
    dynamodb.client().delete_item(TableName=users_table(), Key=tally_key(user_id))


@dataclass
class Tally:
    """The counters as stored: usable unless ``built`` is False or ``overflow``."""

    tags: dict[str, int]
    locations: dict[str, int]
    built: bool
    overflow: bool

    @property
    def usable(self) -> bool:
        return self.built and not self.overflow

    def tag_counts(self) -> TagCounts:
        return TagCounts(count_forms(self.tags))

    def location_counts(self) -> LocationCounts:
        return LocationCounts(count_forms(self.locations, key=location_key))


def read(user_id: int) -> Tally:
    """Return the reader's counters: one GetItem."""
    answer = dynamodb.client().get_item(
        TableName=users_table(), Key=tally_key(user_id), ConsistentRead=True
    )
    item = answer.get("Item", {})
    tags, places = {}, {}
    for name, value in item.items():
        if "N" not in value:
            continue
        if name.startswith(TAG):
            tags[name[len(TAG) :]] = int(value["N"])
        elif name.startswith(LOCATION):
            places[name[len(LOCATION) :]] = int(value["N"])
    return Tally(tags, places, built="built" in item, overflow="overflow" in item)


def whole_item(user_id: int, records: Iterable[UserBook]) -> dict[str, Any]:
    """Return the counters item that ``records`` make, marked built."""
    item: dict[str, Any] = {
        **tally_key(user_id),
        "built": {"BOOL": True},
    }
    for name, n in moves(after=records).items():
        item[name] = {"N": str(n)}
    if item_size(item) > MAX_BYTES:
        return {
            **tally_key(user_id),
            "built": item["built"],
            "overflow": {"BOOL": True},
        }
    return item


def store(user_id: int, records: Iterable[UserBook]) -> dict[str, Any]:
    """Write the counters item that ``records`` make (replacing the stored one)."""
    item = whole_item(user_id, records)
    dynamodb.client().put_item(TableName=users_table(), Item=item)
    return item


def transact(user_id: int, actions: list[dict[str, Any]]) -> None:
    """Run a transaction that moves the counters; never lose the write for them.

    Should the counters item be full, the write is made without it and the
    counters are dropped, to be rebuilt (see the module's docstring).
    """
    try:
        transact_write(dynamodb.client(), actions)
    except ClientError as exc:
        rest = without_tally(actions, user_id)
        if len(rest) == len(actions) or not too_large(exc):
            raise
        drop(user_id)
        transact_write(dynamodb.client(), rest)
