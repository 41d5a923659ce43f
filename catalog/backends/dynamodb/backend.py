"""The DynamoDB catalog backend: the tables of ``booklibrary.dynamodb``.

Records carry their book's sort and search keys (``listing_attributes``), the
GSI keys of every list order, and per-status counters on the user's item in
the Users table, kept in the same transaction as every add, remove or change
of status; likewise the tag and location counters on the reader's
``TALLY#<user id>`` item (``tallies``), which the tags page, the locations page
and the location suggestions read with one GetItem. No operation scans.

A record's tags are its ``tags`` list (as typed) and ``tag_keys`` string
("|fantasy|sci fi|"); a tag filter is a ``contains(tag_keys, :t)`` test per
tag in the listing Query's FilterExpression, read in bounded growing steps
like a search (``listing``), so a page costs the same few calls whatever the
library's size; its count is then unknown (None).

Series follow the same shape: ``series_keys`` ("|dune chronicles|") is tested
with ``contains`` by a series filter; ``series_sk`` (series key, position,
title) orders the ``by-series`` GSI, which has no per-status twin: within a
status the series order filters on ``status`` (bounded like a filter). The
series page reads ``by-series`` filtered on its series (at most three Query
calls, then its books in batches); the series list Queries the reader's
partition for ``series_names`` (at most ``SERIES_QUERIES`` calls).

A record's readings (``catalog.readings``) are its ``readings`` list, in the
same item: the book page, the cards' progress and "Currently reading" read
them with the record (no index, no extra call). ``status`` and the dates are
the latest reading's, written with it, so the ``user_status`` GSI and the
counters move as before. An item stored before readings has no ``readings``
attribute and reads as if migrated; ``store_readings`` (a Scan, for an
operator's command) writes it down, conditional on the item's version.
"""

from collections import Counter
from decimal import Decimal
from typing import Any, NamedTuple

from botocore.exceptions import ClientError
from django.utils import timezone

from booklibrary import dynamodb
from booklibrary.dynamo_utils import (
    MAX_TRANSACT_ITEMS,
    batch_get,
    cancellation_codes,
    check_item_size,
    error_code,
    from_attribute,
    item_size,
)
from catalog.backends.base import (
    DEFAULT_SORT,
    SORTS,
    Added,
    AlreadyInLibrary,
    CatalogBackend,
    LocationCounts,
    Page,
    SeriesCounts,
    StaleEdit,
    TagCounts,
    add_one,
    count_series,
    count_tags,
    listing_fields,
    record_listing_fields,
    series_filter_key,
    tag_filter_keys,
    with_location_key,
    with_tag_keys,
)
from catalog.backends.dynamodb import items as codec
from catalog.backends.dynamodb import tallies
from catalog.backends.dynamodb.admin_listing import DynamoAdminListing
from catalog.backends.dynamodb.books import DynamoBooks
from catalog.backends.dynamodb.imports import DynamoImports
from catalog.backends.dynamodb.items import STORED_COUNTS, users_table
from catalog.backends.dynamodb.items import books_table as _books_table
from catalog.backends.dynamodb.items import userbooks_table as _userbooks_table
from catalog.backends.dynamodb.listing import Listing, RawPage, read_page
from catalog.backends.dynamodb.loans import DynamoLoans
from catalog.backends.dynamodb.removals import DynamoRemovals
from catalog.backends.dynamodb.tag_jobs import DynamoTagJobs
from catalog.locations import location_key
from catalog.models import Book, ReadingStatus, UserBook
from catalog.search import search_words

# An edit that loses a race with a concurrent one is retried this many times.
_WRITE_ATTEMPTS = 3
# A transaction of many additions stays under DynamoDB's 4 MB a request.
_TRANSACTION_BYTES = 3_500_000
# The locations page reads at most this many records' locations (5 calls).
LOCATION_READ, LOCATION_QUERIES = 1000, 5
# The series list reads at most this many records' series (5 calls).
SERIES_READ, SERIES_QUERIES = 1000, 5


