"""Benchmark: details for 10,000 new ISBNs, fetched by the import's jobs.

    .venv/bin/python bench/import_metadata.py [--isbns 10000] [--max-calls 400]

Imports a plain list of ``--isbns`` new ISBN-13s (valid check digits) for a
new reader on SQLite, through the import service; the import only asks for
the details, in jobs of 25 books. The fake provider (tests/fake_provider.py)
then stands in for Open Library and Google Books: Open Library knows 97% of
the ISBNs with every field (3% it does not know; Google Books knows two in
three of those), and Google Books answers 429 (Retry-After: 1 s) now and
then, three times in a row once. The queued jobs run in this process, one
after another as one worker would, a retry waiting for its time.

Reports the calls to Open Library's Books API (first tries and retries),
the Google Books requests and 429s and what became of them, the seconds, and
what every book ended as. Exits non-zero if Open Library was called more than
``--max-calls`` times on first tries, Google Books was asked for a book Open
Library knows, or a book did not end fetched (complete, or not found).
"""

import argparse
import logging
import sys
import time
from collections import Counter

from benchenv import setup_django

BOOKS_API = "/api/books"
VOLUMES = "/books/v1/volumes"


class Tally(logging.Handler):
    """Counts the provider layer's log lines about retries and cool-downs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "retrying in" in message and "rate-limiting" in message:
            self.counts["retried"] += 1
        elif "not asked for" in message:
            self.counts["cool-downs"] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isbns", type=int, default=10_000)
    parser.add_argument("--max-calls", type=int, default=400)
    args = parser.parse_args(argv)
    setup_django(TEST_TASKS_BACKEND="django.tasks.backends.dummy.DummyBackend")

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog import services
    from catalog.metadata import allowance
    from catalog.models import Book
    from tests.factories import UserFactory
    from tests.fake_provider import FakeProviderServer, isbn13_for, make_cover_jpeg
    from tests.metadata_worker import QueueWorker

    isbns = [isbn13_for(n) for n in range(args.isbns)]
    unknown = {isbn for n, isbn in enumerate(isbns) if n % 100 in (7, 42, 77)}
    on_google = {isbn for n, isbn in enumerate(isbns) if n % 100 in (7, 42)}
    tally = Tally()
    for name in ("catalog.metadata.http", "catalog.metadata.allowance"):
        logging.getLogger(name).addHandler(tally)
        logging.getLogger(name).setLevel(logging.INFO)
    for name in ("catalog", "worker"):
        # Counted here, not printed line by line.
        logging.getLogger(name).propagate = False
        logging.getLogger(name).addHandler(logging.NullHandler())

    with FakeProviderServer() as fake:
        fake.stock(isbns, unknown=unknown, google=on_google)
        fake.cover_bytes = make_cover_jpeg(seed="bench")
        fake.retry_after = "1"
        fake.google_429_at = set(range(25, 400, 60)) | {100, 101, 102}
        for name in ("OPENLIBRARY_URL", "OPENLIBRARY_COVERS_URL", "GOOGLE_BOOKS_URL"):
            setattr(settings, name, fake.url)

        user = UserFactory()
        data = ("\n".join(isbns) + "\n").encode()
        started = time.perf_counter()
        job = services.import_start(
            user=user,
            uploaded_file=SimpleUploadedFile("isbns.txt", data),
            file_name="isbns.txt",
        )
        job = services.import_run(user_id=user.pk, import_id=job.pk, seconds=3600)
        imported = time.perf_counter() - started
        asked_during_import = len(fake.requests)

        calls = Counter()

        def count(job_args: tuple, job_kwargs: dict) -> None:
            attempt = job_args[1] if len(job_args) > 1 else 1
            kind = "first tries" if attempt == 1 else "retries"
            total = fake.calls(BOOKS_API)
            calls[kind] += total - calls["seen"]
            calls["seen"] = total
            calls[f"jobs ({kind})"] += 1
            if attempt > 1:
                calls["books retried"] += len(job_args[0])

        worker = QueueWorker(after=count)
        started = time.perf_counter()
        worker.run()
        fetched = time.perf_counter() - started

    statuses = Counter(
        book.metadata_status for book in Book.objects.get_many(isbns).values()
    )
    google_asked = [
        q["q"].removeprefix("isbn:") for path, q in fake.requests if path == VOLUMES
    ]
    strays = set(google_asked) - unknown
    print(f"Import of {args.isbns:,} ISBNs: {job.state}, {job.imported:,} imported")
    print(
        f"  in {imported:.1f} s; provider requests while it ran: {asked_during_import}"
    )
    print(
        f"Fetch jobs: {calls['jobs (first tries)']} first tries, "
        f"{calls['jobs (retries)']} retries; {fetched:.1f} s "
        f"({worker.waited:.1f} s of it waiting for retries' time)"
    )
    print(
        f"Open Library Books API calls: {calls['first tries']} on first tries"
        f" (at most {args.max_calls}), {calls['retries']} on retries"
    )
    print(
        f"Google Books requests: {len(google_asked)} for {len(set(google_asked))}"
        f" ISBNs ({len(unknown)} unknown to Open Library), {fake.google_429s} of"
        f" them answered 429; today's count in the shared cache:"
        f" {allowance.requests_today('google')} of {settings.GOOGLE_BOOKS_DAILY_QUOTA}"
    )
    print(
        f"  429s: {tally.counts['retried']} retried within their call after"
        f" Retry-After; {tally.counts['cool-downs']} call(s) still refused after"
        " its retries, then no job asked Google until Retry-After had passed:"
        f" {calls['books retried']} books waited for a retry job"
        " (asking Google only)"
    )
    print("Books: " + ", ".join(f"{n:,} {s}" for s, n in sorted(statuses.items())))
    ok = True
    if calls["first tries"] > args.max_calls:
        print("Too many Open Library calls", file=sys.stderr)
        ok = False
    if strays:
        print(f"Google Books asked for {len(strays)} known books", file=sys.stderr)
        ok = False
    if set(statuses) - {"complete", "not_found"} or statuses.total() != len(isbns):
        print("Not every book ended fetched", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
