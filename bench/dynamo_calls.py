"""Benchmark: DynamoDB calls and time per page on AWS mode as a library grows.

    .venv/bin/python bench/dynamo_calls.py [--sizes 10 1000 2000] [--repeat 3]

Runs the app in AWS mode against moto (in process, no AWS account), fills a
library of each size straight into the tables, and reports for each page the
DynamoDB calls of one request (session and user loading included) and the
median time. Times are moto's, not DynamoDB's: compare them with each other,
not with production. Exits non-zero if a page's calls change with the size
(search excepted: it reads the user's partition until a page is full) or if
any request Scans.
"""

import argparse
import statistics
import sys
import time
from collections import Counter

from benchenv import setup_django

setup_django(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 (moto accepts any)
    AWS_DEFAULT_REGION="us-west-2",
)

from django.test import Client, override_settings  # noqa: E402
from moto import mock_aws  # noqa: E402

from booklibrary import dynamodb  # noqa: E402
from tests.aws import DYNAMO_MODE  # noqa: E402
from tests.dynamo_library import fill_dynamo_library  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

PAGES = [
    "/",
    "/books/",
    "/books/?sort=title",
    "/books/?sort=author&status=read",
    "/books/?sort=rating",
    "/books/{isbn}/",
    "/profile/",
]
# Search filters the user's partition: its calls grow with the library.
SEARCHES = ["/books/?q=Author+7", "/books/?q=Title+00001"]


def measure(client: Client, calls: list[str], url: str, repeat: int):
    timings = []
    for _ in range(repeat):
        calls.clear()
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return list(calls), statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    calls: list[str] = []

    def record(model, **kwargs):
        calls.append(model.name)

    seen: dict[str, set[tuple[str, ...]]] = {}
    print(f"{'page':34} {'books':>6} {'calls':>5}  {'median ms':>9}  operations")
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
            books = fill_dynamo_library(user, size)
            client = Client()
            client.force_login(user)
            for page in PAGES + SEARCHES:
                url = page.format(isbn=books[size // 2].pk)
                made, ms = measure(client, calls, url, args.repeat)
                if page in PAGES:
                    seen.setdefault(page, set()).add(tuple(made))
                summary = ", ".join(f"{n} {op}" for op, n in Counter(made).items())
                print(f"{url[:34]:34} {size:>6} {len(made):>5}  {ms:>9.1f}  {summary}")
    scans = [page for page, runs in seen.items() if any("Scan" in r for r in runs)]
    growing = [page for page, runs in seen.items() if len(runs) > 1]
    if scans:
        print("Pages that Scan:", ", ".join(scans))
    if growing:
        print("Calls change with the library on:", ", ".join(growing))
    if scans or growing:
        return 1
    print("Calls per page are constant across sizes, and no page Scans.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
