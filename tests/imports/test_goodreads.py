from datetime import date
from decimal import Decimal

import pytest

from catalog.imports import ImportRow, Reading, SeriesEntry
from tests.imports.helpers import by_title, errors, open_fixture, open_text, rows_of


@pytest.mark.parametrize(
    ("name", "variant", "columns"),
    [
        ("goodreads_23.csv", "23 columns", 23),
        ("goodreads_24.csv", "24 columns, 2022 to 2026", 24),
        ("goodreads_31.csv", "31 columns, before October 2022", 31),
    ],
)
def test_each_goodreads_layout_is_recognised_with_its_variant(name, variant, columns):
    opened = open_fixture(name)
    assert opened.format.key == "goodreads"
    assert opened.variant == variant
    assert len(opened.columns) == columns


def test_spreadsheet_formula_isbns_and_both_isbn_columns_read():
    rows = by_title(rows_of("goodreads_23.csv"))
    assert rows["Dune"].isbn13 == "9780441172719"
    assert rows["Gödel, Escher, Bach: An Eternal Golden Braid"].isbn13 == (
        "9780465026562"
    )


def test_empty_formula_isbns_mean_no_isbn_and_the_title_and_authors_are_kept():
    wind = by_title(rows_of("goodreads_23.csv"))["The Name of the Wind"]
    assert wind.isbn13 is None
    assert wind.authors == ["Patrick Rothfuss"]


def test_series_in_the_title_becomes_the_series():
    rows = by_title(rows_of("goodreads_23.csv"))
    assert rows["The Name of the Wind"].series == [
        SeriesEntry("The Kingkiller Chronicle", "1")
    ]
    assert rows["Dune"].series == [SeriesEntry("Dune", "1")]
    kings = by_title(rows_of("goodreads_24.csv"))["The Way of Kings"]
    assert kings.series == [SeriesEntry("The Stormlight Archive", "1")]


def test_ratings_zero_is_unrated_and_four_point_zero_is_four():
    rows = by_title(rows_of("goodreads_23.csv"))
    assert rows["Dune"].rating == Decimal("5.0")
    assert rows["Piranesi"].rating == Decimal("4.0")
    assert rows["The Name of the Wind"].rating is None


def test_read_with_a_date_and_a_read_count_keeps_every_reading():
    dune = by_title(rows_of("goodreads_23.csv"))["Dune"]
    assert dune.status == "read"
    assert dune.readings == [
        Reading(None, None, "read"),
        Reading(None, date(2021, 3, 14), "read"),
    ]
    assert dune.added_on == date(2019, 7, 2)


def test_read_with_no_date_has_no_date_never_today():
    piranesi = by_title(rows_of("goodreads_23.csv"))["Piranesi"]
    assert piranesi.status == "read"
    assert piranesi.readings == [Reading(None, None, "read")]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("goodreads_23.csv", "Anathem"),  # did-not-finish
        ("goodreads_24.csv", "Station Eleven"),  # abandoned
        ("goodreads_24.csv", "The Dispossessed"),  # dnf
    ],
)
def test_did_not_finish_shelves(name, title):
    row = by_title(rows_of(name))[title]
    assert row.status == "dnf"
    assert row.readings[-1].outcome == "dnf"
    assert row.tags == []


def test_shelves_give_the_status_and_other_shelves_become_tags():
    rows = by_title(rows_of("goodreads_23.csv"))
    assert rows["The Name of the Wind"].status == "reading"
    assert rows["The Name of the Wind"].tags == ["fantasy"]
    assert rows["Gödel, Escher, Bach: An Eternal Golden Braid"].status == "want"
    assert rows["Dune"].tags == ["sci-fi", "favorites"]


def test_a_custom_exclusive_shelf_is_a_tag_with_a_warning():
    kings = by_title(rows_of("goodreads_24.csv"))["The Way of Kings"]
    assert kings.status == "want"
    assert kings.tags == ["owned-unread", "epic"]
    assert "owned-unread" in kings.warnings[0]


def test_review_line_breaks_notes_and_owned_copies():
    rows = by_title(rows_of("goodreads_23.csv"))
    assert rows["Dune"].review == "The spice must flow.\n\nBetter the second time."
    assert rows["Dune"].notes == "Lent the old copy to Sam."
    assert rows["Dune"].owned is True
    assert rows["Piranesi"].owned is None
    assert rows["Anathem"].review == "Stopped at page 300.\nThe glossary wore me out."
    old = by_title(rows_of("goodreads_31.csv"))["The Left Hand of Darkness"]
    assert old.review == "Still the best.\nKemmer!"


def test_a_review_spanning_lines_is_one_row_with_its_lines():
    anathem = by_title(rows_of("goodreads_23.csv"))["Anathem"]
    assert (anathem.line, anathem.end_line) == (6, 7)


