"""DynamoDB for AWS mode: table names, the shared client, and the table schemas.

The schemas here are the one source of truth: the CloudFormation template in
``infra/`` is checked against them, tests create them in moto, and
``manage.py migrate_to_dynamo`` writes into them.

Tables (``{env}`` is the stage, ``settings.BOOKLIBRARY_ENV``):

* ``BookLibrary-Users-{env}``: ``pk`` (S). Items: ``USER#<id>`` (the account,
  with per-status book counters), ``USERNAME#<lower>`` and ``EMAIL#<lower>``
  (uniqueness sentinels, written in one transaction with the account),
  ``COUNTER#users`` (the id sequence), ``SESSION#<key>`` (sessions, expiring
  through the table's TTL attribute ``expires``) and ``CACHE#<key>`` (the
  shared cache's entries, ``booklibrary.dynamodb_cache``; the throttles count
  there), expiring likewise. ``REMOVAL#<user id>#<token>`` holds a removal
  the reader can still undo, with ``REMOVAL#<user id>#<token>#<book key>``
  per removed record (each record is one item, as in UserBooks); the sparse
  GSI ``removals-due`` (partition ``removal_due``, a constant, sort
  ``removal_due_at`` = ``<held until>\\x00<pk>``) lists the removals'
  headers by the time their undo runs out: the cleanup's work list.
  ``TALLY#<user id>`` holds the reader's tag and location counters (``t:<tag>``
  and ``l:<location>`` numbers, moved with ADD in every record write's
  transaction; ``catalog.backends.dynamodb.tallies``): the tags and locations
  pages read it with one GetItem. ``TAGJOB#<user id>`` is the reader's tag or
  location change run by the worker (one at a time), and ``TAGJOBS#running``
  a string set of the user ids whose job runs: the tag jobs' sweep reads it
  with one GetItem, then the jobs with one BatchGetItem.
  ``IMPORT#<user id>#<import id>`` is an import of a file (its progress),
  ``IMPORTS#<user id>`` the set of a user's import ids and
  ``IMPORTS#unfinished`` the set of imports not finished: the sweep's work
  list (``catalog.backends.dynamodb.imports``).
* ``BookLibrary-Books-{env}``: ``key`` (S): one item per edition, with a
  sparse GSI ``pending`` (partition ``pending``, a constant, sort
  ``pending_check`` = ``<check time>\\x00<key>``) holding only the books whose
  details are pending: the metadata sweep's work list, queried without a Scan.
* ``BookLibrary-UserBooks-{env}``: ``user_id`` (N) + ``book_key`` (S), with a
  GSI per list order (``by-added``, ``by-title``, ``by-author``, ``by-rating``,
  ``by-series``: partition ``user_id``), the same orders within one status
  (``status-by-*``: partition ``user_status`` = ``<user_id>#<status>``; not for
  the series order, which filters ``by-series`` on ``status``), and
  ``by-book`` (partition ``book_key``) to find a book's owners. A record's
  ``series_keys`` ("|dune chronicles|") is what a series filter tests with
  ``contains``; ``series_sk`` = ``<series key>\t<position>\t<title>\0<book
  key>`` orders ``by-series`` (books in no series last).
* ``BookLibrary-Loans-{env}``: ``user_id`` (N) + ``loan_sk`` (S). An open loan
  is ``<book key>#~OPEN`` (one per record: written with
  ``attribute_not_exists``), a returned one ``<book key>#<created>#<id>``,
  moved there in one transaction when it comes back; so one Query with
  ``begins_with(<book key>#)`` reads a book's whole history, and a BatchGet of
  ``<key>#~OPEN`` keys tells which of a page's books are out. The sparse GSI
  ``open-by-due`` (partition ``open_user`` = ``<user id>#<direction>``, sort
  ``open_due`` = ``<due date or 9999-12-31>#<lent on>#<book key>``) holds the
  open loans only: the loans page, overdue first. The sparse GSI ``loans-due``
  (partition ``due_all``, a constant, sort ``due_key`` =
  ``<due date>#<user id>#<book key>``) holds the open loans that have a due
  date: the daily reminders' work list, queried without a Scan.
"""

from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

USERS, BOOKS, USERBOOKS, LOANS = "Users", "Books", "UserBooks", "Loans"
# The Loans table's sparse index of open loans, by due date.
OPEN_LOANS_INDEX, OPEN_LOANS_PARTITION, OPEN_LOANS_SORT = (
    "open-by-due",
    "open_user",
    "open_due",
)
# The Loans table's sparse index of open loans with a due date, across users.
LOANS_DUE_INDEX, LOANS_DUE_PARTITION, LOANS_DUE_SORT = "loans-due", "due_all", "due_key"
LOANS_DUE_VALUE = "1"
# The Books table's sparse index of books whose details are pending.
PENDING_INDEX, PENDING_PARTITION, PENDING_SORT = "pending", "pending", "pending_check"
PENDING_VALUE = "1"
# The Users table's sparse index of removals held for undo, by expiry.
REMOVALS_INDEX, REMOVALS_PARTITION, REMOVALS_SORT = (
    "removals-due",
    "removal_due",
    "removal_due_at",
)
REMOVALS_VALUE = "1"
SORT_KEYS = {
    "added": "added_sk",
    "title": "title_sk",
    "author": "author_sk",
    "rating": "rating_sk",
    "series": "series_sk",
}
# The orders with an index per status too. The series order has none: a
# stack update can add one index per table at a time, and a series listing
# within one status filters ``by-series`` on the status instead.
STATUS_SORTS = ("added", "title", "author", "rating")


