"""A large library written straight into the DynamoDB tables, in batches.

For tests and benchmarks that need thousands of books on the DynamoDB backend
without paying for thousands of ``userbook_add`` transactions.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from booklibrary import dynamo_utils, dynamodb
from catalog.backends.base import listing_fields
from catalog.backends.dynamodb import tallies
from catalog.backends.dynamodb.items import book_to_item, userbook_to_item
from catalog.locations import stored_fields as location_fields
from catalog.models import Book, MetadataStatus, UserBook
from catalog.tags import stored_fields
from tests.factories import isbn13_for

STATUSES = ["want", "reading", "read", "dnf"]


def several_readings(status: str) -> list[dict]:
    """Readings for a record of this status: read before, and progress now."""
    if status == "want":
        return []
    earlier = [
        {
            "id": n,
            "started_on": f"202{n}-01-0{n}",
            "finished_on": f"202{n}-02-0{n}",
            "outcome": "finished",
            "progress_page": None,
            "progress_percent": None,
        }
        for n in (1, 2)
    ]
    last = {**earlier[-1], "id": 3, "started_on": "2025-03-01", "finished_on": None}
    last.update(outcome={"reading": "reading", "read": "finished"}.get(status, "dnf"))
    if status == "reading":
        last["progress_page"] = 40
    return [*earlier, last]


def dynamo_book(n: int, **fields) -> Book:
    isbn = isbn13_for(500000 + n)
    return Book(
        key=isbn,
        isbn13=isbn,
        title=f"Title {n:05d}",
        authors=[f"Author {n % 97}"],
        metadata_status=MetadataStatus.COMPLETE,
        created_at=timezone.now(),
        updated_at=timezone.now(),
        **fields,
    )


def fill_dynamo_library(
    user,
    count: int,
    tags_for=None,
    location_for=None,
    series_for=None,
    *,
    tallied: bool = True,
) -> list[Book]:
    """Store ``count`` books and the user's records of them in batches of 25.

    ``tags_for(n)``, when given, returns the tags of the n-th record,
    ``location_for(n)`` its location and ``series_for(n)`` its book's series.
    The tag and location counters are stored too, unless ``tallied`` is False
    (records from before them).
    """
    now = timezone.now()
    books = [
        dynamo_book(n, series=series_for(n) if series_for else []) for n in range(count)
    ]
    records = [
        UserBook(
            user_id=user.pk,
            book=book,
            status=STATUSES[n % 4],
            rating=Decimal(n % 11) / 2 or None,
            added_at=now - timedelta(minutes=n),
            updated_at=now,
            readings=several_readings(STATUSES[n % 4]),
            **listing_fields(book),
            **stored_fields(tags_for(n) if tags_for else []),
            **location_fields(location_for(n) if location_for else ""),
        )
        for n, book in enumerate(books)
    ]
    client = dynamodb.client()
    books_table = dynamodb.table_name(dynamodb.BOOKS)
    dynamo_utils.batch_put(client, books_table, [book_to_item(b) for b in books])
    dynamo_utils.batch_put(
        client,
        dynamodb.table_name(dynamodb.USERBOOKS),
        [userbook_to_item(r) for r in records],
    )
    client.update_item(
        TableName=dynamodb.table_name(dynamodb.USERS),
        Key={"pk": {"S": f"USER#{user.pk}"}},
        UpdateExpression="SET " + ", ".join(f"count_{s} = :{s}" for s in STATUSES),
        ExpressionAttributeValues={
            f":{s}": {"N": str(sum(r.status == s for r in records))} for s in STATUSES
        },
    )
    if tallied:
        tallies.store(user.pk, records)
    else:
        tallies.drop(user.pk)
    return books
