"""Series: positions, order, keys, suggestions from titles, gaps, fetched series."""

from decimal import Decimal

import pytest
import responses
from django.core.exceptions import ValidationError

from catalog import metadata, series
from catalog.services.limits import fit_fetched
from tests.fake_provider import load_fixture

DUNE = "9780441013593"
MORT = "9780552152921"


@pytest.mark.parametrize(
    ("text", "start", "end", "stored"),
    [
        ("2", "2", "2", "2"),
        ("#4", "4", "4", "4"),
        ("2.5", "2.5", "2.5", "2.5"),
        ("2,5", "2.5", "2.5", "2.5"),
        ("1-3", "1", "3", "1-3"),
        ("1\u20133", "1", "3", "1-3"),
        (" 1 - 3 ", "1", "3", "1-3"),
        ("Book 3", "3", "3", "3"),
        ("010", "10", "10", "10"),
    ],
)
def test_a_position_is_a_number_a_decimal_or_a_range(text, start, end, stored):
    position = series.parse_position(text)
    assert (position.start, position.end) == (Decimal(start), Decimal(end))
    assert position.text == stored
    assert series.position_text(text) == stored


@pytest.mark.parametrize("text", ["two", "3-1", "1-", "#", "1.2.3", "1e5"])
def test_text_that_is_no_position_is_refused(text):
    with pytest.raises(ValueError, match="not a position"):
        series.parse_position(text)
    assert series.position_text(text) == ""


def test_positions_order_by_number_ranges_by_start_and_none_last():
    texts = ["10", "", "2", "1-3", "2.5", "1", "0.5"]
    assert sorted(texts, key=series.order_key) == [
        "0.5",
        "1",
        "1-3",
        "2",
        "2.5",
        "10",
        "",
    ]


def test_series_keys_ignore_case_and_spaces_but_keep_accents():
    assert series.series_key("  Les  Misérables ") == "les misérables"
    assert series.series_key("LES MISÉRABLES") == "les misérables"
    assert series.series_key("Les Miserables") != series.series_key("Les Misérables")
    entries = [series.entry("Dune"), series.entry("Été", "2")]
    assert series.keys_text(entries) == "|dune|été|"
    assert series.keys_text([]) == ""


@pytest.mark.parametrize(
    ("text", "name", "position"),
    [
        ("Dune Chronicles #1", "Dune Chronicles", "1"),
        ("Discworld -- 5", "Discworld", "5"),
        ("Discworld ; 5", "Discworld", "5"),
        ("The Expanse, Book 3", "The Expanse", "3"),
        ("Omnibus, 1-3", "Omnibus", "1-3"),
        ("Discworld", "Discworld", ""),
        ("  Les   Rougon-Macquart  ", "Les Rougon-Macquart", ""),
    ],
)
def test_a_providers_series_text_gives_name_and_position(text, name, position):
    assert series.parse_entry(text) == {"name": name, "position": position}


def test_a_line_a_reader_types_takes_a_position_only_after_a_hash():
    assert series.parse_line("Catch 22") == {"name": "Catch 22", "position": ""}
    assert series.parse_line("C# Books #2") == {"name": "C# Books", "position": "2"}
    assert series.parse_line("Dune #1-3") == {"name": "Dune", "position": "1-3"}
    assert series.parse_line("Number #one") == {"name": "Number #one", "position": ""}
    assert series.parse_line("  ") is None
    for one in ({"name": "Dune", "position": "2.5"}, {"name": "Mort", "position": ""}):
        assert series.parse_line(series.line(one)) == one


@pytest.mark.parametrize(
    ("title", "found"),
    [
        ("Dune (Dune Chronicles, #1)", [{"name": "Dune Chronicles", "position": "1"}]),
        ("Title (Series #2.5)", [{"name": "Series", "position": "2.5"}]),
        ("Title (Series, Book 3)", [{"name": "Series", "position": "3"}]),
        ("Leviathan (The Expanse, #1-3)", [{"name": "The Expanse", "position": "1-3"}]),
        ("Dune", []),
        ("Catch-22 (Vintage Classics)", []),
        ("", []),
    ],
)
def test_a_series_is_suggested_from_a_title(title, found):
    assert series.suggest(title) == found


