"""Detection and its override, duplicates, failed rows written back, resuming."""

import io

import pytest

from catalog.imports import (
    DuplicateFinder,
    ImportFileError,
    ImportRow,
    RowError,
    open_import,
)
from tests.imports.helpers import errors, fixture_bytes, open_fixture, open_text

ALL_SAMPLES = [
    ("goodreads_23.csv", "goodreads"),
    ("goodreads_24.csv", "goodreads"),
    ("goodreads_31.csv", "goodreads"),
    ("goodreads_resaved.csv", "goodreads"),
    ("storygraph.csv", "storygraph"),
    ("librarything.tsv", "librarything"),
    ("librarything_cp1252.tsv", "librarything"),
    ("libib.csv", "libib"),
    ("libib_template.csv", "libib"),
    ("bookwyrm.csv", "bookwyrm"),
    ("calibre.csv", "calibre"),
    ("isbns.txt", "isbns"),
    ("booklibrary_v1.json", "booklibrary"),
]


@pytest.mark.parametrize(("name", "key"), ALL_SAMPLES)
def test_format_is_detected_from_the_header(name, key):
    assert open_fixture(name).format.key == key


def test_the_reader_can_choose_the_format():
    # A Calibre catalog holding only title and authors is not recognised...
    text = "title,authors,tags\nGood Omens,Terry Pratchett & Neil Gaiman,humour\n"
    with pytest.raises(ImportFileError, match="choose its format"):
        open_text(text)
    # ...but it reads once the reader says what it is.
    [row] = list(open_text(text, format="calibre").rows())
    assert row.authors == ["Terry Pratchett", "Neil Gaiman"]


def test_a_chosen_format_still_names_missing_columns():
    with pytest.raises(
        ImportFileError, match="lacks the columns “ISBN/UID” and “Read Status”"
    ):
        open_fixture("calibre.csv", format="storygraph")


def test_an_unknown_chosen_format_lists_the_choices():
    with pytest.raises(ImportFileError, match="goodreads"):
        open_fixture("calibre.csv", format="nope")


def test_a_semicolon_separated_resave_is_read():
    text = fixture_bytes("storygraph.csv").decode()
    import csv

    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    opened = open_text(out.getvalue())
    assert (opened.format.key, opened.delimiter) == ("storygraph", ";")
    assert len([r for r in opened.rows() if isinstance(r, ImportRow)]) == 5


def test_old_mac_line_endings_are_lines():
    text = fixture_bytes("goodreads_31.csv").decode().replace("\n", "\r")
    rows = list(open_text(text).rows())
    assert [r.title for r in rows] == [
        "The Left Hand of Darkness",
        "A Darker Shade of Magic",
    ]


def test_an_unclosed_quote_mid_file_is_one_error_that_says_where():
    header = fixture_bytes("goodreads_23.csv").decode().splitlines()[0]
    text = (
        f"{header}\n"
        '1,"Dune,Frank Herbert,,,,,5,,,,,,,,,,read,,,,1,1\n'
        "2,Emma,Jane Austen,,,,,0,,,,,,,,,,to-read,,,,0,0\n"
    )
    [row] = list(open_text(text).rows())
    assert (row.line, row.end_line) == (2, 3)  # the page shows "Lines 2 to 3: ..."
    assert row.reason.startswith("row cut short inside a quoted field")
    assert "lines" not in row.reason  # so the reason does not repeat them


def test_duplicates_within_a_file_first_occurrence_wins():
    finder = DuplicateFinder()
    rows = [r for r in open_fixture("isbns.txt").rows() if isinstance(r, ImportRow)]
    firsts = [finder.first_line(r) for r in rows]
    # Line 3 is Dune's ISBN-10: the same book as line 2.
    assert firsts == [None, 2, None, None, None, None, None]


