"""StoryGraph, LibraryThing, Libib, BookWyrm and Calibre, each with its quirks."""

from datetime import date
from decimal import Decimal

import pytest

from catalog.imports import ImportLoan, ImportRow, Reading, RowError, SeriesEntry
from tests.imports.helpers import (
    by_title,
    errors,
    fixture_bytes,
    open_fixture,
    open_text,
    rows_of,
)


def test_storygraph_every_reading_kept_oldest_first_bare_date_is_a_finish():
    season = by_title(rows_of("storygraph.csv"))["The Fifth Season"]
    assert season.status == "read"
    assert season.readings == [
        Reading(None, date(2021, 9, 14), "read"),
        Reading(date(2022, 10, 29), date(2022, 11, 28), "read"),
    ]
    assert season.review == "Stunning.\nThe second person works."
    assert season.tags == ["fantasy", "re-read"]
    assert season.owned is True


def test_storygraph_quarter_stars_round_to_the_nearest_half():
    rows = by_title(rows_of("storygraph.csv"))
    assert rows["The Fifth Season"].rating == Decimal("4.0")  # 3.75
    assert rows["Educated"].rating == Decimal("2.5")  # 2.25
    assert any("rounded" in w for w in rows["Educated"].warnings)


def test_storygraph_asin_is_no_isbn_with_a_warning():
    educated = by_title(rows_of("storygraph.csv"))["Educated"]
    assert educated.isbn13 is None
    assert any("ASIN" in w for w in educated.warnings)
    assert educated.status == "dnf"
    assert educated.readings == [Reading(date(2023, 1, 11), date(2023, 2, 1), "dnf")]


def test_storygraph_contributors_are_not_authors_and_isbn10_is_read():
    kindred = by_title(rows_of("storygraph.csv"))["Kindred"]
    assert kindred.authors == ["Octavia E. Butler"]
    assert kindred.isbn13 == "9780807083697"
    assert kindred.status == "reading"
    assert kindred.readings == [Reading(date(2025, 2, 3), None, "reading")]


def test_storygraph_paused_counts_as_reading_and_an_empty_isbn_is_none():
    snow = by_title(rows_of("storygraph.csv"))["Snow Crash"]
    assert (snow.status, snow.isbn13) == ("reading", None)
    assert by_title(rows_of("storygraph.csv"))["Beloved"].status == "want"


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("librarything.tsv", "utf-8"), ("librarything_cp1252.tsv", "cp1252")],
)
def test_librarything_in_utf8_or_windows_1252_reads_the_same(name, encoding):
    opened = open_fixture(name)
    assert (opened.format.key, opened.encoding, opened.delimiter) == (
        "librarything",
        encoding,
        "\t",
    )
    assert len(opened.columns) == 49
    rows = list(opened.rows())
    assert "Les Misérables" in by_title(rows)
    hobbit = by_title(rows)["The Hobbit"]
    assert hobbit.loans[0].person == "Zoë Martín"
    assert not any("\ufffd" in r.title for r in rows if hasattr(r, "title"))


def test_librarything_brackets_names_returns_and_ratings():
    hobbit = by_title(rows_of("librarything.tsv"))["The Hobbit"]
    assert hobbit.isbn13 == "9780547928227"
    assert hobbit.authors == ["J. R. R. Tolkien"]
    assert hobbit.review == "A cosy start.\n\nSmaug steals the show."
    assert hobbit.rating == Decimal("4.5")
    assert hobbit.status == "read"
    assert hobbit.readings == [Reading(date(2020, 5, 1), date(2020, 5, 20), "read")]
    assert hobbit.owned is True
    assert hobbit.tags == ["fantasy", "classics", "Favorites"]
    assert hobbit.notes == "Signed by my grandmother"
    assert hobbit.added_on == date(2019, 12, 24)
    assert (hobbit.publisher, hobbit.published, hobbit.pages) == (
        "Mariner Books",
        "1937",
        300,
    )


def test_librarything_lending_columns_become_a_loan():
    hobbit = by_title(rows_of("librarything.tsv"))["The Hobbit"]
    assert hobbit.loans == [
        ImportLoan(
            direction="lent",
            person="Zoë Martín",
            lent_on=date(2021, 1, 2),
            returned_on=date(2021, 2, 14),
            note="Returned",
        )
    ]


def test_librarything_title_starting_with_a_quote_is_not_quoting():
    rows = by_title(rows_of("librarything.tsv"))
    feynman = rows['"Surely You\'re Joking, Mr. Feynman!"']
    assert feynman.authors == ["Richard P. Feynman", "Ralph Leighton"]  # no editor
    assert feynman.status == "reading"
    assert feynman.readings == [Reading(date(2024, 2, 10), None, "reading")]


def test_librarything_status_from_collections():
    rows = by_title(rows_of("librarything.tsv"))
    assert rows["Les Misérables"].status == "want"
    assert rows["Les Misérables"].language == "French"
    assert rows["Middlemarch"].status == "read"
    assert rows["Middlemarch"].owned is False  # "Read but unowned"
    assert (rows["Foundation"].status, rows["Foundation"].owned) == ("want", False)


def test_librarything_year_only_date_is_that_rows_error():
    [error] = errors(rows_of("librarything.tsv"))
    assert error.reason.startswith("unreadable date “2019” in Date Read")