class _Entry(NamedTuple):
    """One book of ``add_userbooks``, ready to write: its actions and their size."""

    book: Book
    fields: dict[str, Any]
    record: UserBook
    actions: list[dict[str, Any]]
    size: int
    adding: bool


def _counter_update(user_id: int, deltas: dict[str, int]) -> dict[str, Any]:
    """Return a transaction action adding ``deltas`` to the per-status counters."""
    names = {f"#c{i}": f"count_{s}" for i, s in enumerate(deltas)}
    values = {f":d{i}": {"N": str(d)} for i, d in enumerate(deltas.values())}
    return {
        "Update": {
            "TableName": users_table(),
            "Key": {"pk": {"S": f"USER#{user_id}"}},
            "UpdateExpression": "ADD "
            + ", ".join(f"#c{i} :d{i}" for i in range(len(deltas))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def _lost_race(exc: ClientError) -> bool:
    """Tell whether a conditional write failed because the record moved on."""
    if error_code(exc) == "ConditionalCheckFailedException":
        return True
    first = cancellation_codes(exc)[:1]
    return first in (["ConditionalCheckFailed"], ["TransactionConflict"])


def _forget_counts(user: Any) -> None:
    setattr(user, STORED_COUNTS, None)


def _update_at_version(
    user_id: int,
    key: str,
    version: int,
    update: dict,
    counters: dict[str, int],
    tally: dict[str, int],
) -> None:
    """Apply ``update`` if the record is at ``version``, with any counter moves."""
    update.update(
        TableName=_userbooks_table(),
        Key=codec.userbook_key(user_id, key),
        ConditionExpression="#version = :expected",
    )
    update["ExpressionAttributeNames"]["#version"] = "version"
    update["ExpressionAttributeValues"][":expected"] = {"N": str(version)}
    if counters or tally:
        actions = [{"Update": update}]
        if counters:
            actions.append(_counter_update(user_id, counters))
        tallies.transact(user_id, tallies.with_tally(actions, user_id, tally))
    else:
        dynamodb.client().update_item(**update)


def _field(name: str) -> Any:
    """Return the UserBook field a change names; refuse keys and unknown names."""
    if name in {"id", "user", "user_id", "book", "book_id"}:
        raise ValueError(f"{name!r} of a record cannot be changed.")
    return UserBook._meta.get_field(name)


def _check_rating(rating: Decimal | None) -> None:
    if rating is not None and not Decimal("0.5") <= rating <= 5:
        raise ValueError(f"A rating is from 0.5 to 5 stars, not {rating}.")


class DynamoCatalogBackend(
    DynamoImports,
    DynamoLoans,
    DynamoRemovals,
    DynamoTagJobs,
    DynamoAdminListing,
    DynamoBooks,
    CatalogBackend,
):
    """Books and records as DynamoDB items, read by key, batch and index query."""

    # A user's records ---------------------------------------------------------

    def add_userbook(self, user: Any, book: Book, **fields: Any) -> UserBook:
        """Add ``book`` to the user's library or raise ``AlreadyInLibrary``."""
        _forget_counts(user)
        now = timezone.now()
        fields = with_location_key(with_tag_keys(fields))
        fields.setdefault("added_at", now)
        own = listing_fields(book, fields.get("corrections"), fields.get("provisional"))
        record = UserBook(user=user, book=book, **fields, **own)
        record.updated_at = now
        _check_rating(record.rating)
        item = codec.userbook_to_item(record)
        check_item_size(item, what="This record")
        actions = [
            self._record_put(item),
            self._book_check(book.pk),
            _counter_update(user.pk, {record.status: 1}),
        ]
        actions = tallies.with_tally(actions, user.pk, tallies.moves(after=[record]))
        try:
            tallies.transact(user.pk, actions)
        except ClientError as exc:
            codes = cancellation_codes(exc)
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise AlreadyInLibrary(self.get_userbook(user, book.pk)) from None
            if codes[1:2] == ["ConditionalCheckFailed"]:
                raise Book.DoesNotExist(f"No book {book.pk!r} to add.") from None
            raise
        record._state.adding = False
        return record

    def add_userbooks(
        self, user: Any, additions: list[tuple[Book, dict[str, Any]]]
    ) -> list[Added]:
        """Transactions of up to 49 additions, each with its counters moved once.

        Every item is built and its size checked before the first write. Each
        pair is two conditional actions, as in ``add_userbook``: the record's
        Put if absent, and the new book's Put if absent (or a check that the
        stored book exists); the status counters and the ``TALLY#`` item take
        one ADD per transaction. A transaction cancelled on a condition (a key
        stored meanwhile) is added again pair by pair.
        """
        _forget_counts(user)
        now = timezone.now()
        entries = []
        for book, fields in additions:
            fields = with_location_key(with_tag_keys(fields))
            fields.setdefault("added_at", now)
            own = listing_fields(
                book, fields.get("corrections"), fields.get("provisional")
            )
            record = UserBook(user=user, book=book, **fields, **own)
            record.updated_at = now
            _check_rating(record.rating)
            item = codec.userbook_to_item(record)
            check_item_size(item, what="This record")
            actions, size = [self._record_put(item)], item_size(item)
            adding = book._state.adding
            if adding:
                book.updated_at = now
                book_item = codec.book_to_item(book)
                check_item_size(book_item, what=f"The book {book.pk}")
                actions.append(self._book_put(book_item))
                size += item_size(book_item)
            else:
                actions.append(self._book_check(book.pk))
            entries.append(_Entry(book, fields, record, actions, size, adding))
        results: list[Added] = []
        for group in self._transactions(entries):
            results += self._add_group(user, group)
        return results

    @staticmethod
    def _transactions(entries: list["_Entry"]) -> list[list["_Entry"]]:
        """Split the additions so that each transaction fits DynamoDB's limits."""
        groups: list[list[_Entry]] = [[]]
        size = 0
        # Two actions a pair, two for the counters.
        most = (MAX_TRANSACT_ITEMS - 2) // 2
        for entry in entries:
            if groups[-1] and (
                len(groups[-1]) >= most or size + entry.size > _TRANSACTION_BYTES
            ):
                groups.append([])
                size = 0
            groups[-1].append(entry)
            size += entry.size
        return [group for group in groups if group]

    def _add_group(self, user: Any, group: list["_Entry"]) -> list[Added]:
        records = [entry.record for entry in group]
        actions = [action for entry in group for action in entry.actions]
        statuses = Counter(record.status for record in records)
        actions.append(_counter_update(user.pk, dict(statuses)))
        actions = tallies.with_tally(actions, user.pk, tallies.moves(after=records))
        try:
            tallies.transact(user.pk, actions)
        except ClientError as exc:
            codes = cancellation_codes(exc)
            if not {"ConditionalCheckFailed", "TransactionConflict"} & set(codes):
                raise
            return [add_one(self, user, e.book, e.fields) for e in group]
        done = []
        for entry in group:
            entry.book._state.adding = False
            entry.record._state.adding = False
            done.append(Added(entry.record, added=True, book_created=entry.adding))
        return done

    @staticmethod
    def _record_put(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": _userbooks_table(),
                "Item": item,
                "ConditionExpression": "attribute_not_exists(book_key)",
            }
        }

    @staticmethod
    def _book_put(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": _books_table(),
                "Item": item,
                "ConditionExpression": "attribute_not_exists(#k)",
                "ExpressionAttributeNames": {"#k": "key"},
            }
        }

    @staticmethod
    def _book_check(key: str) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": _books_table(),
                "Key": codec.book_key(key),
                "ConditionExpression": "attribute_exists(#k)",
                "ExpressionAttributeNames": {"#k": "key"},
            }
        }

    def _read_records(
        self, user: Any, keys: list[str], *, consistent: bool = False
    ) -> dict[str, UserBook]:
        """Fetch records with their books: one BatchGetItem for up to 50 keys."""
        keys = codec.possible_book_keys(keys)
        if not keys:
            return {}
        books_table, records_table = _books_table(), _userbooks_table()
        found = batch_get(
            dynamodb.client(),
            {
                records_table: [codec.userbook_key(user.pk, k) for k in keys],
                books_table: [codec.book_key(k) for k in keys],
            },
            consistent=consistent,
        )
        books = {i["key"]["S"]: codec.book_from_item(i) for i in found[books_table]}
        records = {}
        for item in found[records_table]:
            key = item["book_key"]["S"]
            book = books.get(key) or Book(key=key)
            records[key] = codec.userbook_from_item(item, book, user)
        return {key: records[key] for key in keys if key in records}

    def get_userbook(self, user: Any, key: str) -> UserBook:
        """Return the user's record of book ``key`` or raise ``DoesNotExist``."""
        found = self._read_records(user, [key], consistent=True)
        if key not in found:
            raise UserBook.DoesNotExist(f"No book {key!r} in this library.")
        return found[key]

    def userbooks_for_keys(self, user: Any, keys: list[str]) -> dict[str, UserBook]:
        """Return the user's records among these book keys, by key."""
        if not keys:
            return {}
        return self._read_records(user, keys)

    def page_for_user(self, user: Any, **lookup: Any) -> Page:
        """Return one page: a Query on the order's GSI, then its books in a batch."""
        return self.pages_for_user(user, [lookup])[0]

    def pages_for_user(self, user: Any, lookups: list[dict[str, Any]]) -> list[Page]:
        """Return several pages: a Query each, then one batch for all their books."""
        queried = [self._query_page(user, **lookup) for lookup in lookups]
        keys = {item["book_key"]["S"] for raw in queried for item in raw.items}
        books = self.get_books(sorted(keys))
        return [
            Page(
                items=[
                    codec.userbook_from_item(
                        item,
                        books.get(item["book_key"]["S"])
                        or Book(key=item["book_key"]["S"]),
                        user,
                    )
                    for item in raw.items
                ],
                next_cursor=raw.next_cursor,
                prev_cursor=raw.prev_cursor,
                offset=raw.offset,
            )
            for raw in queried
        ]

    @staticmethod
    def _listing(
        user: Any,
        status: str | None,
        query: str,
        sort: str,
        tags: Any = (),
        location: str = "",
        series: str = "",
    ) -> Listing:
        sort = sort if sort in SORTS else DEFAULT_SORT
        return Listing(
            user.pk,
            status=status,
            sort=sort,
            words=search_words(query),
            tags=tag_filter_keys(tags),
            location_key=location_key(location),
            series=series_filter_key(series),
        )

    def _query_page(
        self,
        user: Any,
        *,
        status: str | None = None,
        query: str = "",
        tags: Any = (),
        location: str = "",
        series: str = "",
        sort: str = DEFAULT_SORT,
        cursor: str | None = None,
        limit: int = 24,
    ) -> RawPage:
        """Return one page's record items and the cursors beside it."""
        return read_page(
            dynamodb.client(),
            _userbooks_table(),
            self._listing(user, status, query, sort, tags, location, series),
            cursor=cursor,
            limit=max(limit, 1),
        )

    def count_for_user(
        self,
        user: Any,
        *,
        status: str | None = None,
        query: str = "",
        tags: Any = (),
        location: str = "",
        series: str = "",
    ) -> int | None:
        """Return the status counter's number; None when filtered (unknown)."""
        listing = self._listing(
            user, status, query, DEFAULT_SORT, tags, location, series
        )
        if listing.filtered:
            return None
        return self.status_counts(user)[status or "all"]

    def location_counts(self, user: Any, *, reads: int | None = None) -> LocationCounts:
        """Return the counters kept per location: one GetItem (``tallies``).

        Until the reader's counters are built, one Query of the user's
        partition projecting the location only, read in at most ``reads``
        (else ``LOCATION_QUERIES``) calls of ``LOCATION_READ`` items: a larger
        library is counted among its first records (``complete`` is False).
        """
        tally = tallies.read(user.pk)
        if tally.usable:
            return tally.location_counts()
        found: dict[str, list] = {}
        items, complete = self._first_records(user, "location", reads)
        for item in items:
            shown = item.get("location", {}).get("S", "")
            key = location_key(shown)
            if key:
                entry = found.setdefault(key, [shown, 0])
                entry[0] = min(entry[0], shown)
                entry[1] += 1
        return LocationCounts(
            [(shown, key, n) for key, (shown, n) in sorted(found.items())],
            complete=complete,
        )

    @staticmethod
    def _first_records(
        user: Any, attribute: str, reads: int | None
    ) -> tuple[list[dict], bool]:
        """Read one attribute of the user's first records, in bounded calls.

        Returns the items and whether they were all of the user's records.
        """
        params: dict[str, Any] = {
            "TableName": _userbooks_table(),
            "KeyConditionExpression": "user_id = :u",
            "ExpressionAttributeValues": {":u": {"N": str(user.pk)}},
            "ProjectionExpression": "#a",
            "ExpressionAttributeNames": {"#a": attribute},
            "Limit": LOCATION_READ,
        }
        items: list[dict] = []
        for _ in range(reads or LOCATION_QUERIES):
            answer = dynamodb.client().query(**params)
            items += answer.get("Items", [])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return items, True
            params["ExclusiveStartKey"] = start
        return items, False

    def status_counts(self, user: Any) -> dict[str, int]:
        """Return the counters kept on the user's item.

        Free when the user object came from the DynamoDB user backend in this
        request (it read the item already); one GetItem otherwise.
        """
        stored = getattr(user, STORED_COUNTS, None)
        if stored is None:
            answer = dynamodb.client().get_item(
                TableName=users_table(),
                Key={"pk": {"S": f"USER#{user.pk}"}},
                ProjectionExpression=", ".join(f"count_{s}" for s in ReadingStatus),
            )
            stored = {
                name: int(value["N"])
                for name, value in answer.get("Item", {}).items()
                if name.startswith("count_")
            }
        counts = {s.value: max(stored.get(f"count_{s}", 0), 0) for s in ReadingStatus}
        counts["all"] = sum(counts.values())
        return counts

    def tag_counts(self, user: Any) -> TagCounts:
        """Return the counters kept per tag: one GetItem (``tallies``).

        Until the reader's counters are built, the tags of their first
        records, read as ``location_counts`` reads (``complete`` is False
        when there are more).
        """
        tally = tallies.read(user.pk)
        if tally.usable:
            return tally.tag_counts()
        items, complete = self._first_records(user, "tags", None)
        lists = (
            from_attribute(item["tags"], plain=True) for item in items if "tags" in item
        )
        return TagCounts(count_tags(lists), complete=complete)

    def rebuild_counters(self, user: Any) -> None:
        """Count the reader's tags and locations from every record, and store them.

        A Query of the user's partition (a background job's or a command's,
        never a page's); running it again gives the same counters.
        """
        paginator = dynamodb.client().get_paginator("query")
        records = [
            codec.userbook_from_item(item, Book(key=item["book_key"]["S"]), user)
            for page in paginator.paginate(
                TableName=_userbooks_table(),
                KeyConditionExpression="user_id = :u",
                ExpressionAttributeValues={":u": {"N": str(user.pk)}},
                ProjectionExpression="user_id, book_key, tags, #l",
                ExpressionAttributeNames={"#l": "location"},
                ConsistentRead=True,
            )
            for item in page.get("Items", [])
        ]
        tallies.store(user.pk, records)

    def counters_built(self, user: Any) -> bool:
        """Tell whether the reader's tag and location counters cover every record."""
        return tallies.read(user.pk).built

    def series_counts(self, user: Any) -> SeriesCounts:
        """Count the user's series from their records' ``series_names``.

        One Query of the user's partition, filtered to records in a series and
        projecting their names, read in at most ``SERIES_QUERIES`` calls of
        ``SERIES_READ`` items: a larger library is counted among its first
        records (``complete`` is then False). Used by the series list only.
        """
        params: dict[str, Any] = {
            "TableName": _userbooks_table(),
            "KeyConditionExpression": "user_id = :u",
            "FilterExpression": "size(series_keys) > :zero",
            "ExpressionAttributeValues": {
                ":u": {"N": str(user.pk)},
                ":zero": {"N": "0"},
            },
            "ProjectionExpression": "series_names",
            "Limit": SERIES_READ,
        }
        names: list[str] = []
        for _ in range(SERIES_QUERIES):
            answer = dynamodb.client().query(**params)
            names += [
                item["series_names"]["S"]
                for item in answer.get("Items", [])
                if "series_names" in item
            ]
            start = answer.get("LastEvaluatedKey")
            if not start:
                break
            params["ExclusiveStartKey"] = start
        return SeriesCounts(count_series(names), complete=start is None)

    def update_userbook(
        self, user: Any, key: str, *, version: int, changes: dict[str, Any]
    ) -> UserBook:
        """Apply ``changes`` if the record is still at ``version``; bump the version.

        Raises ``StaleEdit`` when the record moved on, ``UserBook.DoesNotExist``
        when it is gone.
        """
        _forget_counts(user)
        changes = with_location_key(with_tag_keys(changes))
        current = self.get_userbook(user, key)
        if current.version != version:
            raise StaleEdit(current)
        before, old_status = codec.sort_keys(current), current.status
        held = tallies.entries(current)
        for name, value in changes.items():
            setattr(current, name, _field(name).to_python(value))
        names = [*changes, "version", "updated_at"]
        if {"corrections", "provisional"} & set(changes):
            for name, value in record_listing_fields(current).items():
                setattr(current, name, value)
                names.append(name)
        _check_rating(current.rating)
        current.version, current.updated_at = version + 1, timezone.now()
        check_item_size(codec.userbook_to_item(current), what="This record")
        # Only what changed is written: a concurrent save_book may be refreshing
        # the listing attributes, which the version does not guard.
        update = codec.userbook_update(current, names, before=before)
        moved = {}
        if current.status != old_status:
            moved = {old_status: -1, current.status: 1}
        tally = tallies.moves(after=[current], held=held)
        try:
            _update_at_version(user.pk, key, version, update, moved, tally)
        except ClientError as exc:
            if not _lost_race(exc):
                raise
            # Changed or removed since we read it (DoesNotExist if removed).
            raise StaleEdit(self.get_userbook(user, key)) from None
        return current

    def remove_userbook(self, user: Any, key: str) -> None:
        """Remove the user's record of book ``key`` (the book itself stays)."""
        _forget_counts(user)
        for _ in range(_WRITE_ATTEMPTS):
            current = self.get_userbook(user, key)
            actions = [
                {
                    "Delete": {
                        "TableName": _userbooks_table(),
                        "Key": codec.userbook_key(user.pk, key),
                        # Unchanged since read, so the right counter goes down.
                        "ConditionExpression": "version = :v",
                        "ExpressionAttributeValues": {
                            ":v": {"N": str(current.version)}
                        },
                    }
                },
                _counter_update(user.pk, {current.status: -1}),
            ]
            actions = tallies.with_tally(
                actions, user.pk, tallies.moves(before=[current])
            )
            try:
                tallies.transact(user.pk, actions)
            except ClientError as exc:
                if not _lost_race(exc):
                    raise
                continue
            return
        raise StaleEdit(self.get_userbook(user, key))