def test_duplicates_without_isbn_by_title_and_authors():
    header = fixture_bytes("goodreads_23.csv").decode().splitlines()[0]
    text = (
        f"{header}\n"
        '1,"Dune (Dune, #1)",Frank Herbert,,,"=""0441172717""",,5,'
        ",,,,,,,,,read,,,,1,1\n"
        "2,dune,FRANK  HERBERT,,,,,0,,,,,,,,,,to-read,,,,0,0\n"
        "3,Dune!,Frank Herbert,,,,,0,,,,,,,,,,to-read,,,,0,0\n"
        "4,Dune,Brian Herbert,,,,,0,,,,,,,,,,to-read,,,,0,0\n"
        '5,Dune,Frank Herbert,,,,"=""9780593099322""",0,,,,,,,,,,to-read,,,,0,0\n'
    )
    finder = DuplicateFinder()
    firsts = [finder.first_line(r) for r in open_text(text).rows()]
    # Another edition (its own ISBN) is another book; no ISBN: title and authors.
    assert firsts == [None, 2, 2, None, None]


def _failed_file(name: str) -> tuple[bytes, list[RowError]]:
    opened = open_fixture(name)
    failed = errors(opened.rows())
    out = io.BytesIO()
    assert opened.write_failed([e.span for e in failed], out) == len(failed)
    return out.getvalue(), failed


@pytest.mark.parametrize(
    "name",
    [
        "goodreads_23.csv",
        "goodreads_resaved.csv",
        "librarything_cp1252.tsv",
        "libib.csv",
        "isbns.txt",
        "booklibrary_v1.json",
        "truncated_quoted.csv",
    ],
)
def test_failed_rows_are_written_in_the_sources_own_format(name):
    written, failed = _failed_file(name)
    source = fixture_bytes(name)
    again = open_import(io.BytesIO(written))
    source_file = open_fixture(name)
    assert again.format.key == source_file.format.key
    # Plain ASCII reads as UTF-8 whatever it was written as.
    assert again.encoding == source_file.encoding or written.isascii()
    assert again.columns == source_file.columns
    reread = list(again.rows())
    assert [r.reason for r in reread] == [
        e.reason.replace("4 to 5", "2 to 3") for e in failed
    ]
    # Each failed row is the source's own text, byte for byte.
    for line in written.splitlines(keepends=True)[1:]:
        if name.endswith(".json") or line.strip() in (b"]}",):
            continue
        assert line.rstrip(b"\r\n") in source


def test_failed_rows_keep_bom_and_crlf():
    written, _ = _failed_file("goodreads_resaved.csv")
    assert written.startswith(b"\xef\xbb\xbfBook Id,")
    assert written.count(b"\r\n") == written.count(b"\n") == 3


def test_a_2_mb_failed_row_is_written_whole():
    written, [failed] = _failed_file("field_2mb.csv")
    source_line = fixture_bytes("field_2mb.csv").splitlines(keepends=True)[2]
    assert written.splitlines(keepends=True)[1] == source_line
    assert failed.line == 3


def test_resuming_at_a_row_gives_the_rest_of_the_rows():
    opened = open_fixture("goodreads_23.csv")
    every = list(opened.rows())
    assert opened.count() == len(every) == 7
    for start in range(len(every) + 1):
        assert list(opened.rows(start)) == every[start:]


@pytest.mark.parametrize("name", ["isbns.txt", "booklibrary_v1.json"])
def test_resuming_lists_and_json(name):
    opened = open_fixture(name)
    every = list(opened.rows())
    assert opened.count() == len(every)
    assert list(opened.rows(3)) == every[3:]
    assert [r.index for r in every] == list(range(len(every)))


def test_reading_twice_from_one_upload_gives_the_same_rows():
    data = io.BytesIO(fixture_bytes("storygraph.csv"))
    opened = open_import(data)
    first = list(opened.rows())
    assert list(opened.rows()) == first
    assert not data.closed


def test_failed_rows_of_a_windows_1252_file_stay_windows_1252():
    text = fixture_bytes("librarything_cp1252.tsv").decode("cp1252")
    text = text.replace("[2022-08-15]", "[15/08/2022]")  # Les Misérables' entry date
    opened = open_import(io.BytesIO(text.encode("cp1252")))
    failed = errors(opened.rows())
    assert [e.line for e in failed] == [4, 7]
    out = io.BytesIO()
    opened.write_failed([e.span for e in failed], out)
    assert "Les Misérables".encode("cp1252") in out.getvalue()
    again = open_import(io.BytesIO(out.getvalue()))
    assert again.encoding == "cp1252"
    assert [e.reason for e in again.rows()] == [e.reason for e in failed]
