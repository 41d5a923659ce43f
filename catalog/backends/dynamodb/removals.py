"""Removals held for undo in DynamoDB: items in the Users table (see ``dynamodb``).

A header ``REMOVAL#<user id>#<token>`` names the removed books; each removed
record is its own item (a record may be close to DynamoDB's 400 KB), moved
there in one transaction with its deletion and the counter, and moved back
the same way. Everything a removal holds also carries the table's TTL
attribute, a day past the undo window, should the cleanup never come.
"""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from booklibrary import dynamodb
from booklibrary.dynamo_utils import (
    batch_delete,
    batch_get,
    cancellation_codes,
    from_attribute,
    to_attribute,
    transact_write,
)
from catalog.backends.base import (
    HeldRemoval,
    Restoring,
    keep,
    own_cover_files,
    record_listing_fields,
)
from catalog.backends.dynamodb import items as codec
from catalog.backends.dynamodb.items import userbooks_table as _userbooks_table
from catalog.backends.dynamodb.items import users_table
from catalog.models import Book, UserBook

# A write that loses a race with a concurrent edit is retried this many times.
_ATTEMPTS = 3
# The GSI attributes of a record, recomputed when it comes back.
_INDEX_ATTRIBUTES = ("user_status", "added_sk", "title_sk", "author_sk", "rating_sk")
# Held items outlive the undo window by this long unless the cleanup runs first.
_TTL_GRACE_SECONDS = 24 * 3600


def _header_pk(user_id: int, token: str) -> str:
    return f"REMOVAL#{user_id}#{token}"


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}}


def _expires(removal: HeldRemoval) -> dict[str, str]:
    return {"N": str(int(removal.held_until.timestamp()) + _TTL_GRACE_SECONDS)}


def _header_item(removal: HeldRemoval) -> dict[str, Any]:
    pk = _header_pk(removal.user_id, removal.token)
    due = f"{codec.added_value(removal.held_until)}{codec.SEP}{pk}"
    return {
        "pk": {"S": pk},
        "user_id": {"N": str(removal.user_id)},
        "token": {"S": removal.token},
        "created_at": {"S": removal.created_at.isoformat()},
        "held_until": {"S": removal.held_until.isoformat()},
        "keys": to_attribute(removal.keys),
        "titles": to_attribute(removal.titles),
        "expires": _expires(removal),
        dynamodb.REMOVALS_PARTITION: {"S": dynamodb.REMOVALS_VALUE},
        dynamodb.REMOVALS_SORT: {"S": due},
    }


def _removal_from_item(item: dict[str, Any]) -> HeldRemoval:
    return HeldRemoval(
        user_id=int(item["user_id"]["N"]),
        token=item["token"]["S"],
        created_at=datetime.fromisoformat(item["created_at"]["S"]),
        held_until=datetime.fromisoformat(item["held_until"]["S"]),
        keys=list(from_attribute(item["keys"], plain=True)),
        titles=list(from_attribute(item["titles"], plain=True)),
    )


def _held_pk(removal: HeldRemoval, key: str) -> str:
    return f"{_header_pk(removal.user_id, removal.token)}#{key}"


def _held_item(removal: HeldRemoval, record: UserBook) -> dict[str, Any]:
    """Return the record's item as stored, less its index keys, under the removal."""
    item = codec.userbook_to_item(record)
    for name in _INDEX_ATTRIBUTES:
        item.pop(name, None)
    item["pk"] = {"S": _held_pk(removal, record.book_id)}
    item["expires"] = _expires(removal)
    return item


def _counter(user_id: int, status: str, delta: int) -> dict[str, Any]:
    from catalog.backends.dynamodb.backend import _counter_update

    return _counter_update(user_id, {status: delta})