def test_clean_reads_lines_and_refuses_what_it_cannot_store():
    assert series.clean("Dune Chronicles #1\n\nDUNE chronicles #2\nMort") == [
        {"name": "Dune Chronicles", "position": "1"},
        {"name": "Mort", "position": ""},
    ]
    with pytest.raises(ValidationError, match="cannot hold"):
        series.clean("A|B #1")
    with pytest.raises(ValidationError, match="at most 100"):
        series.clean("x" * 101)
    with pytest.raises(ValidationError, match="not a position"):
        series.clean([{"name": "Dune", "position": "first"}])
    with pytest.raises(ValidationError, match="at most 10 series"):
        series.clean("\n".join(f"S{n}" for n in range(11)))


def test_gaps_are_the_whole_positions_missing_before_each_book():
    assert series.gaps_before(["1", "2", "4"]) == ["", "", "3"]
    assert series.missing(["4", "1", "2"]) == ["3"]
    assert series.held_text(["4", "1", "2"]) == "1, 2 and 4"
    # A range fills its numbers; a decimal neither fills nor opens a gap.
    assert series.gaps_before(["1-3", "3.5", "7"]) == ["", "", "4\u20136"]
    assert series.gaps_before(["2.5", "3", ""]) == ["", "1\u20132", ""]
    assert series.missing(["1", "2"]) == []
    assert series.missing(["", "2.5"]) == []


def test_the_sort_value_puts_books_without_a_series_last():
    dune = series.sort_value([series.entry("Dune", "2")], "dune")
    later = series.sort_value([series.entry("Dune", "10")], "children of dune")
    none = series.sort_value([], "abc")
    assert dune < later < none


def test_open_library_series_are_read_from_an_edition():
    records = load_fixture("openlibrary_books_series.json")
    dune = metadata.openlibrary.parse_record(
        isbn13=DUNE, record=records[f"ISBN:{DUNE}"]
    )
    assert dune.series == [
        {"name": "Dune Chronicles", "position": "1"},
        {"name": "Ace science fiction", "position": "17"},
    ]
    mort = metadata.openlibrary.parse_record(
        isbn13=MORT, record=records[f"ISBN:{MORT}"]
    )
    assert mort.series == [{"name": "Discworld", "position": "4"}]
    plain = load_fixture("openlibrary_books_hit.json")["ISBN:9780140328721"]
    assert metadata.openlibrary.parse_record(isbn13="x", record=plain).series == []
    odd = {"series": ["", 7, {"name": "Named #2"}, "A|B"]}
    assert metadata.openlibrary.parse_record(isbn13="x", record=odd).series == [
        {"name": "Named", "position": "2"},
        {"name": "A|B", "position": ""},
    ]
    # What reaches the book is what a reader could have typed.
    assert fit_fetched("series", [{"name": "A|B", "position": ""}]) == [
        {"name": "AB", "position": ""}
    ]


@responses.activate
def test_a_lookup_merges_the_series_into_the_result(settings):
    settings.OPENLIBRARY_URL = "https://openlibrary.org"
    settings.GOOGLE_BOOKS_URL = "https://www.googleapis.com"
    responses.get(
        "https://openlibrary.org/api/books",
        json=load_fixture("openlibrary_books_series.json"),
    )
    responses.get(
        "https://www.googleapis.com/books/v1/volumes",
        json=load_fixture("google_volumes_miss.json"),
    )
    found = metadata.OpenLibrary(sleep=lambda s: None).lookup([MORT])
    assert found[MORT].series == [{"name": "Discworld", "position": "4"}]