def test_book_details_from_the_file():
    dune = by_title(rows_of("goodreads_23.csv"))["Dune"]
    assert (dune.publisher, dune.published, dune.pages) == ("Ace Books", "1990", 604)


def test_a_bad_isbn13_with_a_valid_isbn10_is_imported_by_the_valid_one():
    hyperion = by_title(rows_of("goodreads_23.csv"))["Hyperion"]
    assert (hyperion.line, hyperion.isbn13) == (8, "9780553283686")
    assert hyperion.warnings == [
        "ISBN 9780553283687 fails its check digit in ISBN13; the book was "
        "imported by ISBN 9780553283686."
    ]


def test_both_isbns_bad_is_that_rows_error_with_its_line():
    rows = rows_of("goodreads_23.csv")
    [error] = errors(rows)
    assert error.line == 9
    assert error.reason == "ISBN 9780553288217 fails its check digit in ISBN13"
    assert len(rows) == 7


def test_spreadsheet_resave_with_bom_crlf_and_no_formulas():
    opened = open_fixture("goodreads_resaved.csv")
    assert opened.format.key == "goodreads"
    assert opened.encoding == "utf-8-sig"
    rows = list(opened.rows())
    dune = rows[0]
    assert isinstance(dune, ImportRow)
    assert dune.isbn13 == "9780441172719"
    assert dune.review == "Line one.\nLine two."
    assert any("leading zero" in w for w in dune.warnings)
    # The ISBN13 a spreadsheet mangled is never guessed: the ISBN column saves it.
    hail_mary = rows[1]
    assert hail_mary.isbn13 == "9780593135204"
    assert (
        "ISBN written by a spreadsheet as 9.78059E+12 in ISBN13; type it in full; "
        "the book was imported by ISBN 9780593135204." in hail_mary.warnings
    )
    reasons = [e.reason for e in errors(rows)]
    assert reasons == [
        "unreadable date “31/02/2020” in Date Read; write it as YYYY-MM-DD",
        "ISBN written by a spreadsheet as 9.78077E+12 in ISBN13; type it in full",
    ]


def test_columns_are_read_by_name_not_position():
    text = (
        "Title,Exclusive Shelf,My Rating,ISBN13,Author,Book Id,Bookshelves\n"
        'Dune,read,3,"=""9780441172719""",Frank Herbert,1,"read, desert"\n'
    )
    from tests.imports.helpers import open_text

    [row] = list(open_text(text).rows())
    assert (row.title, row.authors, row.isbn13, row.rating, row.status) == (
        "Dune",
        ["Frank Herbert"],
        "9780441172719",
        Decimal("3.0"),
        "read",
    )
    assert row.tags == ["desert"]


def _goodreads(*titles: str) -> str:
    header = (
        "Book Id,Title,Author,ISBN,ISBN13,My Rating,Exclusive Shelf,Bookshelves,"
        "Private Notes\n"
    )
    rows = "".join(
        f'{n},"{title}",Ann Author,="",="",0,to-read,to-read,"{title}"\n'
        for n, title in enumerate(titles, start=1)
    )
    return header + rows


def test_our_own_formula_escapes_come_off():
    rows = list(open_text(_goodreads("'-ish", "'@home", "'=1+1", "''=x")).rows())
    assert [(r.title, r.notes) for r in rows] == [
        ("-ish", "-ish"),
        ("@home", "@home"),
        ("=1+1", "=1+1"),
        ("'=x", "'=x"),
    ]


def test_a_title_that_starts_with_an_apostrophe_keeps_it():
    rows = list(open_text(_goodreads("'Salem's Lot", "'Tis the Season", "'")).rows())
    assert [r.title for r in rows] == ["'Salem's Lot", "'Tis the Season", "'"]


@pytest.mark.parametrize("shelf", ["wishlist", "wish-list", "Wish List"])
def test_a_wishlist_shelf_is_not_owned_and_no_tag(shelf):
    text = (
        "Book Id,Title,Author,ISBN13,Exclusive Shelf,Bookshelves,My Rating,"
        "Owned Copies\n"
        f'1,Dune,Frank Herbert,,to-read,"desert, {shelf}, to-read",0,0\n'
        f"2,Emma,Jane Austen,,{shelf},{shelf},0,0\n"
        f'3,Kim,Rudyard Kipling,,to-read,"{shelf}, to-read",0,1\n'
        "4,Ivanhoe,Walter Scott,,to-read,to-read,0,0\n"
    )
    dune, emma, kim, ivanhoe = open_text(text).rows()
    assert (dune.owned, dune.tags, dune.status) == (False, ["desert"], "want")
    assert (emma.owned, emma.tags, emma.status, emma.warnings) == (
        False,
        [],
        "want",
        [],
    )
    # Copies say it is owned: the shelf is only a tag.
    assert (kim.owned, kim.tags) == (True, [shelf])
    # Goodreads writes 0 copies for most books: that alone is no answer.
    assert ivanhoe.owned is None
