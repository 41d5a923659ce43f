"""One cell at a time: ratings, dates, ISBNs and names."""

from datetime import date
from decimal import Decimal

import pytest

from catalog.imports import STATUSES, values
from catalog.imports.rows import RowProblem
from catalog.models import ReadingStatus


@pytest.mark.parametrize(
    ("raw", "stars"),
    [
        ("4", "4.0"),
        ("4.0", "4.0"),
        ("4.50", "4.5"),
        ("3.75", "4.0"),
        ("3.25", "3.5"),
        ("3.2", "3.0"),
        ("0.25", "0.5"),
        ("4,5", "4.5"),
        ("0", None),
        ("", None),
    ],
)
def test_ratings_are_half_stars(raw, stars):
    got = values.rating(raw, "Rating", [])
    assert got == (Decimal(stars) if stars else None)


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2021/03/14", date(2021, 3, 14)),
        ("2021-03-14", date(2021, 3, 14)),
        ("[2021-03-14]", date(2021, 3, 14)),
        ("2023-01-20T00:00:00+00:00", date(2023, 1, 20)),
        ("2021/3/4", date(2021, 3, 4)),
        ("", None),
    ],
)
def test_dates_as_the_formats_write_them(raw, day):
    assert values.day(raw, "Date Read") == day


@pytest.mark.parametrize("raw", ["31/02/2020", "2020/02/31", "March 2020", "2020"])
def test_unreadable_dates_say_which_and_where(raw):
    with pytest.raises(RowProblem, match=f"unreadable date “{raw}” in Date Read"):
        values.day(raw, "Date Read")


@pytest.mark.parametrize(
    ("raw", "isbn13"),
    [
        ('="0441172717"', "9780441172719"),
        ('=""', None),
        ("978-0-441-17271-9", "9780441172719"),
        ("[0441172717]", "9780441172719"),
        ("0-06-051275-x", "9780060512750"),
    ],
)
def test_isbn_cells(raw, isbn13):
    assert values.isbn13(raw, "ISBN", []) == isbn13


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("9780441172718", "ISBN 9780441172718 fails its check digit in ISBN"),
        ("0441172718", "ISBN 0441172718 fails its check digit in ISBN"),
        ("9.78045E+12", "ISBN written by a spreadsheet as 9.78045E+12 in ISBN;"),
        ("9,78045E+12", "ISBN written by a spreadsheet as 9,78045E+12 in ISBN;"),
        ("1234567890123", "“1234567890123” in ISBN is not an ISBN: An ISBN-13 starts"),
    ],
)
def test_bad_isbn_cells_are_row_problems(raw, reason):
    with pytest.raises(RowProblem) as problem:
        values.isbn13(raw, "ISBN", [])
    assert str(problem.value).startswith(reason)


def test_a_lost_leading_zero_is_restored_only_when_the_check_digit_agrees():
    warnings: list[str] = []
    assert values.isbn13("441172717", "ISBN", warnings) == "9780441172719"
    assert "leading zero" in warnings[0]
    with pytest.raises(RowProblem):
        values.isbn13("441172718", "ISBN", [])


def test_names_and_series_positions():
    assert values.last_first("Tolkien, J. R. R.") == "J. R. R. Tolkien"
    assert values.last_first("Plato") == "Plato"
    assert values.names("Ann, ann ,  Bob  Smith,") == ["Ann", "Bob Smith"]
    assert [values.position(p) for p in ("1.0", "2.50", "0.5", "1-3")] == [
        "1",
        "2.5",
        "0.5",
        "1-3",
    ]


def test_statuses_are_the_apps_reading_statuses():
    assert set(STATUSES) == set(ReadingStatus.values)


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        ("Fonds rÃ©gional d'art contemporain", "Fonds régional d'art contemporain"),
        ("Itâ€™s", "It’s"),
        ("rÃƒÂ©gional", "régional"),  # garbled twice
        ("Â½ cup", "½ cup"),
    ],
)
def test_utf8_read_as_windows_1252_is_repaired_with_a_warning(raw, repaired):
    warnings: list[str] = []
    assert values.text(raw, "Publication", warnings) == repaired
    assert warnings[0].startswith("Publication had garbled accents, repaired")


@pytest.mark.parametrize("raw", ["café", "ÃO PAULO", "Gödel", "Ã© 日本", "Müller®"])
def test_text_that_only_looks_garbled_is_left_alone(raw):
    warnings: list[str] = []
    assert values.text(raw, "Title", warnings) == raw
    assert warnings == []


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("Still the best.<br/>Kemmer!", "Still the best.\nKemmer!"),
        ("<p>Cold, slow, wonderful.</p>", "Cold, slow, wonderful."),
        ("<p>One.</p><p>Two<br>lines.</p>", "One.\n\nTwo\nlines."),
        ("<p>Tea &amp; <em>cake</em> &lt;3</p>", "Tea & cake <3"),
        ("<ul><li>a</li><li>b</li></ul>", "a\nb"),
        ("I <3 it, and 2 < 3 > 1", "I <3 it, and 2 < 3 > 1"),
        (
            "No markup at all.\n\nTwo paragraphs.",
            "No markup at all.\n\nTwo paragraphs.",
        ),
        ("<p></p>", ""),
    ],
)
def test_html_text_keeps_paragraphs_and_drops_tags(raw, plain):
    assert values.html_text(raw) == plain


@pytest.mark.parametrize(
    ("cell", "language"),
    [
        ("eng", "English"),
        ("en", "English"),
        ("EN-gb", "English"),
        ("fre", "French"),
        ("fra, eng", "French"),
        ("ger", "German"),
        ("deu", "German"),
        ("pt_BR", "Portuguese"),
        ("English", "English"),
        ("Klingon", "Klingon"),
        ("", ""),
    ],
)
def test_language_codes_read_as_names(cell, language):
    assert values.first_language(cell, "languages", []) == language
