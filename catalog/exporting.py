"""Export a reader's whole library: JSON (version 1), Goodreads CSV, or a ZIP.

Records are read a page at a time through the manager (the "added" listing,
oldest page last), so memory stays bounded whatever the library's size; the
reader's loans are read once, in one Query, and kept by book. Each record is
exported as its reader sees it: their corrections, else the fetched details
(``catalog.shown``). The JSON is the format ``catalog.imports`` reads back;
the README documents its fields.
"""

import csv
import io
import posixpath
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from django.core.files.storage import default_storage
from django.utils import timezone

from catalog import isbn, readings
from catalog.backends.base import own_cover_files
from catalog.imports.formats import native_export
from catalog.imports.formats.goodreads import is_wishlist
from catalog.imports.rows import ImportLoan, ImportRow, Reading, SeriesEntry
from catalog.imports.values import formula_escaped
from catalog.models import Loan, ReadingStatus, UserBook
from catalog.series import from_stored as stored_series

# Records read per page: one Query (or SQL query) and one batch of books each.
PAGE_SIZE = 100
# A reading's outcome as the export writes it: the status it gives the book.
_OUTCOMES = {
    readings.FINISHED: ReadingStatus.READ.value,
    readings.DNF: ReadingStatus.DNF.value,
    readings.READING: ReadingStatus.READING.value,
}
GOODREADS_HEADER = (
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
)
GOODREADS_SHELVES = {
    ReadingStatus.WANT: "to-read",
    ReadingStatus.READING: "currently-reading",
    ReadingStatus.READ: "read",
    ReadingStatus.DNF: "did-not-finish",
}
# A book the reader does not own: Goodreads writes 0 copies for most books, so
# the shelf says it (the Goodreads import reads it back as not owned).
WISHLIST_SHELF = "wishlist"
ZIP_JSON = "library.json"
COVERS_FOLDER = "covers"


@dataclass
class Exported:
    """One record as exported: the row and the reader's own cover file, if any."""

    record: UserBook
    row: ImportRow
    cover_file: str = ""


def filename(kind: str, today: date | None = None) -> str:
    """Return a download's name: ``booklibrary-2026-11-29.json``."""
    return f"booklibrary-{(today or timezone.localdate()).isoformat()}.{kind}"


def exported_at() -> str:
    return timezone.now().replace(microsecond=0).isoformat()


def user_records(user: Any, *, page_size: int | None = None) -> Iterator[UserBook]:
    """Yield every record of the user's, newest first, a page at a time."""
    page_size = page_size or PAGE_SIZE
    cursor = None
    while True:
        page = UserBook.objects.page_for_user(
            user, sort="added", cursor=cursor, limit=page_size
        )
        yield from page.items
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def loans_by_book(user: Any) -> dict[str, list[Loan]]:
    """Return every loan of the user's by book key, oldest first (one read)."""
    found: dict[str, list[Loan]] = {}
    for loan in Loan.objects.for_user(user):
        found.setdefault(loan.book_key, []).append(loan)
    for loans in found.values():
        loans.sort(key=lambda loan: (loan.created_at, loan.pk))
    return found


def library(user: Any, *, page_size: int | None = None) -> Iterator[Exported]:
    """Yield every record of the user's with what the export writes of it."""
    loans = loans_by_book(user)
    for index, record in enumerate(user_records(user, page_size=page_size)):
        yield Exported(
            record,
            export_row(record, loans.get(record.book_id, []), index=index),
            _own_cover(record),
        )


def _own_cover(record: UserBook) -> str:
    cover = (record.corrections or {}).get("cover")
    return cover if cover in own_cover_files(record) else ""


def _isbn_key(key: str) -> str | None:
    """A book's ISBN from its key, when its own details are missing."""
    return key if len(key) == 13 and isbn.is_valid(key) else None


def export_row(record: UserBook, loans: list[Loan], *, index: int = 0) -> ImportRow:
    """Return one record as the reader sees it, in the import rows' terms."""
    shown = record.shown
    return ImportRow(
        index=index,
        line=index + 1,
        end_line=index + 1,
        isbn13=record.book.isbn13 or _isbn_key(record.book_id),
        title=shown.title or "",
        subtitle=shown.subtitle or "",
        authors=list(shown.authors or []),
        publisher=shown.publisher or "",
        published=shown.publish_date or "",
        pages=shown.pages,
        language=shown.language or "",
        description=shown.description or "",
        status=record.status,
        rating=record.rating,
        owned=bool(record.owned),
        location=record.location or "",
        notes=record.notes or "",
        review="",  # the app keeps no review apart from the notes
        tags=list(record.tags or []),
        series=[
            SeriesEntry(one["name"], one.get("position", ""))
            for one in stored_series(shown.series)
        ],
        readings=[
            Reading(
                readings.as_date(one.get("started_on")),
                readings.as_date(one.get("finished_on")),
                _OUTCOMES[one["outcome"]],
                progress_page=one.get("progress_page"),
                progress_percent=one.get("progress_percent"),
            )
            for one in readings.history(record)
        ],
        loans=[
            ImportLoan(
                direction=loan.direction,
                person=loan.person,
                email=loan.email or "",
                lent_on=loan.lent_on,
                due_on=loan.due_on,
                returned_on=loan.returned_on,
                note=loan.note or "",
                remind_person=bool(loan.remind_person),
            )
            for loan in loans
        ],
        added_on=timezone.localdate(record.added_at) if record.added_at else None,
    )


# JSON ---------------------------------------------------------------------------


