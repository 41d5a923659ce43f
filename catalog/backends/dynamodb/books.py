"""Books in the DynamoDB catalog backend: one item per edition, keyed ``key``."""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from django.utils import timezone

from booklibrary import dynamodb
from booklibrary.dynamo_utils import batch_get, check_item_size, error_code
from catalog.backends.base import listing_fields, metadata_attempt_fields
from catalog.backends.dynamodb import items as codec
from catalog.backends.dynamodb.items import books_table as _books_table
from catalog.backends.dynamodb.items import userbooks_table as _userbooks_table
from catalog.models import Book, MetadataStatus
from catalog.shown import LISTING_FIELDS

# A record's keys are recomputed this many times if its owner keeps editing.
_ATTEMPTS = 3


class DynamoBooks:
    """The book half of the backend: GetItem, BatchGetItem and PutItem."""

    def get_book(self, key: str) -> Book:
        """Return the book with this key or raise ``Book.DoesNotExist``."""
        if not codec.possible_book_keys([key]):
            raise Book.DoesNotExist(f"No book {key[:40]!r}.")
        answer = dynamodb.client().get_item(
            TableName=_books_table(), Key=codec.book_key(key)
        )
        if "Item" not in answer:
            raise Book.DoesNotExist(f"No book {key!r}.")
        return codec.book_from_item(answer["Item"])

    def get_books(self, keys: list[str]) -> dict[str, Book]:
        """Return the books among these keys, by key (100 keys per call)."""
        keys = codec.possible_book_keys(keys)
        if not keys:
            return {}
        table = _books_table()
        found = batch_get(
            dynamodb.client(), {table: [codec.book_key(k) for k in keys]}
        )[table]
        books = {item["key"]["S"]: codec.book_from_item(item) for item in found}
        return {key: books[key] for key in keys if key in books}

    def pending_metadata_books(self, due_by: datetime, limit: int) -> list[Book]:
        """Return pending books due a check: a Query on the sparse ``pending`` GSI."""
        params: dict[str, Any] = {
            "TableName": _books_table(),
            "IndexName": dynamodb.PENDING_INDEX,
            "KeyConditionExpression": "#p = :p AND #c <= :due",
            "ExpressionAttributeNames": {
                "#p": dynamodb.PENDING_PARTITION,
                "#c": dynamodb.PENDING_SORT,
            },
            "ExpressionAttributeValues": {
                ":p": {"S": dynamodb.PENDING_VALUE},
                # The separator sorts below every key, so SEP + max key is
                # above every entry at this very instant.
                ":due": {"S": f"{codec.added_value(due_by)}{codec.SEP}\uffff"},
            },
            "Limit": limit,
        }
        keys: list[str] = []
        while len(keys) < limit:
            answer = dynamodb.client().query(**params)
            keys += [item["key"]["S"] for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                break
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        books = self.get_books(keys[:limit])
        # The index is eventually consistent: keep only books still pending.
        return [book for book in books.values() if book.is_pending]

    def mark_metadata_attempt(
        self,
        key: str,
        *,
        status: str,
        error: str | None = None,
        attempts: int | None = None,
        check_at: datetime | None = None,
        requested_at: datetime | None = None,
        only_if_pending: bool = True,
    ) -> bool:
        """One UpdateItem of the bookkeeping attributes, conditional on the item."""
        fields = metadata_attempt_fields(
            status=status,
            error=error,
            attempts=attempts,
            check_at=check_at,
            requested_at=requested_at,
        )
        if not codec.possible_book_keys([key]):
            return False
        fields["updated_at"] = timezone.now()
        values = {name: codec.book_field_value(name, v) for name, v in fields.items()}
        pending = [dynamodb.PENDING_PARTITION, dynamodb.PENDING_SORT]
        if status == MetadataStatus.PENDING:
            values.update(codec.pending_keys_at(key, check_at))
        names = {"#k": "key"}
        sets, attributes = [], {}
        for i, (name, typed) in enumerate(values.items()):
            names[f"#a{i}"] = name
            attributes[f":a{i}"] = typed
            sets.append(f"#a{i} = :a{i}")
        update = "SET " + ", ".join(sets)
        if status != MetadataStatus.PENDING:
            # Out of the sweep's sparse index as soon as the book leaves pending.
            names.update({"#p0": pending[0], "#p1": pending[1]})
            update += " REMOVE #p0, #p1"
        condition = "attribute_exists(#k)"
        if only_if_pending:
            condition += " AND #status = :pending"
            names["#status"] = "metadata_status"
            attributes[":pending"] = {"S": MetadataStatus.PENDING}
        try:
            dynamodb.client().update_item(
                TableName=_books_table(),
                Key=codec.book_key(key),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attributes,
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def get_or_create_book(self, book: Book) -> tuple[Book, bool]:
        """Store ``book`` unless one with its key exists; return (book, created)."""
        book.updated_at = timezone.now()
        item = codec.book_to_item(book)
        check_item_size(item, what=f"The book {book.pk}")
        try:
            dynamodb.client().put_item(
                TableName=_books_table(),
                Item=item,
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": "key"},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return self.get_book(book.pk), False
        book._state.adding = False
        return book, True

    def save_book(self, book: Book) -> Book:
        """Write a book's fields and refresh its owners' sort and search keys."""
        book.updated_at = timezone.now()
        item = codec.book_to_item(book)
        check_item_size(item, what=f"The book {book.pk}")
        answer = dynamodb.client().put_item(
            TableName=_books_table(), Item=item, ReturnValues="ALL_OLD"
        )
        book._state.adding = False
        old = answer.get("Attributes")
        # Most saves (a status flag, a cover) leave titles and authors alone.
        if old is None or listing_fields(codec.book_from_item(old)) != listing_fields(
            book
        ):
            self._refresh_owners(book)
        return book

    def _refresh_owners(self, book: Book) -> None:
        """Rewrite the listing attributes of every record of ``book``.

        One conditional update per owner; the records whose owner corrected
        the title or authors fail the condition and are computed one by one.
        """
        client, table = dynamodb.client(), _userbooks_table()
        params: dict[str, Any] = {
            "TableName": table,
            "IndexName": "by-book",
            "KeyConditionExpression": "book_key = :k",
            "ExpressionAttributeValues": {":k": {"S": book.pk}},
        }
        while True:
            answer = client.query(**params)
            for owner in answer.get("Items", []):
                user_id = int(owner["user_id"]["N"])
                if not self._refresh_plain_owner(book, user_id):
                    self._refresh_own_listing(book, user_id)
            if "LastEvaluatedKey" not in answer:
                return
            params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _refresh_plain_owner(self, book: Book, user_id: int) -> bool:
        """Give a record without values of its own the book's keys.

        Returns False when the record carries its own title, subtitle or
        authors (or is gone, which ``_refresh_own_listing`` tells apart).
        """
        listing = codec.listing_attributes(book)
        names = {f"#{n}": n for n in listing}
        own = []
        for i, (kind, field) in enumerate(
            (k, f) for k in ("corrections", "provisional") for f in LISTING_FIELDS
        ):
            names.update({f"#o{i}": kind, f"#f{i}": field})
            own.append(f"attribute_not_exists(#o{i}.#f{i})")
        try:
            dynamodb.client().update_item(
                TableName=_userbooks_table(),
                Key=codec.userbook_key(user_id, book.pk),
                UpdateExpression="SET " + ", ".join(f"#{n} = :{n}" for n in listing),
                # A record removed meanwhile must not come back as a stub.
                ConditionExpression=" AND ".join(["attribute_exists(book_key)", *own]),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    f":{n}": {"S": v} for n, v in listing.items()
                },
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def _refresh_own_listing(self, book: Book, user_id: int) -> None:
        """Recompute the keys of a record with its own values, at its version."""
        client, table = dynamodb.client(), _userbooks_table()
        key = codec.userbook_key(user_id, book.pk)
        for _ in range(_ATTEMPTS):
            item = client.get_item(TableName=table, Key=key, ConsistentRead=True)
            if "Item" not in item:
                return  # removed meanwhile
            record = codec.userbook_from_item(item["Item"], book)
            listing = codec.listing_attributes(
                book, record.corrections, record.provisional
            )
            try:
                client.update_item(
                    TableName=table,
                    Key=key,
                    UpdateExpression="SET "
                    + ", ".join(f"#{n} = :{n}" for n in listing),
                    # A correction saved meanwhile recomputes its own keys.
                    ConditionExpression="#version = :version",
                    ExpressionAttributeNames={
                        "#version": "version",
                        **{f"#{n}": n for n in listing},
                    },
                    ExpressionAttributeValues={
                        ":version": {"N": str(record.version)},
                        **{f":{n}": {"S": v} for n, v in listing.items()},
                    },
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":
                    raise
                continue
            return
