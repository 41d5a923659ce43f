"""Benchmark: 10,000 Goodreads rows imported, every record created.

    .venv/bin/python bench/import_goodreads.py [--rows 10000] [--limit 20]
    .venv/bin/python bench/import_goodreads.py --backend dynamodb [--limit 60]

Writes a Goodreads library export of ``--rows`` rows (current 23-column
header; ISBNs as ``="..."``, a book in ten without an ISBN, shelves, reviews,
dates, one row in a hundred with a bad check digit), uploads it through the
import service for a new reader and runs the import job in this process, as
a worker would. Reports the seconds from the upload to the last record, rows
a second, the counts, the peak memory of this process (``ru_maxrss``) and
the library page's cost (SQL queries, or DynamoDB calls) with a few books
before the import and with every record after it; exits non-zero past
``--limit`` seconds or if the page costs more after. Details are not fetched
(the job only asks for them: the queue here keeps the requests).

``--backend orm`` (the default) uses a new SQLite file; ``--backend dynamodb``
runs the app in AWS mode against a moto server started in a process of its
own (``motoserver.py``: DynamoDB is a service apart; times are moto's, not
DynamoDB's). The uploaded file is kept on the local disk either way.
"""

import argparse
import csv
import io
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchenv import setup_django

HEADER = [
    "Book Id",
    "Title",
    "Author",
    "Author l-f",
    "Additional Authors",
    "ISBN",
    "ISBN13",
    "My Rating",
    "Publisher",
    "Binding",
    "Number of Pages",
    "Year Published",
    "Original Publication Year",
    "Date Read",
    "Date Added",
    "Bookshelves",
    "Bookshelves with positions",
    "Exclusive Shelf",
    "My Review",
    "Spoiler",
    "Private Notes",
    "Read Count",
    "Owned Copies",
]
SHELVES = ("read", "to-read", "currently-reading", "did-not-finish")


def isbn13(n: int, *, good: bool = True) -> str:
    body = f"979{n:09d}"
    total = sum(int(d) * (1 + 2 * (i % 2)) for i, d in enumerate(body))
    check = (10 - total % 10) % 10
    return body + str(check if good else (check + 1) % 10)


def goodreads_export(rows: int, out: io.TextIOBase) -> None:
    """Write the export's rows to ``out``, one at a time."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for n in range(rows):
        shelf = SHELVES[n % len(SHELVES)]
        no_isbn = n % 10 == 9
        code = "" if no_isbn else isbn13(n, good=n % 100 != 42)
        read = shelf in ("read", "did-not-finish")
        writer.writerow(
            [
                str(100000 + n),
                f"Book number {n} (Bench Saga, #{n % 12 + 1})",
                f"Author {n % 700}",
                f"{n % 700}, Author",
                "",
                '=""',
                f'="{code}"',
                str(n % 6),
                "Bench Press",
                "Paperback",
                str(100 + n % 900),
                "2001",
                "1999",
                f"2020/{n % 12 + 1:02d}/{n % 28 + 1:02d}" if read else "",
                f"2019/{n % 12 + 1:02d}/{n % 28 + 1:02d}",
                f"{shelf}, bench-tag-{n % 20}",
                f"{shelf} (#{n}), bench-tag-{n % 20} (#{n})",
                shelf,
                "A fine book.<br/>Would read again." if n % 3 == 0 else "",
                "",
                "Shelf B" if n % 5 == 0 else "",
                "1" if read else "0",
                str(n % 2),
            ]
        )


AWS_ENVIRON = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",  # moto accepts any
    "AWS_DEFAULT_REGION": "us-west-2",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    """Start a moto server in a process of its own; return it and its URL."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (this interpreter, our own code)
        [sys.executable, str(Path(__file__).with_name("motoserver.py")), str(port)],
        stdout=subprocess.PIPE,
        env={**os.environ, **AWS_ENVIRON},
        text=True,
    )
    for line in server.stdout:  # moto says where it listens, then "ready"
        if line.strip() == "ready":
            break
    else:
        server.kill()
        raise SystemExit("The moto server did not start.")
    return server, f"http://127.0.0.1:{port}"


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux: KB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PageCost:
    """Counts what one request for the library page costs on the backend."""

    def __init__(self, backend: str):
        self.backend = backend
        self.calls: Counter = Counter()
        if backend == "dynamodb":
            from booklibrary import dynamodb

            dynamodb.client().meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model, **kwargs) -> None:
        self.calls[model.name] += 1

    def measure(self, user) -> str:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.urls import reverse

        client = Client()
        client.force_login(user)
        client.get(reverse("catalog:book-list"))  # the session's first read
        self.calls.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("catalog:book-list"))
        assert response.status_code == 200, response.status_code
        if self.backend == "dynamodb":
            made = ", ".join(f"{n} {op}" for op, n in sorted(self.calls.items()))
            return f"{sum(self.calls.values())} DynamoDB calls ({made})"
        return f"{len(queries.captured_queries)} SQL queries"


