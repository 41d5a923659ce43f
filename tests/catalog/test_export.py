"""Exporting a whole library, on both backends: read back, nothing is lost."""

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from PIL import Image, ImageDraw

from catalog import exporting, services
from catalog.imports import ImportRow, open_import
from catalog.imports.formats import native_export
from catalog.models import new_manual_key
from catalog.services.metadata import cover_sizes
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
TODAY = date.today()
NOTES = "Line one\nВторая строка\n第三行 — ☃\n\n  indented"


def stored_photo(colour=(200, 40, 30), size=(60, 90)) -> bytes:
    """A reader's cover photo as the app stores one: a JPEG from ``cover_sizes``."""
    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).rectangle((10, 10, 40, 30), fill=(250, 250, 250))
    return cover_sizes(image)["cover"]


PHOTO = stored_photo()


def _reading(n, outcome, started=None, finished=None, page=None):
    return {
        "id": n,
        "started_on": started,
        "finished_on": finished,
        "outcome": outcome,
        "progress_page": page,
        "progress_percent": None,
    }


def _read(started, finished, outcome, page=None, percent=None):
    return {
        "started_on": started,
        "finished_on": finished,
        "outcome": outcome,
        "progress_page": page,
        "progress_percent": percent,
    }


def _days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture
def reader():
    return UserFactory()


@pytest.fixture
def library(reader):
    """A library with every kind of data a record can hold."""
    dune_book = BookFactory(
        title="Dune",
        subtitle="",
        authors=["Frank Herbert"],
        publisher="Ace Books",
        publish_date="1990-09-01",
        pages=604,
        language="en",
        description="Fetched description",
        series=[{"name": "Dune", "position": "1"}],
    )
    dune = UserBookFactory(
        user=reader,
        book=dune_book,
        status="read",
        rating=Decimal("4.5"),
        notes=NOTES,
        location="Hall, shelf 2",
        owned=True,
        tags=["sci-fi", "Été", "=SUM(A1:A9)"],
        corrections={
            "title": "Dune (my edition)",
            "authors": ["Frank Herbert", "Brian Herbert"],
            "series": [
                {"name": "Dune Chronicles", "position": "1.5"},
                {"name": "Omnibus", "position": "1-3"},
            ],
            "cover": f"private/{reader.pk}/covers/dune.jpg",
        },
        readings=[
            _reading(1, "finished", "2020-01-02", "2020-02-03"),
            _reading(2, "dnf", "2022-05-01", "2022-05-09"),
            _reading(3, "finished", None, "2024-03-04"),
        ],
        started_on=None,
        finished_on=date(2024, 3, 4),
        added_at=datetime(2019, 7, 2, 12, tzinfo=UTC),
    )
    photo = settings.MEDIA_ROOT / f"private/{reader.pk}/covers/dune.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(PHOTO)
    services.loan_lend(
        user=reader,
        book_key=dune.book_id,
        person="Ann",
        email="ann@example.com",
        remind_person=True,
        lent_on=_days_ago(30),
        due_on=_days_ago(10),
        note="Cover\nfragile",
    )
    services.loan_return(user=reader, book_key=dune.book_id, returned_on=_days_ago(9))
    services.loan_lend(
        user=reader, book_key=dune.book_id, person="Bob", lent_on=_days_ago(2)
    )
    wish = UserBookFactory(
        user=reader,
        book=BookFactory(key=new_manual_key(), isbn13="", title="@home", authors=[]),
        status="want",
        owned=False,
        notes="-5 stars? +1",
        added_at=datetime(2021, 1, 1, 8, tzinfo=UTC),
    )
    reading = UserBookFactory(
        user=reader,
        book=BookFactory(title="Anathem", authors=["Neal Stephenson"]),
        status="reading",
        owned=False,
        readings=[_reading(1, "reading", "2026-01-05", None, page=120)],
        started_on=date(2026, 1, 5),
        added_at=datetime(2025, 12, 24, 23, 30, tzinfo=UTC),
    )
    services.loan_borrow(
        user=reader, book_key=reading.book_id, person="Library", lent_on=_days_ago(3)
    )
    dnf = UserBookFactory(
        user=reader,
        book=BookFactory(title="Ulysses", authors=["James Joyce"]),
        status="dnf",
        rating=Decimal("1.0"),
        readings=[_reading(1, "dnf", "2023-02-01", None)],
        added_at=datetime(2023, 1, 15, tzinfo=UTC),
    )
    # Someone else's book is never in this reader's export.
    UserBookFactory(book=dune_book, notes="not theirs")
    return {"dune": dune, "wish": wish, "reading": reading, "dnf": dnf}


