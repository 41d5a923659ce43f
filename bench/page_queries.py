"""Benchmark: SQL queries and time per page as a library grows.

    .venv/bin/python bench/page_queries.py [--sizes 10 1000 20000] [--repeat 5]

Builds libraries of the given sizes in a throwaway SQLite file and reports, for
each page, the number of queries (must not grow with the size) and the median
response time. Exits non-zero if any page's query count differs between sizes.
"""

import argparse
import statistics
import sys
import time

from benchenv import setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.backends.base import listing_fields  # noqa: E402
from catalog.models import Book, UserBook  # noqa: E402

PAGES = [
    "/",
    "/books/",
    "/books/?sort=title",
    "/books/?sort=author&status=read",
    "/books/?sort=rating",
    "/books/?q=tolkien",
    "/books/?q=book+1234",
]
AUTHORS = [
    "J. R. R. Tolkien",
    "Ursula K. Le Guin",
    "Gabriel García Márquez",
    "Jane Austen",
]


def isbn13(n: int) -> str:
    first12 = f"978{n:09d}"
    total = sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def fill(user: User, size: int) -> None:
    statuses = ["want", "reading", "read", "dnf"]
    books = [
        Book(
            key=isbn13(n),
            isbn13=isbn13(n),
            title=f"Book {n}",
            authors=[AUTHORS[n % len(AUTHORS)]],
            metadata_status="complete",
        )
        for n in range(size)
    ]
    Book.objects.bulk_create(books, ignore_conflicts=True, batch_size=2000)
    now = timezone.now()
    UserBook.objects.bulk_create(
        [
            UserBook(
                user=user,
                book=b,
                status=statuses[n % 4],
                added_at=now,
                rating=(n % 10 + 1) / 2 if n % 3 else None,
                **listing_fields(b),
            )
            for n, b in enumerate(books)
        ],
        batch_size=2000,
    )


def measure(client: Client, url: str, repeat: int) -> tuple[int, float]:
    timings, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    return queries, statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 20000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    counts: dict[str, set[int]] = {url: set() for url in PAGES}
    print(f"{'page':36} {'books':>7} {'queries':>8} {'median ms':>10}")
    for size in args.sizes:
        user = User.objects.create_user(f"bench{size}", f"bench{size}@example.com", "x")
        fill(user, size)
        client = Client()
        client.force_login(user)
        for url in PAGES:
            queries, ms = measure(client, url, args.repeat)
            counts[url].add(queries)
            print(f"{url:36} {size:>7} {queries:>8} {ms:>10.1f}")
    growing = [url for url, seen in counts.items() if len(seen) > 1]
    if growing:
        print("Query counts grow with the library on:", ", ".join(growing))
        return 1
    print("Query counts are constant across sizes.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
