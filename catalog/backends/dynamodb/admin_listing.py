"""Whole-table operations on DynamoDB, the only place a Scan is used.

For the admin's listings and operators' commands, never a request.
"""

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from booklibrary import dynamodb
from booklibrary.dynamo_utils import batch_delete, error_code, scan_all, to_attribute
from catalog import readings
from catalog.backends.base import BookInUse
from catalog.backends.dynamodb import items as codec
from catalog.backends.dynamodb import tallies
from catalog.backends.dynamodb.items import STORED_COUNTS, users_table
from catalog.backends.dynamodb.items import books_table as _books_table
from catalog.backends.dynamodb.items import userbooks_table as _userbooks_table
from catalog.models import Book, ReadingStatus, UserBook


class DynamoAdminListing:
    """Mixed into the DynamoDB catalog backend (it provides ``get_books``)."""

    def all_books(self) -> list[Book]:
        """Return every book: a Scan, for the admin only."""
        client = dynamodb.client()
        return [
            codec.book_from_item(item)
            for item in scan_all(client, TableName=_books_table())
        ]

    def all_userbooks(self) -> list[UserBook]:
        """Return every record with its book: a Scan and batched book reads."""
        items = list(scan_all(dynamodb.client(), TableName=_userbooks_table()))
        books = self.get_books(list({item["book_key"]["S"] for item in items}))
        return [
            codec.userbook_from_item(
                item,
                books.get(item["book_key"]["S"]) or Book(key=item["book_key"]["S"]),
            )
            for item in items
        ]

    def book_owner_ids(self, key: str) -> list[int]:
        """Return who has the book: a Query on the by-book index."""
        paginator = dynamodb.client().get_paginator("query")
        return [
            int(item["user_id"]["N"])
            for page in paginator.paginate(
                TableName=_userbooks_table(),
                IndexName="by-book",
                KeyConditionExpression="book_key = :k",
                ExpressionAttributeValues={":k": {"S": key}},
            )
            for item in page.get("Items", [])
        ]

    def delete_book(self, key: str) -> None:
        """Delete the book unless a library holds it (as SQL's PROTECT does)."""
        if self.book_owner_ids(key):
            raise BookInUse(key)
        dynamodb.client().delete_item(TableName=_books_table(), Key=codec.book_key(key))

    def remove_all_for_user(self, user: Any) -> int:
        """Delete the user's records (a Query of their partition); zero the counters."""
        setattr(user, STORED_COUNTS, None)  # the counters are about to move
        client = dynamodb.client()
        paginator = client.get_paginator("query")
        keys = [
            codec.userbook_key(user.pk, item["book_key"]["S"])
            for page in paginator.paginate(
                TableName=_userbooks_table(),
                KeyConditionExpression="user_id = :u",
                ExpressionAttributeValues={":u": {"N": str(user.pk)}},
                ProjectionExpression="book_key",
                ConsistentRead=True,
            )
            for item in page.get("Items", [])
        ]
        batch_delete(client, _userbooks_table(), keys)
        tallies.store(user.pk, [])
        counters = ", ".join(f"count_{status} = :zero" for status in ReadingStatus)
        try:
            client.update_item(
                TableName=users_table(),
                Key={"pk": {"S": f"USER#{user.pk}"}},
                UpdateExpression=f"SET {counters}",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":zero": {"N": "0"}},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
        return len(keys)

    def refresh_listings(
        self, *, dry_run: bool = False, batch: int = 100
    ) -> Iterator[tuple[int, int]]:
        """Recompute every record's keys: a Scan page by page, books in batches."""
        client, table = dynamodb.client(), _userbooks_table()
        paginator = client.get_paginator("scan")
        for page in paginator.paginate(
            TableName=table, PaginationConfig={"PageSize": batch}
        ):
            found = page.get("Items", [])
            books = self.get_books(sorted({item["book_key"]["S"] for item in found}))
            written = 0
            for item in found:
                key = item["book_key"]["S"]
                record = codec.userbook_from_item(item, books.get(key) or Book(key=key))
                listing = codec.listing_attributes(
                    record.book, record.corrections, record.provisional
                )
                if all(item.get(n) == {"S": v} for n, v in listing.items()):
                    continue
                if dry_run or _rewrite_listing(client, table, item, listing):
                    written += 1
            yield len(found), written

    def store_readings(
        self, *, dry_run: bool = False, batch: int = 100
    ) -> Iterator[tuple[int, int]]:
        """Store derived readings: a Scan page by page, a conditional write each."""
        client, table = dynamodb.client(), _userbooks_table()
        paginator = client.get_paginator("scan")
        for page in paginator.paginate(
            TableName=table, PaginationConfig={"PageSize": batch}
        ):
            found, written = page.get("Items", []), 0
            for item in found:
                key = item["book_key"]["S"]
                record = codec.userbook_from_item(item, Book(key=key))
                if not readings.stored_as_derived(record):
                    continue
                if dry_run or _store_readings(client, table, item, record):
                    written += 1
            yield len(found), written


def _store_readings(client: Any, table: str, item: Any, record: UserBook) -> bool:
    """Write a record's readings unless an edit moved it (or stored them) meanwhile."""
    try:
        client.update_item(
            TableName=table,
            Key=codec.userbook_key(record.user_id, record.book_id),
            UpdateExpression="SET #r = :r",
            ConditionExpression="#v = :v AND (attribute_not_exists(#r) OR #r = :none)",
            ExpressionAttributeNames={"#r": "readings", "#v": "version"},
            ExpressionAttributeValues={
                ":r": to_attribute(readings.history(record)),
                ":v": item["version"],
                ":none": {"L": []},
            },
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _rewrite_listing(client: Any, table: str, item: Any, listing: dict) -> bool:
    """Write a record's keys unless an edit or a book's save moved it meanwhile."""
    names = {f"#{n}": n for n in ["version", *listing]}
    values = {f":{n}": {"S": v} for n, v in listing.items()}
    unmoved = []
    for n in ["version", *listing]:
        if n in item:
            values[f":was_{n}"] = item[n]
            unmoved.append(f"#{n} = :was_{n}")
        else:
            unmoved.append(f"attribute_not_exists(#{n})")
    try:
        client.update_item(
            TableName=table,
            Key=codec.userbook_key(int(item["user_id"]["N"]), item["book_key"]["S"]),
            UpdateExpression="SET " + ", ".join(f"#{n} = :{n}" for n in listing),
            ConditionExpression=" AND ".join(unmoved),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise
        return False
    return True