def _json(reader) -> bytes:
    chunks = exporting.json_chunks(reader, at="2026-11-29T21:00:00+00:00")
    return "".join(chunks).encode()


def _rows(data: bytes) -> list[ImportRow]:
    rows = list(open_import(io.BytesIO(data)).rows())
    assert all(isinstance(r, ImportRow) for r in rows), rows
    return rows


def _by_title(rows):
    return {row.title: row for row in rows}


def test_the_json_export_reads_back_with_every_field(reader, library):
    data = _json(reader)
    document = json.loads(data)
    assert {k: document[k] for k in ("format", "version", "exported_at")} == {
        "format": "booklibrary",
        "version": 1,
        "exported_at": "2026-11-29T21:00:00+00:00",
    }
    rows = _rows(data)
    # Newest added first; only this reader's.
    assert [r.title for r in rows] == [
        "Anathem",
        "Ulysses",
        "@home",
        "Dune (my edition)",
    ]
    dune = _by_title(rows)["Dune (my edition)"]
    assert native_export.record_json(dune) == {
        "isbn13": library["dune"].book_id,
        "title": "Dune (my edition)",
        "subtitle": "",
        "authors": ["Frank Herbert", "Brian Herbert"],
        "publisher": "Ace Books",
        "published": "1990-09-01",
        "pages": 604,
        "language": "en",
        "description": "Fetched description",
        "status": "read",
        "rating": Decimal("4.5"),
        "owned": True,
        "location": "Hall, shelf 2",
        "notes": NOTES,
        "review": "",
        "tags": ["sci-fi", "Été", "=SUM(A1:A9)"],
        "series": [
            {"name": "Dune Chronicles", "position": "1.5"},
            {"name": "Omnibus", "position": "1-3"},
        ],
        "readings": [
            _read("2020-01-02", "2020-02-03", "read"),
            _read("2022-05-01", "2022-05-09", "dnf"),
            _read(None, "2024-03-04", "read"),
        ],
        "loans": [
            {
                "direction": "lent",
                "person": "Ann",
                "email": "ann@example.com",
                "lent_on": _days_ago(30).isoformat(),
                "due_on": _days_ago(10).isoformat(),
                "returned_on": _days_ago(9).isoformat(),
                "note": "Cover\nfragile",
                "remind_person": True,
            },
            {
                "direction": "lent",
                "person": "Bob",
                "email": "",
                "lent_on": _days_ago(2).isoformat(),
                "due_on": None,
                "returned_on": None,
                "note": "",
                "remind_person": False,
            },
        ],
        "added_on": "2019-07-02",
    }
    wish = _by_title(rows)["@home"]
    assert (wish.isbn13, wish.owned, wish.status, wish.rating) == (
        None,
        False,
        "want",
        None,
    )
    assert (wish.notes, wish.readings, wish.loans) == ("-5 stars? +1", [], [])
    anathem = _by_title(rows)["Anathem"]
    assert [
        (r.started_on, r.finished_on, r.outcome, r.progress_page, r.progress_percent)
        for r in anathem.readings
    ] == [(date(2026, 1, 5), None, "reading", 120, None)]
    assert [(x.direction, x.person) for x in anathem.loans] == [("borrowed", "Library")]
    assert anathem.added_on == date(2025, 12, 24)
    ulysses = _by_title(rows)["Ulysses"]
    assert (ulysses.status, ulysses.rating, ulysses.readings[0].outcome) == (
        "dnf",
        Decimal("1.0"),
        "dnf",
    )


