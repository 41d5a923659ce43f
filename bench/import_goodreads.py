"""Benchmark: 10,000 Goodreads rows imported, every record created (SQLite).

    .venv/bin/python bench/import_goodreads.py [--rows 10000] [--limit 20]

Writes a Goodreads library export of ``--rows`` rows (current 23-column
header; ISBNs as ``="..."``, a book in ten without an ISBN, shelves, reviews,
dates, one row in a hundred with a bad check digit), uploads it through the
import service for a new reader and runs the import job in this process, as
a worker would. Reports the seconds from the upload to the last record, rows
a second and the counts; exits non-zero past ``--limit`` seconds. Details are
not fetched (the job only asks for them: the queue here keeps the requests).
"""

import argparse
import csv
import io
import sys
import time

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


def goodreads_export(rows: int) -> bytes:
    out = io.StringIO()
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
    return out.getvalue().encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=20.0)
    args = parser.parse_args(argv)
    setup_django(TEST_TASKS_BACKEND="django.tasks.backends.dummy.DummyBackend")

    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog import services
    from catalog.models import UserBook
    from tests.factories import UserFactory

    data = goodreads_export(args.rows)
    user = UserFactory()
    upload = SimpleUploadedFile("goodreads_library_export.csv", data)
    started = time.perf_counter()
    job = services.import_start(
        user=user, uploaded_file=upload, file_name="goodreads_library_export.csv"
    )
    accepted = time.perf_counter() - started
    job = services.import_run(user_id=user.pk, import_id=job.pk, seconds=3600)
    elapsed = time.perf_counter() - started
    records = UserBook._base_manager.filter(user_id=user.pk).count()
    print(f"File: {args.rows:,} rows, {len(data) / 1e6:.1f} MB")
    print(f"Upload accepted in {accepted:.2f} s")
    print(
        f"All records created in {elapsed:.1f} s ({args.rows / elapsed:,.0f} rows/s):"
        f" state {job.state}, {job.imported:,} imported, {job.already} already,"
        f" {job.duplicate} repeated, {job.failed} failed; {records:,} records"
    )
    ok = job.state == "done" and records == job.imported and elapsed <= args.limit
    if elapsed > args.limit:
        print(f"Over the limit of {args.limit:.0f} s", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
