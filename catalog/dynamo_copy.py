"""Copy a local (SQL) library into the DynamoDB tables, and check the copy.

Every source row becomes exactly the item the DynamoDB backends would write
(a record's sort and search keys computed anew, so the tables get the current
format even from rows stored in an older one).
A copy compares each item with what the table holds and writes only what
differs, so it is idempotent (a second run writes nothing) and resumable (a
run cut short is finished by the next). The parity check reads both sides:
counts per entity, per-user status counts and a hash of every item.
"""

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count

from accounts.backends.dynamodb import sentinel_items, user_to_item
from accounts.models import User
from booklibrary import dynamodb
from booklibrary.dynamo_utils import batch_get, batch_put, from_item
from catalog.backends.base import record_listing_fields
from catalog.backends.dynamodb import tallies
from catalog.backends.dynamodb.items import book_to_item, userbook_to_item
from catalog.backends.dynamodb.loans import loan_to_item
from catalog.models import Book, Loan, ReadingStatus, UserBook

BATCH = 25  # BatchWriteItem's limit
Item = dict[str, Any]


@dataclass
class Entity:
    """One kind of source row and how it becomes items of one table."""

    name: str
    table_kind: str
    key_names: tuple[str, ...]
    rows: Callable[[], Iterator[list[Item]]]
    count: Callable[[], int]


@dataclass
class CopyReport:
    """What a copy did, per entity."""

    written: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)


@dataclass
class ParityReport:
    """Differences between the SQL library and the tables (empty when equal)."""

    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def item_hash(item: Item) -> str:
    """Hash an item's values, so that 4.50 and 4.5 (as DynamoDB stores) agree."""

    def normal(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, set):
            return sorted(normal(v) for v in value)
        return value

    plain = from_item(item)
    text = json.dumps(plain, sort_keys=True, default=normal)
    return hashlib.sha256(text.encode()).hexdigest()


def _status_counts() -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    rows = UserBook.objects.values_list("user_id", "status").annotate(n=Count("id"))
    for user_id, status, n in rows.order_by():
        counts.setdefault(user_id, {})[status] = n
    return counts


def _placed_and_tagged() -> dict[int, list[UserBook]]:
    """Return each user's records as far as their tag and location counters go."""
    found: dict[int, list[UserBook]] = {}
    rows = UserBook._base_manager.values_list("user_id", "tags", "location")
    for user_id, tags, location in rows.order_by("pk").iterator():
        found.setdefault(user_id, []).append(UserBook(tags=tags, location=location))
    return found


def _user_items() -> Iterator[list[Item]]:
    counts = _status_counts()
    placed = _placed_and_tagged()
    for user in User._base_manager.order_by("pk").iterator():
        item = user_to_item(user)
        for status in ReadingStatus.values:
            n = counts.get(user.pk, {}).get(status, 0)
            item[f"count_{status}"] = {"N": str(n)}
        tally = tallies.whole_item(user.pk, placed.get(user.pk, []))
        yield [item, *sentinel_items(user), tally]


def _book_items() -> Iterator[list[Item]]:
    for book in Book._base_manager.order_by("pk").iterator():
        yield [book_to_item(book)]


def _userbook_items() -> Iterator[list[Item]]:
    records = UserBook._base_manager.select_related("book").order_by("pk")
    for record in records.iterator():
        # Keys as this version makes them, whatever format the row was stored in.
        for name, value in record_listing_fields(record).items():
            setattr(record, name, value)
        # Readings written down, for a row kept before it had them.
        record.readings = record.reading_history
        yield [userbook_to_item(record)]


def _loan_items() -> Iterator[list[Item]]:
    for loan in Loan._base_manager.order_by("pk").iterator():
        yield [loan_to_item(loan)]


ENTITIES = [
    Entity(
        "users",
        dynamodb.USERS,
        ("pk",),
        _user_items,
        lambda: User._base_manager.count(),
    ),
    Entity(
        "books",
        dynamodb.BOOKS,
        ("key",),
        _book_items,
        lambda: Book._base_manager.count(),
    ),
    Entity(
        "user books",
        dynamodb.USERBOOKS,
        ("user_id", "book_key"),
        _userbook_items,
        lambda: UserBook._base_manager.count(),
    ),
    Entity(
        "loans",
        dynamodb.LOANS,
        ("user_id", "loan_sk"),
        _loan_items,
        lambda: Loan._base_manager.count(),
    ),
]