def test_a_record_stored_before_readings_exports_the_reading_it_stands_for(reader):
    UserBookFactory(
        user=reader,
        book=BookFactory(title="Old"),
        status="read",
        started_on=date(2018, 1, 1),
        finished_on=date(2018, 2, 1),
    )
    (row,) = _rows(_json(reader))
    assert [(r.started_on, r.finished_on, r.outcome) for r in row.readings] == [
        (date(2018, 1, 1), date(2018, 2, 1), "read")
    ]


def test_an_empty_library_exports_an_empty_list(reader):
    document = json.loads(_json(reader))
    assert document["records"] == []
    assert _rows(_json(reader)) == []


def test_pages_of_records_cover_the_library_once_each(reader):
    made = [UserBookFactory(user=reader) for _ in range(7)]
    exported = [one.record.book_id for one in exporting.library(reader, page_size=3)]
    assert sorted(exported) == sorted(r.book_id for r in made)
    assert len(exported) == len(set(exported)) == 7


def _csv(reader) -> str:
    return "".join(exporting.csv_chunks(reader))


def test_the_goodreads_csv_has_the_current_header_and_reads_back(reader, library):
    text = _csv(reader)
    lines = list(csv.reader(io.StringIO(text)))
    assert tuple(lines[0]) == exporting.GOODREADS_HEADER
    assert len(lines[0]) == 23
    assert all(len(line) == 23 for line in lines)
    cells = {line[1]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    dune = cells["Dune (my edition) (Dune Chronicles, #1.5)"]
    assert dune["ISBN13"] == f'="{library["dune"].book_id}"'
    assert dune["ISBN"].startswith('="') and len(dune["ISBN"]) == 13
    assert dune["My Rating"] == "5"  # a half star rounds up
    assert (dune["Date Read"], dune["Date Added"], dune["Read Count"]) == (
        "2024/03/04",
        "2019/07/02",
        "2",
    )
    assert dune["Exclusive Shelf"] == "read"
    # Only a cell's start can make a formula.
    assert dune["Bookshelves"] == "sci-fi, Été, =SUM(A1:A9), read"
    assert (dune["Author"], dune["Author l-f"], dune["Additional Authors"]) == (
        "Frank Herbert",
        "Herbert, Frank",
        "Brian Herbert",
    )
    assert dune["Private Notes"] == NOTES
    assert (dune["Year Published"], dune["Owned Copies"]) == ("1990", "1")
    # User text starting with a formula sign is quoted; ISBN cells are ours.
    wish = cells["'@home"]
    assert (wish["ISBN"], wish["ISBN13"], wish["Owned Copies"]) == ('=""', '=""', "0")
    assert wish["Private Notes"] == "'-5 stars? +1"
    assert wish["Exclusive Shelf"] == "to-read" and wish["My Rating"] == "0"
    # Not owned: Goodreads writes 0 copies for most books, so a shelf says it.
    assert wish["Bookshelves"] == "wishlist, to-read"
    assert cells["Anathem"]["Bookshelves"] == "wishlist, currently-reading"
    assert cells["Ulysses"]["Exclusive Shelf"] == "did-not-finish"
    assert cells["Anathem"]["Exclusive Shelf"] == "currently-reading"

    rows = list(open_import(io.BytesIO(text.encode())).rows())
    assert all(isinstance(r, ImportRow) for r in rows), rows
    back = {row.isbn13 or row.title: row for row in rows}
    expected = {
        library["dune"].book_id: ("read", Decimal("5.0"), ["sci-fi", "Été"]),
        "@home": ("want", None, []),
        library["reading"].book_id: ("reading", None, []),
        library["dnf"].book_id: ("dnf", Decimal("1.0"), []),
    }
    assert {
        key: (row.status, row.rating, row.tags[:2]) for key, row in back.items()
    } == expected
    dune_row = back[library["dune"].book_id]
    assert dune_row.series[0].name == "Dune Chronicles"
    assert dune_row.series[0].position == "1.5"
    # Not owned: the wishlist shelf says it (0 copies alone would read as owned).
    assert dune_row.owned is True and back["@home"].owned is False
    # The escapes come off again: the title and notes are as the reader wrote them.
    assert back["@home"].notes == "-5 stars? +1"
    assert [r.outcome for r in dune_row.readings] == ["read", "read"]
    assert dune_row.readings[-1].finished_on == date(2024, 3, 4)


def test_every_user_cell_starting_with_a_formula_sign_is_escaped():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert exporting.escape_cell(text) == "'" + text
    for text in ("Dune", "", "1=1", " =1", "'Salem's Lot", "'"):
        assert exporting.escape_cell(text) == text
    # An apostrophe before a formula sign gets one more, so the import's
    # unescaping gives it back.
    assert exporting.escape_cell("'=1") == "''=1"
    assert exporting.isbn_cell("0441172717") == '="0441172717"'
    assert exporting.isbn_cell(None) == '=""'
    with pytest.raises(ValueError):
        exporting.isbn_cell('1"),HYPERLINK("x')


@pytest.mark.parametrize(
    ("rating", "stars"),
    [(None, "0"), ("0.5", "1"), ("1.0", "1"), ("3.5", "4"), ("5.0", "5")],
)
def test_whole_stars(rating, stars):
    assert exporting.whole_stars(Decimal(rating) if rating else None) == stars


def test_the_zip_holds_the_json_and_the_reader_s_own_photos(reader, library):
    out = io.BytesIO()
    exporting.write_zip(reader, out, at="2026-11-29T21:00:00+00:00")
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    key = library["dune"].book_id
    assert sorted(archive.namelist()) == ["covers/" + key + ".jpg", "library.json"]
    assert archive.read(f"covers/{key}.jpg") == PHOTO
    records = json.loads(archive.read("library.json"))["records"]
    covers = {r["title"]: r["cover"] for r in records}
    assert covers["Dune (my edition)"] == f"covers/{key}.jpg"
    assert covers["Anathem"] is None
    # The ZIP imports as it is: the same records as the JSON export.
    from_zip = _rows(out.getvalue())
    from_json = _rows(_json(reader))
    assert [native_export.record_json(r) for r in from_zip] == [
        native_export.record_json(r) for r in from_json
    ]


def test_a_photo_that_cannot_be_read_is_left_out_not_an_error(reader, library):
    (settings.MEDIA_ROOT / f"private/{reader.pk}/covers/dune.jpg").unlink()
    out = io.BytesIO()
    exporting.write_zip(reader, out)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert archive.namelist() == ["library.json"]
    records = json.loads(archive.read("library.json"))["records"]
    assert all(r["cover"] is None for r in records)


def test_a_fetched_cover_is_not_the_reader_s_own(reader):
    UserBookFactory(
        user=reader, book=BookFactory(cover="covers/public.jpg", title="Public")
    )
    (one,) = exporting.library(reader)
    assert one.cover_file == ""


def test_the_filename_carries_the_day():
    assert exporting.filename("csv", date(2026, 11, 29)) == "booklibrary-2026-11-29.csv"


def test_a_record_whose_book_details_are_missing_keeps_its_isbn(reader):
    record = UserBookFactory(user=reader, notes="kept")
    record.book.isbn13 = ""  # as a page shows a record whose book item is gone
    row = exporting.export_row(record, [])
    assert (row.isbn13, row.notes) == (record.book_id, "kept")
