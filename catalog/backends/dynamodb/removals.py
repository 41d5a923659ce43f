"""Removals held for undo in DynamoDB: items in the Users table (see ``dynamodb``).

A header ``REMOVAL#<user id>#<token>`` names the removed books; each removed
record is its own item (a record may be close to DynamoDB's 400 KB), moved
there in one transaction with its deletion and the counter (records go
together in groups as large as a transaction takes), and moved back the same
way. Everything a removal holds also carries the table's TTL
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
)
from catalog.backends.base import (
    HeldRemoval,
    Restoring,
    keep,
    own_cover_files,
    record_listing_fields,
)
from catalog.backends.dynamodb import items as codec
from catalog.backends.dynamodb import removal_items as held
from catalog.backends.dynamodb import tallies
from catalog.backends.dynamodb.items import userbooks_table as _userbooks_table
from catalog.backends.dynamodb.items import users_table
from catalog.locations import location_key
from catalog.models import Book, UserBook

# A write that loses a race with a concurrent edit is retried this many times.
_ATTEMPTS = 3


class DynamoRemovals:
    """Mixed into the DynamoDB catalog backend (it provides ``get_userbook``)."""

    def hold_and_remove(
        self, user: Any, removal: HeldRemoval, records: list[UserBook]
    ) -> list[UserBook]:
        """Move the records to held items: a transaction per group of records."""
        from catalog.backends.dynamodb.backend import _forget_counts

        _forget_counts(user)
        client, table = dynamodb.client(), users_table()
        # The header first: whatever happens next, the cleanup finds the removal.
        removal.keys = [r.book_id for r in records]
        removal.titles = [r.shown.display_title for r in records]
        client.put_item(TableName=table, Item=held.header_item(removal))
        removed: list[UserBook] = []
        entries = [(r, held.held_item(removal, r)) for r in records]
        for group in held.groups(entries):
            actions = []
            for record, item in group:
                actions += [
                    {"Put": {"TableName": table, "Item": item}},
                    self._delete_at_version(user, record),
                ]
            records = [r for r, _ in group]
            actions.append(held.counter(user.pk, records, -1))
            actions = tallies.with_tally(
                actions, user.pk, tallies.moves(before=records)
            )
            try:
                tallies.transact(user.pk, actions)
            except ClientError as exc:
                if not cancellation_codes(exc):
                    raise
                # One of them changed meanwhile: each on its own, read again.
                moved = (self._hold_one(user, removal, r) for r, _ in group)
                removed += [r for r in moved if r]
            else:
                removed += [r for r, _ in group]
        removal.keys = [r.book_id for r in removed]
        removal.titles = [r.shown.display_title for r in removed]
        removal.files = [name for r in removed for name in own_cover_files(r)]
        if not removed:
            header = held.header_pk(user.pk, removal.token)
            client.delete_item(TableName=table, Key=held.key(header))
        elif len(removed) != len(records):
            client.put_item(TableName=table, Item=held.header_item(removal))
        return removed

    @staticmethod
    def _delete_at_version(user: Any, record: UserBook) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": _userbooks_table(),
                "Key": codec.userbook_key(user.pk, record.book_id),
                # Unchanged since read: the held copy is the record.
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(record.version)}},
            }
        }

    def _hold_one(
        self, user: Any, removal: HeldRemoval, record: UserBook
    ) -> UserBook | None:
        """Move one record to its held item; None when it is gone meanwhile."""
        for _ in range(_ATTEMPTS):
            actions = [
                {
                    "Put": {
                        "TableName": users_table(),
                        "Item": held.held_item(removal, record),
                    }
                },
                self._delete_at_version(user, record),
                held.counter(user.pk, [record], -1),
            ]
            actions = tallies.with_tally(
                actions, user.pk, tallies.moves(before=[record])
            )
            try:
                tallies.transact(user.pk, actions)
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
        pk = held.header_pk(user.pk, token)
        if len(pk.encode()) > 1024:
            raise LookupError("No such removal.")
        answer = dynamodb.client().get_item(
            TableName=users_table(), Key=held.key(pk), ConsistentRead=True
        )
        if "Item" not in answer:
            raise LookupError("No such removal.")
        return held.removal_from_item(answer["Item"])

    def restore_removal(self, user: Any, removal: HeldRemoval) -> Restoring:
        """Move the held items back to records, then delete the header."""
        from catalog.backends.dynamodb.backend import _forget_counts

        _forget_counts(user)
        client, table = dynamodb.client(), users_table()
        found = batch_get(
            client,
            {table: [held.key(held.held_pk(removal, k)) for k in removal.keys]},
            consistent=True,
        )[table]
        items = {item["book_key"]["S"]: item for item in found}
        books = Book.objects.get_many(list(items))
        entries = []
        for key in removal.keys:
            if key in items:
                record = _record(items[key], books.get(key) or Book(key=key), user)
                # Held before locations had keys, perhaps: keyed as now.
                record.location_key = location_key(record.location)
                entries.append((record, codec.userbook_to_item(record)))
        done = Restoring()
        for group in held.groups(entries):
            actions = []
            for record, item in group:
                actions += self._restore_actions(removal, record, item)
            records = [r for r, _ in group]
            actions.append(held.counter(user.pk, records, 1))
            actions = tallies.with_tally(actions, user.pk, tallies.moves(after=records))
            try:
                tallies.transact(user.pk, actions)
            except ClientError as exc:
                if not cancellation_codes(exc):
                    raise
                for record, item in group:  # each on its own, to tell which
                    self._restore_one(user, removal, record, item, done)
            else:
                done.restored += [r for r, _ in group]
        header = held.header_pk(user.pk, removal.token)
        client.delete_item(TableName=table, Key=held.key(header))
        return done

    @staticmethod
    def _restore_actions(
        removal: HeldRemoval, record: UserBook, item: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Put the record back unless the book is there again; drop its held item."""
        return [
            {
                "Put": {
                    "TableName": _userbooks_table(),
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(book_key)",
                }
            },
            {
                "Delete": {
                    "TableName": users_table(),
                    "Key": held.key(held.held_pk(removal, record.book_id)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ]

    def _restore_one(
        self,
        user: Any,
        removal: HeldRemoval,
        record: UserBook,
        item: dict[str, Any],
        done: Restoring,
    ) -> None:
        actions = self._restore_actions(removal, record, item)
        actions.append(held.counter(user.pk, [record], 1))
        actions = tallies.with_tally(actions, user.pk, tallies.moves(after=[record]))
        for _ in range(_ATTEMPTS):
            try:
                tallies.transact(user.pk, actions)
            except ClientError as exc:
                codes = cancellation_codes(exc)
                if "TransactionConflict" in codes:
                    continue
                if codes[1:2] == ["ConditionalCheckFailed"]:
                    return  # moved back already, by another request
                if codes[:1] == ["ConditionalCheckFailed"]:
                    # The reader added the book again: their new record stays.
                    keep(done, self.get_userbook(user, record.book_id), record)
                    dynamodb.client().delete_item(
                        TableName=users_table(), Key=actions[1]["Delete"]["Key"]
                    )
                    return
                raise
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
        keys = [held.key(item["pk"]["S"]) for item in answer.get("Items", [])]
        headers = batch_get(client, {table: keys}, consistent=True)[table]
        removals = [held.removal_from_item(item) for item in headers]
        for removal in removals:
            removal.files = self._held_files(removal)
        return sorted(removals, key=lambda r: (r.held_until, r.token))

    def _held_files(self, removal: HeldRemoval) -> list[str]:
        """Return the private cover files of the records the removal still holds."""
        table = users_table()
        found = batch_get(
            dynamodb.client(),
            {table: [held.key(held.held_pk(removal, k)) for k in removal.keys]},
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
        keys = [held.key(held.held_pk(removal, k)) for k in removal.keys]
        batch_delete(client, table, keys)
        header = held.header_pk(removal.user_id, removal.token)
        client.delete_item(TableName=table, Key=held.key(header))


def _record(item: dict[str, Any], book: Book, user: Any) -> UserBook:
    """Return a held record as it comes back, sorted and searched as its book is now."""
    record = codec.userbook_from_item(item, book, user)
    for name, value in record_listing_fields(record).items():
        setattr(record, name, value)
    record._state.adding = False
    return record