def test_libib_statuses_dates_group_and_copies():
    rows = by_title(rows_of("libib.csv"))
    earthsea = rows["A Wizard of Earthsea"]
    assert earthsea.status == "read"
    assert earthsea.readings == [Reading(date(2021, 6, 1), date(2021, 6, 20), "read")]
    assert earthsea.series == [SeriesEntry("Earthsea Cycle", "")]
    assert earthsea.rating == Decimal("4.5")
    assert earthsea.owned is True
    assert earthsea.notes == "Read aloud to the kids"
    assert earthsea.description == "A boy with a gift for magic."
    assert rows["Foundation"].status == "reading"
    war = rows["War and Peace"]
    assert war.status == "dnf"
    assert war.authors == ["Leo Tolstoy", "Richard Pevear", "Larissa Volokhonsky"]


def test_libib_scientific_notation_isbn_and_other_items_are_row_errors():
    reasons = [e.reason for e in errors(rows_of("libib.csv"))]
    assert reasons == [
        "ISBN written by a spreadsheet as 9.78006E+12 in ean_isbn13; type it in full",
        "a movie, not a book: only books are imported",
    ]


def test_libib_import_template_date_names():
    [hyperion] = rows_of("libib_template.csv")
    assert hyperion.readings == [Reading(date(2018, 6, 1), date(2018, 8, 8), "read")]


def test_bookwyrm_ratings_shelves_and_custom_shelf():
    opened = open_fixture("bookwyrm.csv")
    assert opened.format.key == "bookwyrm"
    rows = by_title(opened.rows())
    left = rows["The Left Hand of Darkness"]
    assert left.rating == Decimal("4.5")
    assert left.readings == [Reading(date(2023, 1, 2), date(2023, 1, 20), "read")]
    assert left.review == "A winter journey\n\nCold, slow, wonderful."
    anathem = rows["Anathem"]
    assert anathem.status == "dnf"
    assert anathem.readings == [Reading(date(2024, 5, 1), date(2024, 6, 1), "dnf")]
    assert rows["Neuromancer"].status == "reading"
    assert rows["The Fifth Season"].status == "want"
    assert (rows["Kindred"].status, rows["Kindred"].tags) == (
        "want",
        ["Book club 2025"],
    )


def test_calibre_authors_tags_identifiers_and_series():
    opened = open_fixture("calibre.csv")
    assert (opened.format.key, opened.encoding) == ("calibre", "utf-8-sig")
    rows = by_title(opened.rows())
    omens = rows["Good Omens"]
    assert omens.authors == ["Terry Pratchett", "Neil Gaiman"]
    assert omens.tags == ["fantasy", "humour"]
    assert omens.isbn13 == "9780060853983"
    assert omens.rating == Decimal("4.5")
    assert omens.status == "want"
    assert omens.published == "2006-11-28"
    assert omens.language == "English"  # Calibre writes "eng"
    assert rows["Dune"].isbn13 == "9780441172719"
    assert rows["Dune"].series == [SeriesEntry("Dune", "1")]
    assert rows["Dune"].published == ""  # Calibre's "no date"
    assert rows["Dune"].description == "The desert planet.\n\nSpice & sandworms."
    assert rows["Dune Messiah"].series == [SeriesEntry("Dune", "2.5")]
    assert rows["Dune Messiah"].isbn13 is None


def _one_row(name: str, changes: dict[str, str], separator: str = ","):
    """Read a row of the fixture's format: a title and the cells given."""
    header = fixture_bytes(name).decode().splitlines()[0]
    columns = header.split(separator)
    cells = [""] * len(columns)
    cells[columns.index("Title" if separator == "\t" else "title")] = "Hyperion"
    for column, value in changes.items():
        cells[columns.index(column)] = value
    [row] = list(open_text(f"{header}\n{separator.join(cells)}\n").rows())
    return row


@pytest.mark.parametrize(
    ("name", "bad", "good", "separator"),
    [
        ("bookwyrm.csv", ("isbn_13", "9780553283687"), ("isbn_10", "0553283685"), ","),
        (
            "libib.csv",
            ("ean_isbn13", "9780553283687"),
            ("upc_isbn10", "0553283685"),
            ",",
        ),
        ("libib.csv", ("ean_isbn13", "9.78055E+12"), ("upc_isbn10", "0553283685"), ","),
        (
            "librarything.tsv",
            ("ISBN", "[0553283686]"),
            ("ISBNs", "0553283685, 9780553283686"),
            "\t",
        ),
    ],
)
def test_a_bad_isbn_beside_a_valid_one_is_warned_and_the_valid_one_used(
    name, bad, good, separator
):
    row = _one_row(name, dict([bad, good]), separator)
    assert isinstance(row, ImportRow)
    assert row.isbn13 == "9780553283686"
    [warning] = [w for w in row.warnings if bad[0] in w]
    assert "imported by" in warning and "9780553283686" in warning


@pytest.mark.parametrize(
    ("name", "cells", "reason"),
    [
        (
            "bookwyrm.csv",
            {"isbn_13": "9780553283687", "isbn_10": "0553283686"},
            "ISBN 9780553283687 fails its check digit in isbn_13",
        ),
        (
            "libib.csv",
            {"ean_isbn13": "9.78055E+12"},
            "ISBN written by a spreadsheet as 9.78055E+12 in ean_isbn13; type it "
            "in full",
        ),
    ],
)
def test_only_bad_isbns_are_that_rows_error(name, cells, reason):
    row = _one_row(name, cells)
    assert isinstance(row, RowError)
    assert row.reason == reason