def seed(user, count: int) -> None:
    """A few books in the library before the import (none of the file's)."""
    from catalog import services

    for n in range(count):
        services.userbook_add(user=user, isbn=isbn13(900_000 + n), status="want")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=("orm", "dynamodb"), default="orm")
    parser.add_argument(
        "--limit", type=float, help="seconds allowed (20 on the ORM, 60 on DynamoDB)"
    )
    args = parser.parse_args(argv)
    limit = args.limit or (60.0 if args.backend == "dynamodb" else 20.0)
    server = None
    environ = {"TEST_TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    if args.backend == "dynamodb":
        server, url = start_moto()
        environ.update(AWS_ENVIRON)
    try:
        setup_django(**environ)
        if args.backend == "dynamodb":
            from django.conf import settings

            from booklibrary import dynamodb
            from tests.aws import DYNAMO_MODE

            for name, value in {
                "AWS_REGION": "us-west-2",
                "BOOKLIBRARY_ENV": "bench",
                "DYNAMODB_ENDPOINT_URL": url,
                **DYNAMO_MODE,
            }.items():
                setattr(settings, name, value)
            dynamodb.client.cache_clear()
            dynamodb.create_tables()
        return run(args, limit)
    finally:
        if server is not None:
            server.kill()
            server.wait()


def run(args, limit: float) -> int:
    from django.core.files import File

    from catalog import services
    from catalog.models import UserBook
    from tests.factories import UserFactory

    # On disk, written and uploaded in pieces: the file is not in memory
    # before the import, so the peak memory measured is the import's.
    path = Path(tempfile.mkdtemp(prefix="booklibrary-bench-")) / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        goodreads_export(args.rows, out)
    size = path.stat().st_size
    user = UserFactory()
    cost = PageCost(args.backend)
    seed(user, 30)
    page_before = cost.measure(user)
    memory_before = peak_mb()
    upload = File(path.open("rb"), name="goodreads_library_export.csv")
    started = time.perf_counter()
    job = services.import_start(
        user=user, uploaded_file=upload, file_name="goodreads_library_export.csv"
    )
    accepted = time.perf_counter() - started
    job = services.import_run(user_id=user.pk, import_id=job.pk, seconds=3600)
    elapsed = time.perf_counter() - started
    memory_after = peak_mb()
    records = UserBook.objects.status_counts(user)["all"] - 30
    page_after = cost.measure(user)
    print(f"Backend: {args.backend}")
    print(f"File: {args.rows:,} rows, {size / 1e6:.1f} MB")
    print(f"Upload accepted in {accepted:.2f} s")
    print(
        f"All records created in {elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s):"
        f" state {job.state}, {job.imported:,} imported, {job.already} already,"
        f" {job.duplicate} repeated, {job.failed} failed; {records:,} records"
    )
    print(
        f"Peak memory: {memory_after:.0f} MB ({memory_after - memory_before:+.0f} MB"
        " during the import)"
    )
    print(f"Library page with 30 books: {page_before}")
    print(f"Library page after the import: {page_after}")
    ok = job.state == "done" and records == job.imported and elapsed <= limit
    if elapsed > limit:
        print(f"Over the limit of {limit:.0f} s", file=sys.stderr)
    if page_after != page_before:
        print("The library page costs more after the import", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
