"""Benchmark: what exporting a whole library costs, on both backends.

    .venv/bin/python bench/export_cost.py [--sizes 100 1000 2000]

For each size, fills a library (SQLite, then DynamoDB under moto, in
process) and downloads the JSON export through the test client, reporting
the SQL queries or DynamoDB calls of the request, its time and the peak of
memory the export allocated (tracemalloc). Exits non-zero if the reads are
not one for the loans and a fixed number per page of records, or if a
request Scans. Times are SQLite's and moto's: compare them with each other.
Under moto the peak includes moto's own work in the same process (each Query
of an index reads the whole index there), which grows with the table.
"""

import argparse
import math
import sys
import time
import tracemalloc
from collections import Counter

from benchenv import setup_django

setup_django(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 (moto accepts any)
    AWS_DEFAULT_REGION="us-west-2",
)

from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from moto import mock_aws  # noqa: E402

from booklibrary import dynamodb  # noqa: E402
from catalog import exporting  # noqa: E402
from catalog.backends.base import listing_fields  # noqa: E402
from catalog.models import Book, UserBook  # noqa: E402
from tests.aws import DYNAMO_MODE  # noqa: E402
from tests.dynamo_library import fill_dynamo_library, several_readings  # noqa: E402
from tests.factories import UserFactory, isbn13_for  # noqa: E402

STATUSES = ["want", "reading", "read", "dnf"]


def fill_orm(user, size: int) -> None:
    books = Book.objects.bulk_create(
        [
            Book(
                key=isbn13_for(700000 + n + size * 10),
                isbn13=isbn13_for(700000 + n + size * 10),
                title=f"Book {n}",
                authors=[f"Author {n % 97}"],
                metadata_status="complete",
            )
            for n in range(size)
        ]
    )
    now = timezone.now()
    UserBook.objects.bulk_create(
        [
            UserBook(
                user=user,
                book=book,
                status=STATUSES[n % 4],
                added_at=now,
                notes=f"Notes of book {n}\nwith a second line",
                tags=["Even"] if n % 2 == 0 else [],
                readings=several_readings(STATUSES[n % 4]),
                **listing_fields(book),
            )
            for n, book in enumerate(books)
        ],
        batch_size=500,
    )


def download(client: Client) -> tuple[int, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    response = client.get(reverse("catalog:export-json"))
    size = sum(len(piece) for piece in response.streaming_content)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert response.status_code == 200
    return size, seconds, peak


def pages(size: int) -> int:
    return max(1, math.ceil(size / exporting.PAGE_SIZE))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 2000])
    args = parser.parse_args()
    wrong = []
    heads = ("books", "reads", "seconds", "MB out", "peak MB")
    print(f"{'backend':9} " + " ".join(f"{h:>7}" for h in heads))
    for size in args.sizes:
        user = UserFactory()
        fill_orm(user, size)
        client = Client()
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            out, seconds, peak = download(client)
        # The session and the user, then the loans and one query a page.
        if len(queries) != 3 + pages(size):
            wrong.append(f"orm {size}: {len(queries)} queries")
        print(
            f"{'orm':9} {size:>7} {len(queries):>7} {seconds:>7.2f} "
            f"{out / 1e6:>7.2f} {peak / 1e6:>7.2f}"
        )
    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(model.name)

    with (
        mock_aws(),
        override_settings(
            AWS_REGION="us-west-2",
            BOOKLIBRARY_ENV="bench",
            DYNAMODB_ENDPOINT_URL="",
            **DYNAMO_MODE,
        ),
    ):
        dynamodb.client.cache_clear()
        dynamodb.create_tables()
        dynamodb.client().meta.events.register("before-call.dynamodb", record)
        for size in args.sizes:
            user = UserFactory()
            fill_dynamo_library(user, size, tags_for=lambda n: ["Even"][: n % 2])
            client = Client()
            client.force_login(user)
            calls.clear()
            out, seconds, peak = download(client)
            expected = ["GetItem", "GetItem", "Query"]
            expected += ["Query", "BatchGetItem"] * pages(size)
            if calls != expected:
                wrong.append(f"dynamodb {size}: {Counter(calls)}")
            print(
                f"{'dynamodb':9} {size:>7} {len(calls):>7} {seconds:>7.2f} "
                f"{out / 1e6:>7.2f} {peak / 1e6:>7.2f}"
            )
    if wrong:
        print("Reads not as expected:", "; ".join(wrong))
        return 1
    print(
        f"Reads: the loans once, then per {exporting.PAGE_SIZE} records one query "
        "(ORM) or a Query and a BatchGetItem (DynamoDB); no Scan."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