def _batches(entity: Entity) -> Iterator[tuple[int, list[list[Item]]]]:
    """Yield (rows so far, rows) in groups whose items fit one batch write."""
    done, rows, size = 0, [], 0
    for items in entity.rows():
        if rows and size + len(items) > BATCH:
            yield done, rows
            rows, size = [], 0
        done += 1
        rows.append(items)
        size += len(items)
    yield done, rows


def _stored(table: str, key_names: tuple[str, ...], items: list[Item]) -> dict:
    keys = [{k: item[k] for k in key_names} for item in items]
    found = batch_get(dynamodb.client(), {table: keys}, consistent=True)[table]
    return {
        tuple(json.dumps(i[k], sort_keys=True) for k in key_names): i for i in found
    }


def _key_of(item: Item, key_names: tuple[str, ...]) -> tuple:
    return tuple(json.dumps(item[k], sort_keys=True) for k in key_names)


def _changed(row: list[Item], stored: dict, entity: Entity) -> bool:
    """Tell whether any item of a row is missing or different in the table."""
    for item in row:
        old = stored.get(_key_of(item, entity.key_names))
        if old is None or item_hash(old) != item_hash(item):
            return True
    return False


def copy_library(
    *, dry_run: bool = False, progress: Callable[[str, int, int], None] | None = None
) -> CopyReport:
    """Write every SQL row that the tables lack or hold differently."""
    report = CopyReport()
    for entity in ENTITIES:
        table = dynamodb.table_name(entity.table_kind)
        total = entity.count()
        written = unchanged = 0
        for done, rows in _batches(entity):
            items = [item for row in rows for item in row]
            stored = _stored(table, entity.key_names, items) if items else {}
            changed_rows = [row for row in rows if _changed(row, stored, entity)]
            changed = [item for row in changed_rows for item in row]
            if changed and not dry_run:
                batch_put(dynamodb.client(), table, changed)
            written += len(changed_rows)
            unchanged += len(rows) - len(changed_rows)
            if progress:
                progress(entity.name, done, total)
        report.written[entity.name] = written
        report.unchanged[entity.name] = unchanged
    if not dry_run:
        _raise_id_sequence()
    return report


def _raise_id_sequence() -> None:
    """Make new AWS accounts get ids above every migrated one (never lower it)."""
    top = User._base_manager.order_by("-pk").values_list("pk", flat=True).first()
    if not top:
        return
    client = dynamodb.client()
    # Already at or above the highest migrated id: leave it.
    with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
        client.update_item(
            TableName=dynamodb.table_name(dynamodb.USERS),
            Key={"pk": {"S": "COUNTER#users"}},
            UpdateExpression="SET seq = :top",
            ConditionExpression="attribute_not_exists(seq) OR seq < :top",
            ExpressionAttributeValues={":top": {"N": str(top)}},
        )


def _count_items(table_kind: str, prefix: str | None = None) -> int:
    """Count a table's items: a Scan, which only this offline check may use."""
    params: dict[str, Any] = {
        "TableName": dynamodb.table_name(table_kind),
        "Select": "COUNT",
    }
    if prefix:
        params["FilterExpression"] = "begins_with(pk, :p)"
        params["ExpressionAttributeValues"] = {":p": {"S": prefix}}
    total = 0
    paginator = dynamodb.client().get_paginator("scan")
    for page in paginator.paginate(**params):
        total += page["Count"]
    return total


def check_parity() -> ParityReport:
    """Compare the SQL library with the tables: counts, status counts, hashes."""
    report = ParityReport()
    for entity, prefix in zip(ENTITIES, ("USER#", None, None, None), strict=True):
        pair = (entity.count(), _count_items(entity.table_kind, prefix))
        report.counts[entity.name] = pair
        if pair[0] != pair[1]:
            report.mismatches.append(
                f"{entity.name}: {pair[0]} locally, {pair[1]} in DynamoDB"
            )
    for entity in ENTITIES:
        table = dynamodb.table_name(entity.table_kind)
        for _, rows in _batches(entity):
            items = [item for row in rows for item in row]
            if not items:
                continue
            stored = _stored(table, entity.key_names, items)
            for item in items:
                old = stored.get(_key_of(item, entity.key_names))
                label = "/".join(
                    str(from_item({k: item[k]})[k]) for k in entity.key_names
                )
                if old is None:
                    report.mismatches.append(f"{entity.name} {label}: missing")
                elif item_hash(old) != item_hash(item):
                    report.mismatches.append(f"{entity.name} {label}: differs")
    return report