def json_chunks(user: Any, *, at: str | None = None) -> Iterator[str]:
    """Yield the JSON export of the user's library, a record a line."""
    records = (native_export.record_json(one.row) for one in library(user))
    return native_export.chunks(records, exported_at=at or exported_at())


# Goodreads CSV ------------------------------------------------------------------


def escape_cell(value: str) -> str:
    """Return a cell a spreadsheet will not run: a leading formula sign is quoted.

    The Goodreads import takes the apostrophe off again (``values``).
    """
    return formula_escaped(value)


def isbn_cell(value: str | None) -> str:
    """Return an ISBN cell in Goodreads' way: ``="0441172717"`` (``=""`` for none).

    Written by us from a checked ISBN (digits, maybe an X), never from typed
    text: the one cell left unescaped, so that Goodreads and our importer read it.
    """
    if value and not all(c.isdigit() or c == "X" for c in value):
        raise ValueError("An ISBN cell holds digits only.")
    return f'="{value or ""}"'


def whole_stars(rating: Decimal | None) -> str:
    """Return a rating in Goodreads' whole stars: a half star rounds up; 0 is none."""
    if rating is None:
        return "0"
    return str(int(Decimal(rating).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _slashes(day: date | None) -> str:
    return day.strftime("%Y/%m/%d") if day else ""


def _surname_first(name: str) -> str:
    parts = name.split()
    if "," in name or len(parts) < 2:
        return name
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def _year(published: str) -> str:
    digits = "".join(c if c.isdigit() else " " for c in published).split()
    years = [d for d in digits if len(d) == 4]
    return years[0] if years else ""


def _goodreads_title(row: ImportRow) -> str:
    """The title, with its first series as Goodreads writes it: "Dune (Dune, #1)"."""
    numbered = [s for s in row.series if s.position[:1].isdigit()]
    if not numbered or not row.title:
        return row.title
    return f"{row.title} ({numbered[0].name}, #{numbered[0].position})"


def goodreads_cells(row: ImportRow) -> list[str]:
    """Return one record's cells under ``GOODREADS_HEADER``, escaped."""
    finished = [
        r for r in row.readings if r.outcome == ReadingStatus.READ and r.finished_on
    ]
    read_count = sum(1 for r in row.readings if r.outcome == ReadingStatus.READ)
    shelf = GOODREADS_SHELVES[row.status]
    shelves = [*row.tags]
    if row.owned is False and not any(is_wishlist(t) for t in shelves):
        shelves.append(WISHLIST_SHELF)
    first, *others = row.authors or [""]
    text = {
        "Book Id": "",
        "Title": _goodreads_title(row),
        "Author": first,
        "Author l-f": _surname_first(first),
        "Additional Authors": ", ".join(others),
        "My Rating": whole_stars(row.rating),
        "Publisher": row.publisher,
        "Binding": "",
        "Number of Pages": str(row.pages or ""),
        "Year Published": _year(row.published),
        "Original Publication Year": "",
        "Date Read": _slashes(max((r.finished_on for r in finished), default=None)),
        "Date Added": _slashes(row.added_on),
        "Bookshelves": ", ".join([*shelves, shelf]),
        "Bookshelves with positions": "",
        "Exclusive Shelf": shelf,
        "My Review": row.review.replace("\r\n", "\n").replace("\n", "<br/>"),
        "Spoiler": "",
        "Private Notes": row.notes,
        "Read Count": str(read_count),
        "Owned Copies": "1" if row.owned else "0",
    }
    cells = {name: escape_cell(value) for name, value in text.items()}
    cells["ISBN"] = isbn_cell(isbn.to_isbn10(row.isbn13) if row.isbn13 else None)
    cells["ISBN13"] = isbn_cell(row.isbn13)
    return [cells[name] for name in GOODREADS_HEADER]


def csv_chunks(user: Any) -> Iterator[str]:
    """Yield the Goodreads CSV of the user's library: the header, then a row each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GOODREADS_HEADER)
    for one in library(user):
        writer.writerow(goodreads_cells(one.row))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# ZIP ----------------------------------------------------------------------------


def cover_name(record: UserBook, stored: str) -> str:
    """Return a cover photo's name in the ZIP: ``covers/<ISBN or key>.<ext>``."""
    extension = posixpath.splitext(stored)[1].lower() or ".jpg"
    return f"{COVERS_FOLDER}/{record.book_id}{extension}"


def write_zip(user: Any, out: IO[bytes], *, at: str | None = None) -> None:
    """Write the ZIP export: ``library.json`` and the reader's own cover photos.

    A record whose photo is in the ZIP names it in ``cover``; a photo that
    cannot be read is left out and its record says ``null``.
    """
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+b") as json_file,
    ):
        text = io.TextIOWrapper(json_file, encoding="utf-8", newline="")
        records = (_zip_record(archive, one) for one in library(user))
        for piece in native_export.chunks(records, exported_at=at or exported_at()):
            text.write(piece)
        text.flush()
        json_file.seek(0)
        with archive.open(ZIP_JSON, "w") as member:
            while block := json_file.read(1 << 16):
                member.write(block)
        text.detach()


def _zip_record(archive: zipfile.ZipFile, one: Exported) -> dict[str, Any]:
    record = native_export.record_json(one.row)
    record["cover"] = None
    if one.cover_file:
        name = cover_name(one.record, one.cover_file)
        try:
            with (
                default_storage.open(one.cover_file, "rb") as photo,
                archive.open(name, "w") as member,
            ):
                while block := photo.read(1 << 16):
                    member.write(block)
        except OSError:
            return record
        record["cover"] = name
    return record
