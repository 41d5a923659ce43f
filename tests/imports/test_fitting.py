"""Values a record cannot keep are cleaned with a warning, not the row's error."""

import csv
import io
import json
from datetime import date

from catalog.imports import ImportRow, SeriesEntry
from catalog.imports.fitting import REVIEW_HEADING
from catalog.records import LOCATION_MAX_CHARS, NOTES_MAX_CHARS
from catalog.series import MAX_SERIES, NAME_MAX_CHARS
from catalog.tags import MAX_TAGS, TAG_MAX_CHARS
from tests.imports.helpers import open_text

GOODREADS = (
    "Book Id",
    "Title",
    "Author",
    "ISBN13",
    "Exclusive Shelf",
    "Bookshelves",
    "My Rating",
    "Date Read",
    "Read Count",
    "My Review",
    "Private Notes",
    "Number of Pages",
)


def _goodreads(**cells: str) -> ImportRow:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(GOODREADS)
    given = {"Book Id": "1", "Title": "Dune", "Author": "Frank Herbert"} | {
        k.replace("_", " "): v for k, v in cells.items()
    }
    writer.writerow([given.get(name, "") for name in GOODREADS])
    [row] = list(open_text(out.getvalue()).rows())
    assert isinstance(row, ImportRow), row
    return row


def test_a_bar_in_a_shelf_is_replaced_and_warned():
    row = _goodreads(Bookshelves="=cmd|' /C calc'!A0, sci-fi, |")
    assert row.tags == ["=cmd/' /C calc'!A0", "sci-fi"]
    assert row.warnings == [
        "tag “=cmd|' /C calc'!A0” holds “|”, which a book cannot keep: imported "
        "as “=cmd/' /C calc'!A0”.",
        "tag “|” holds nothing but “|”, which a book cannot keep: it was left out.",
    ]
    assert not any("save again" in w for w in row.warnings)


def test_a_tag_too_long_is_cut_and_too_many_tags_are_the_first_kept():
    long = "x" * (TAG_MAX_CHARS + 10)
    row = _goodreads(Bookshelves=long)
    assert row.tags == ["x" * TAG_MAX_CHARS]
    assert row.warnings[0].startswith(f"tag “{'x' * 39}…” is {TAG_MAX_CHARS + 10}")
    many = ", ".join(f"shelf {n}" for n in range(MAX_TAGS + 5))
    row = _goodreads(Bookshelves=many)
    assert row.tags == [f"shelf {n}" for n in range(MAX_TAGS)]
    assert row.warnings == [
        f"{MAX_TAGS + 5} tags, over the {MAX_TAGS} a book keeps: the first "
        f"{MAX_TAGS} were kept."
    ]


def test_reading_dates_out_of_range_and_too_many_readings_are_cleaned():
    row = _goodreads(Exclusive_Shelf="read", Date_Read="1850/01/01")
    assert [r.finished_on for r in row.readings] == [None]
    assert row.warnings[0].startswith(
        "the finish date 1850-01-01 is outside the years a reading can have (1900 to"
    )
    row = _goodreads(Exclusive_Shelf="read", Read_Count="150", Date_Read="2020/01/02")
    assert len(row.readings) == 100
    assert row.readings[-1].finished_on == date(2020, 1, 2)
    assert row.warnings == [
        "150 readings, over the 100 a book keeps: the latest 100 were kept."
    ]


def test_a_review_and_notes_over_the_notes_limit_are_cut_to_fit():
    notes = "n" * 40_000
    row = _goodreads(Private_Notes=notes, My_Review="r" * 20_000)
    assert row.notes == notes
    stored = f"{row.notes}\n\n{REVIEW_HEADING}{row.review}"
    assert len(stored) == NOTES_MAX_CHARS
    assert row.warnings[0].startswith("the review is 20,000 characters; with the")
    row = _goodreads(Private_Notes="n" * 60_000)
    assert row.notes == "n" * NOTES_MAX_CHARS
    assert "the first 50,000 were kept" in row.warnings[0]


def test_pages_and_a_title_beyond_a_books_limits():
    row = _goodreads(Title="T" * 600, Number_of_Pages="250000")
    assert (len(row.title), row.pages) == (500, None)
    assert len(row.warnings) == 2


def test_series_names_and_positions_from_calibre_are_cleaned():
    header = "title,authors,series,series_index,tags\n"
    bad = f'Dune,Frank Herbert,"Dune|Saga",1a,"{"y" * 70}"\n'
    [row] = list(open_text(header + bad).rows())
    assert row.series == [SeriesEntry("Dune/Saga", "")]
    assert row.tags == ["y" * TAG_MAX_CHARS]
    assert len(row.warnings) == 3
    assert any("“1a” is not a position in a series" in w for w in row.warnings)


def test_this_apps_json_with_values_beyond_the_limits_is_cleaned():
    record = {
        "isbn13": "9780441172719",
        "title": "Dune",
        "authors": ["Frank Herbert"],
        "status": "want",
        "location": "L" * (LOCATION_MAX_CHARS + 1),
        "series": [{"name": f"S{n}", "position": ""} for n in range(MAX_SERIES + 1)]
        + [{"name": "N" * (NAME_MAX_CHARS + 1), "position": "1"}],
    }
    text = json.dumps({"format": "booklibrary", "version": 1, "records": [record]})
    [row] = list(open_text(text).rows())
    assert isinstance(row, ImportRow), row
    assert row.location == "L" * LOCATION_MAX_CHARS
    assert len(row.series) == MAX_SERIES
    assert sorted(w.split(" ")[0] for w in row.warnings) == ["12", "series", "the"]
