"""Files that cannot be imported say why; rows that cannot be read say why."""

import io
import zipfile

import pytest

from catalog.imports import ImportFileError, ImportRow, RowError, open_import
from catalog.imports.records import MAX_FIELD_CHARS
from tests.imports.helpers import (
    by_title,
    errors,
    fixture_bytes,
    open_fixture,
    open_text,
    rows_of,
)

GOODREADS_HEADER = fixture_bytes("goodreads_23.csv").decode().splitlines()[0]


def test_empty_file_has_its_own_message():
    with pytest.raises(ImportFileError, match="The file is empty"):
        open_fixture("empty.csv")
    with pytest.raises(ImportFileError, match="empty"):
        open_text("\n\r\n  \n")


def test_binary_file_is_refused():
    with pytest.raises(ImportFileError, match="not a text file"):
        open_fixture("binary.csv")
    with pytest.raises(ImportFileError, match="This is not a text file"):
        open_import(io.BytesIO(b"Title,Author\n\x00\x01\x02\x03"))


def test_goodreads_data_export_zip_is_refused_saying_which_file_to_export():
    with pytest.raises(ImportFileError) as refused:
        open_fixture("goodreads_data_export.zip")
    message = str(refused.value)
    assert "Export Library" in message
    assert "goodreads_library_export.csv" in message


def _zip(**members: bytes) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "/"), data)
    buffer.seek(0)
    return buffer


def test_other_zips_say_what_to_upload():
    with pytest.raises(ImportFileError, match="spreadsheet workbook"):
        open_import(_zip(**{"[Content_Types].xml": b"<x/>", "xl__workbook.xml": b""}))
    with pytest.raises(ImportFileError, match=r"holding export\.csv: unzip it"):
        open_import(_zip(**{"export.csv": b"Title\nDune\n"}))


def test_own_export_zip_reads_its_json():
    opened = open_import(_zip(**{"library.json": fixture_bytes("booklibrary_v1.json")}))
    assert opened.format.key == "booklibrary"
    assert "Dune" in by_title(opened.rows())


def test_wrong_encoding_is_refused_never_mojibake():
    with pytest.raises(ImportFileError, match="not UTF-8"):
        open_fixture("wrong_encoding.csv")


def test_utf8_mixed_with_windows_1252_is_refused():
    mixed = "Title\nCafé\n".encode() + "Crème\n".encode("cp1252")
    with pytest.raises(ImportFileError, match="garbled"):
        open_import(io.BytesIO(mixed))


def test_utf16_with_its_mark_is_read():
    text = fixture_bytes("storygraph.csv").decode()
    opened = open_import(io.BytesIO(text.encode("utf-16")))
    assert opened.format.key == "storygraph"
    assert "The Fifth Season" in by_title(opened.rows())


def test_a_lost_character_is_left_out_with_a_warning():
    row = "1,Caf\ufffd Society,Ann Author,,,,,0,,,,,,,,,,to-read,,,,0,0"
    text = f"{GOODREADS_HEADER}\n{row}\n"
    [row] = list(open_text(text).rows())
    assert row.title == "Caf Society"
    assert "�" in row.warnings[0]


def test_truncated_in_a_quoted_field_the_cut_row_is_an_error():
    rows = rows_of("truncated_quoted.csv")
    assert [r.title for r in rows if isinstance(r, ImportRow)] == [
        "Dune",
        "The Name of the Wind",
    ]
    [cut] = errors(rows)
    assert (cut.line, cut.end_line) == (4, 5)
    assert cut.reason.startswith("row cut short inside a quoted field: the file ends")
    assert "lines" not in cut.reason  # the page puts "Lines 4 to 5:" before it


def test_a_2_mb_field_is_that_rows_error_and_reading_goes_on():
    rows = rows_of("field_2mb.csv")
    assert isinstance(rows[0], ImportRow) and isinstance(rows[2], ImportRow)
    assert isinstance(rows[1], RowError)
    assert rows[1].line == 3
    assert rows[1].reason.startswith("row too large: over 1,000,000")


def test_a_field_over_the_field_limit_names_its_column():
    long_review = "x" * (MAX_FIELD_CHARS + 1)
    text = (
        f"{GOODREADS_HEADER}\n"
        f'1,Dune,Frank Herbert,,,,,5,,,,,,,,,,read,"{long_review}",,,1,1\n'
        "2,Emma,Jane Austen,,,,,0,,,,,,,,,,to-read,,,,0,0\n"
    )
    rows = list(open_text(text).rows())
    assert rows[0].reason == (
        "field too large: My Review holds 100,001 characters, over the 100,000 "
        "one field may hold"
    )
    assert rows[1].title == "Emma"


def test_a_field_over_the_csv_modules_own_limit_is_a_row_error():
    huge = "y" * 200_000
    text = (
        f"{GOODREADS_HEADER}\n"
        f'1,Dune,Frank Herbert,,,,,5,,,,,,,,,,read,"a ""quote"" {huge}",,,1,1\n'
        "2,Emma,Jane Austen,,,,,0,,,,,,,,,,to-read,,,,0,0\n"
    )
    rows = list(open_text(text).rows())
    assert rows[0].reason.startswith("field too large")
    assert rows[1].title == "Emma"


def test_rows_with_too_few_or_too_many_columns():
    text = (
        f"{GOODREADS_HEADER}\n"
        "1,Dune,Frank Herbert,,,,,5,,,,\n"
        "2,Emma,Jane Austen,,,,,0,,,,,,,,,,to-read,,,,0,0,extra\n"
    )
    reasons = [r.reason for r in open_text(text).rows()]
    assert reasons == [
        "row cut short: 12 of 23 columns",
        "row has 24 columns but the header has 23: a stray separator or quote",
    ]


def test_missing_required_columns_are_named():
    with pytest.raises(ImportFileError) as refused:
        open_fixture("missing_columns.csv")
    assert "“ISBN13” and “Exclusive Shelf”" in str(refused.value)


def test_header_without_rows_is_refused():
    with pytest.raises(ImportFileError, match="header but no books"):
        open_fixture("header_only.csv")


def test_an_unknown_table_names_its_columns():
    with pytest.raises(ImportFileError, match=r"columns of this file \(Name, Price\)"):
        open_text("Name,Price\nChair,10\n")


def test_a_row_with_no_title_and_no_isbn_is_an_error():
    text = f"{GOODREADS_HEADER}\n1,,,,,,,0,,,,,,,,,,to-read,,,,0,0\n"
    [row] = list(open_text(text).rows())
    assert row.reason == "no title and no ISBN: nothing to say which book it is"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("6", "rating 6 in My Rating is not between 0 and 5"),
        ("four", "unreadable rating “four” in My Rating"),
    ],
)
def test_unreadable_ratings_are_row_errors(value, reason):
    text = (
        f"{GOODREADS_HEADER}\n1,Dune,Frank Herbert,,,,,{value},,,,,,,,,,read,,,,1,1\n"
    )
    [row] = list(open_text(text).rows())
    assert row.reason == reason


def test_a_byte_order_mark_followed_by_other_bytes_is_refused():
    data = b"\xef\xbb\xbfTitle,Authors\nCaf\xe9,Ann\n"
    with pytest.raises(ImportFileError, match="save it as UTF-8"):
        open_import(io.BytesIO(data))


def test_other_binary_formats_say_what_they_are():
    with pytest.raises(ImportFileError, match=r"Calibre's metadata\.db"):
        open_import(io.BytesIO(b"SQLite format 3\x00" + b"\x00" * 100))
    with pytest.raises(ImportFileError, match=r"old Excel workbook \(\.xls\)"):
        open_import(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100))