class DynamoRemovals:
    """Mixed into the DynamoDB catalog backend (it provides ``get_userbook``)."""

    def hold_and_remove(
        self, user: Any, removal: HeldRemoval, records: list[UserBook]
    ) -> list[UserBook]:
        """Move each record to a held item: one transaction per record."""
        from catalog.backends.dynamodb.backend import _forget_counts

        _forget_counts(user)
        client = dynamodb.client()
        # The header first: whatever happens next, the cleanup finds the removal.
        removal.keys = [r.book_id for r in records]
        removal.titles = [r.shown.display_title for r in records]
        client.put_item(TableName=users_table(), Item=_header_item(removal))
        removed = [r for r in (self._hold_one(user, removal, r) for r in records) if r]
        removal.keys = [r.book_id for r in removed]
        removal.titles = [r.shown.display_title for r in removed]
        removal.files = [name for r in removed for name in own_cover_files(r)]
        if not removed:
            client.delete_item(
                TableName=users_table(), Key=_key(_header_pk(user.pk, removal.token))
            )
        elif len(removed) != len(records):
            client.put_item(TableName=users_table(), Item=_header_item(removal))
        return removed

    def _hold_one(
        self, user: Any, removal: HeldRemoval, record: UserBook
    ) -> UserBook | None:
        """Move one record to its held item; None when it is gone meanwhile."""
        for _ in range(_ATTEMPTS):
            actions = [
                {
                    "Put": {
                        "TableName": users_table(),
                        "Item": _held_item(removal, record),
                    }
                },
                {
                    "Delete": {
                        "TableName": _userbooks_table(),
                        "Key": codec.userbook_key(user.pk, record.book_id),
                        # Unchanged since read: the held copy is the record.
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": {":v": {"N": str(record.version)}},
                    }
                },
                _counter(user.pk, record.status, -1),
            ]
            try:
                transact_write(dynamodb.client(), actions)
            except ClientError as exc:
                if not cancellation_codes(exc):
                    raise
                try:
                    record = self.get_userbook(user, record.book_id)
                except UserBook.DoesNotExist:
                    return None
                continue
            return record
        return None

    def get_removal(self, user: Any, token: str) -> HeldRemoval:
        """Return the user's held removal with this token or raise ``LookupError``."""
        pk = _header_pk(user.pk, token)
        if len(pk.encode()) > 1024:
            raise LookupError("No such removal.")
        answer = dynamodb.client().get_item(
            TableName=users_table(), Key=_key(pk), ConsistentRead=True
        )
        if "Item" not in answer:
            raise LookupError("No such removal.")
        return _removal_from_item(answer["Item"])

    def restore_removal(self, user: Any, removal: HeldRemoval) -> Restoring:
        """Move each held item back to a record, then delete the header."""
        from catalog.backends.dynamodb.backend import _forget_counts

        _forget_counts(user)
        table = users_table()
        found = batch_get(
            dynamodb.client(),
            {table: [_key(_held_pk(removal, k)) for k in removal.keys]},
            consistent=True,
        )[table]
        held = {item["book_key"]["S"]: item for item in found}
        books = Book.objects.get_many([k for k in removal.keys if k in held])
        done = Restoring()
        for key in removal.keys:
            if key in held:
                book = books.get(key) or Book(key=key)
                self._restore_one(user, removal, held[key], book, done)
        dynamodb.client().delete_item(
            TableName=table, Key=_key(_header_pk(user.pk, removal.token))
        )
        return done

    def _restore_one(
        self,
        user: Any,
        removal: HeldRemoval,
        item: dict[str, Any],
        book: Book,
        done: Restoring,
    ) -> None:
        record = codec.userbook_from_item(item, book, user)
        # The book's details may have changed meanwhile: sort and search as now.
        for name, value in record_listing_fields(record).items():
            setattr(record, name, value)
        held_key = _key(_held_pk(removal, record.book_id))
        actions = [
            {
                "Put": {
                    "TableName": _userbooks_table(),
                    "Item": codec.userbook_to_item(record),
                    "ConditionExpression": "attribute_not_exists(book_key)",
                }
            },
            {
                "Delete": {
                    "TableName": users_table(),
                    "Key": held_key,
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            _counter(user.pk, record.status, 1),
        ]
        for _ in range(_ATTEMPTS):
            try:
                transact_write(dynamodb.client(), actions)
            except ClientError as exc:
                codes = cancellation_codes(exc)
                if "TransactionConflict" in codes:
                    continue
                if codes[1:2] == ["ConditionalCheckFailed"]:
                    return  # moved back already, by another request
                if codes[:1] == ["ConditionalCheckFailed"]:
                    # The reader added the book again: their new record stays.
                    keep(done, self.get_userbook(user, record.book_id), record)
                    dynamodb.client().delete_item(TableName=users_table(), Key=held_key)
                    return
                raise
            record._state.adding = False
            done.restored.append(record)
            return

    def expired_removals(self, due_by: datetime, limit: int) -> list[HeldRemoval]:
        """Query the ``removals-due`` index, then read the headers and covers."""
        client, table = dynamodb.client(), users_table()
        answer = client.query(
            TableName=table,
            IndexName=dynamodb.REMOVALS_INDEX,
            KeyConditionExpression="#p = :p AND #d <= :due",
            ExpressionAttributeNames={
                "#p": dynamodb.REMOVALS_PARTITION,
                "#d": dynamodb.REMOVALS_SORT,
            },
            ExpressionAttributeValues={
                ":p": {"S": dynamodb.REMOVALS_VALUE},
                ":due": {"S": f"{codec.added_value(due_by)}{codec.SEP}\uffff"},
            },
            Limit=limit,
        )
        keys = [_key(item["pk"]["S"]) for item in answer.get("Items", [])]
        headers = batch_get(client, {table: keys}, consistent=True)[table]
        removals = [_removal_from_item(item) for item in headers]
        for removal in removals:
            removal.files = self._held_files(removal)
        return sorted(removals, key=lambda r: (r.held_until, r.token))

    def _held_files(self, removal: HeldRemoval) -> list[str]:
        """Return the private cover files of the records the removal still holds."""
        table = users_table()
        found = batch_get(
            dynamodb.client(),
            {table: [_key(_held_pk(removal, k)) for k in removal.keys]},
            consistent=True,
            attributes=("pk", "corrections"),
        )[table]
        names = []
        for item in found:
            own = from_attribute(item.get("corrections", {"M": {}}), plain=True)
            names += own_cover_files(UserBook(corrections=own))
        return names

    def drop_removal(self, removal: HeldRemoval) -> None:
        """Delete the held records' items, then the header."""
        client, table = dynamodb.client(), users_table()
        batch_delete(client, table, [_key(_held_pk(removal, k)) for k in removal.keys])
        client.delete_item(
            TableName=table, Key=_key(_header_pk(removal.user_id, removal.token))
        )