def table_name(kind: str) -> str:
    """Return the physical table name for USERS, BOOKS, USERBOOKS or LOANS."""
    return (
        f"BookLibrary-{kind}-{settings.BOOKLIBRARY_ENV}{settings.DYNAMODB_TABLE_SUFFIX}"
    )


@cache
def client():
    """Return the process-wide DynamoDB client (low-level; we own the types)."""
    return boto3.client(
        "dynamodb",
        region_name=settings.AWS_REGION,
        endpoint_url=settings.DYNAMODB_ENDPOINT_URL or None,
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )


@receiver(setting_changed)
def _reset_client(*, setting: str, **kwargs) -> None:
    if setting in {"AWS_REGION", "DYNAMODB_ENDPOINT_URL", "BOOKLIBRARY_ENV"}:
        client.cache_clear()


def _gsi(name: str, partition: str, sort: str | None, projection: str = "ALL") -> dict:
    keys = [{"AttributeName": partition, "KeyType": "HASH"}]
    if sort:
        keys.append({"AttributeName": sort, "KeyType": "RANGE"})
    return {
        "IndexName": name,
        "KeySchema": keys,
        "Projection": {"ProjectionType": projection},
    }


def table_schemas() -> dict[str, dict[str, Any]]:
    """Return CreateTable arguments (on-demand) for each table kind."""
    userbook_gsis = [_gsi(f"by-{n}", "user_id", sk) for n, sk in SORT_KEYS.items()]
    userbook_gsis += [
        _gsi(f"status-by-{n}", "user_status", SORT_KEYS[n]) for n in STATUS_SORTS
    ]
    userbook_gsis.append(_gsi("by-book", "book_key", "user_id", "KEYS_ONLY"))
    return {
        USERS: {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": REMOVALS_PARTITION, "AttributeType": "S"},
                {"AttributeName": REMOVALS_SORT, "AttributeType": "S"},
            ],
            "GlobalSecondaryIndexes": [
                _gsi(REMOVALS_INDEX, REMOVALS_PARTITION, REMOVALS_SORT, "KEYS_ONLY")
            ],
        },
        BOOKS: {
            "KeySchema": [{"AttributeName": "key", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "key", "AttributeType": "S"},
                {"AttributeName": PENDING_PARTITION, "AttributeType": "S"},
                {"AttributeName": PENDING_SORT, "AttributeType": "S"},
            ],
            "GlobalSecondaryIndexes": [
                _gsi(PENDING_INDEX, PENDING_PARTITION, PENDING_SORT, "KEYS_ONLY")
            ],
        },
        USERBOOKS: {
            "KeySchema": [
                {"AttributeName": "user_id", "KeyType": "HASH"},
                {"AttributeName": "book_key", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "user_id", "AttributeType": "N"},
                {"AttributeName": "book_key", "AttributeType": "S"},
                {"AttributeName": "user_status", "AttributeType": "S"},
                *[
                    {"AttributeName": sk, "AttributeType": "S"}
                    for sk in SORT_KEYS.values()
                ],
            ],
            "GlobalSecondaryIndexes": userbook_gsis,
        },
        LOANS: {
            "KeySchema": [
                {"AttributeName": "user_id", "KeyType": "HASH"},
                {"AttributeName": "loan_sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "user_id", "AttributeType": "N"},
                {"AttributeName": "loan_sk", "AttributeType": "S"},
                {"AttributeName": OPEN_LOANS_PARTITION, "AttributeType": "S"},
                {"AttributeName": OPEN_LOANS_SORT, "AttributeType": "S"},
                {"AttributeName": LOANS_DUE_PARTITION, "AttributeType": "S"},
                {"AttributeName": LOANS_DUE_SORT, "AttributeType": "S"},
            ],
            "GlobalSecondaryIndexes": [
                _gsi(OPEN_LOANS_INDEX, OPEN_LOANS_PARTITION, OPEN_LOANS_SORT),
                _gsi(LOANS_DUE_INDEX, LOANS_DUE_PARTITION, LOANS_DUE_SORT),
            ],
        },
    }


TTL_ATTRIBUTES = {USERS: "expires"}


def create_tables() -> None:
    """Create the tables (on-demand) where missing: tests and local trials."""
    dynamodb = client()
    existing = set(dynamodb.list_tables()["TableNames"])
    for kind, schema in table_schemas().items():
        name = table_name(kind)
        if name in existing:
            continue
        dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", **schema)
        dynamodb.get_waiter("table_exists").wait(TableName=name)
        if kind in TTL_ATTRIBUTES:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "Enabled": True,
                    "AttributeName": TTL_ATTRIBUTES[kind],
                },
            )
