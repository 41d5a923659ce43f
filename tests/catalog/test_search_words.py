"""The one normalisation of search text: what records store and what is typed."""

import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from catalog.backends.base import SEARCH_TEXT_MAX, listing_fields
from catalog.models import Book
from catalog.search import fold, isbn_words, search_key, search_words

DUNE_13, DUNE_10 = "9780441172719", "0441172717"


def _found(query: str, *texts: str) -> bool:
    """Whether the query finds the texts, the way both backends match words."""
    stored = search_key(texts, limit=SEARCH_TEXT_MAX)
    return all(word in stored for word in search_words(query))


@pytest.mark.parametrize(
    "typed",
    [
        DUNE_10,
        DUNE_13,
        "978-0-441-17271-9",
        "0-441-17271-7",
        "978 0 441 17271 9",
        "978\u20110\u2011441\u201117271\u20119",  # non-breaking hyphens
        "ISBN 978-0-441-17271-9",
        "isbn-10: 0441172717",
        "\uff10\uff14\uff14\uff11\uff11\uff17\uff12\uff17\uff11\uff17",  # full-width
        "\u0660\u0664\u0664\u0661\u0661\u0667\u0662\u0667\u0661\u0667",  # Arabic-Indic
    ],
)
def test_an_isbn_typed_in_any_form_is_one_word_its_isbn13(typed):
    assert search_words(typed) == [DUNE_13]


def test_an_isbn10_ending_in_x_is_read_whatever_its_case():
    assert search_words("0-8044-2957-x") == search_words("080442957X")
    assert search_words("080442957x") == ["9780804429573"]


def test_an_isbn_typed_a_digit_at_a_time_is_read_and_dashes_alone_are_not():
    assert search_words("ISBN 9 7 8 0 4 4 1 1 7 2 7 1 9") == [DUNE_13]
    assert search_words(" - " * 100 + "dune") == ["dune"]


def test_an_isbn_among_words_stays_one_word():
    assert search_words("dune 978-0-441-17271-9 herbert") == [
        "dune",
        DUNE_13,
        "herbert",
    ]
    assert search_words("catch 22 9780441172719") == ["catch", "22", DUNE_13]


def test_an_isbn_with_a_typo_stays_one_word_and_other_digits_stay_words():
    assert search_words("978-0-441-17271-8") == ["9780441172718"]
    assert search_words("0-8044-2957-1") == ["0804429571"]
    assert search_words("1984") == ["1984"]
    assert search_words("1984-85") == ["1984", "85"]


def test_a_record_indexes_the_isbn13_and_for_978_the_isbn10():
    assert isbn_words(DUNE_13) == [DUNE_13, DUNE_10]
    assert isbn_words("9791032305690") == ["9791032305690"]  # 979: no ISBN-10
    assert isbn_words("") == []
    assert isbn_words("12345") == ["12345"]  # a stored oddity is still indexed
    book = Book(key=DUNE_13, isbn13=DUNE_13, title="Dune")
    stored = listing_fields(book)["search_text"]
    assert stored.startswith(f"{DUNE_13} {DUNE_10} dune")


@pytest.mark.parametrize(
    "typed", ["hitchhikers", "Hitchhiker's", "hitchhiker\u2019s", "HITCHHIKER"]
)
@pytest.mark.parametrize(
    "title",
    [
        "The Hitchhiker's Guide to the Galaxy",
        "The Hitchhiker\u2019s Guide to the Galaxy",
        "The Hitchhiker\u02bcs Guide to the Galaxy",
    ],
)
def test_apostrophes_straight_or_typographic_are_ignored(typed, title):
    assert _found(typed, title)


def test_a_hyphenated_word_is_stored_split_and_joined():
    assert search_key(["Sci-Fi Classics"], limit=100) == "sci fi scifi classics"
    for typed in ("sci-fi", "scifi", "sci fi", "Sci\u2013Fi", "SCI FI"):
        assert _found(typed, "Sci-Fi Classics"), typed
    assert _found("sci-fi", "Sci Fi Stories") and _found("sci fi", "Scifi")


def test_periods_and_other_punctuation_are_breaks():
    assert search_words("Dr. No") == ["dr", "no"]
    assert _found("dr no", "Dr. No") and _found("Dr.No", "Dr. No")
    assert _found("jrr tolkien", "J.R.R. Tolkien")
    assert _found("j.r.r.", "J. R. R. Tolkien")
    assert _found("what", "What?! (A Novel)") and _found("novel", "«Novel»")


def test_control_characters_separate_words_and_are_never_searched_for():
    assert search_words("dr\x00no\u200bvel\u2028x") == ["dr", "novel", "x"]
    assert "\x00" not in search_key(["a\x00b"], limit=100)


def test_a_query_of_punctuation_alone_searches_for_nothing():
    assert search_words("&") == [] and search_words(" - ... ") == []


def test_accents_and_case_are_folded_as_before():
    assert search_words("García Márquez") == ["garcia", "marquez"]
    assert _found("GARCIA", "Gabriel García Márquez")
    assert _found("strasse", "Straße") and _found("ÉLISE", "élise")
    assert _found("ann", "ＡＮＮ")


@pytest.mark.parametrize(
    ("title", "typed"),
    [
        ("三体", "三体"),
        ("ノルウェイの森", "ノルウェイ"),
        ("Война и мир", "война"),
        ("Преступление и наказание", "НАКАЗАНИЕ"),
        ("الخيميائي", "الخيميائي"),
        ("ألف ليلة وليلة", "ليلة"),
        ("हिन्दी कहानियाँ", "कहानियाँ"),
        ("Ελληνικά", "ελληνικα"),
        ("📚 Bookworm ❤️", "📚"),
        ("I ❤️ NY", "❤"),
    ],
)
def test_text_of_any_script_is_kept_and_found_by_itself(title, typed):
    stored = search_key([title], limit=SEARCH_TEXT_MAX)
    kept = {c for c in fold(title) if unicodedata.category(c)[0] in "LS"}
    assert kept and kept <= set(stored)  # no letter or symbol is dropped
    assert _found(typed, title)
    assert not _found(typed, "Something else entirely")


def test_digits_of_any_script_are_read_as_ascii():
    assert search_words("١٩٨٤") == ["1984"]
    assert _found("1984", "١٩٨٤") and _found("١٩٨٤", "1984")


def test_the_stored_text_is_capped_and_keeps_the_isbn_and_title_first():
    book = Book(
        key=DUNE_13,
        isbn13=DUNE_13,
        title="Dune",
        subtitle="x-y " * 2_000,
        authors=[f"Author-{n}" for n in range(500)],
    )
    stored = listing_fields(book)["search_text"]
    assert len(stored) <= SEARCH_TEXT_MAX
    assert stored.startswith(f"{DUNE_13} {DUNE_10} dune author 0 author0")


@given(st.text(max_size=80))
def test_any_text_is_found_by_itself(text):
    """Whatever is typed finds the record it was stored in (ISBNs aside)."""
    digits = unicodedata.normalize("NFKC", text)
    assume(sum(c.isdecimal() for c in digits) < 9)  # too few digits for an ISBN
    stored = search_key([text], limit=SEARCH_TEXT_MAX)
    words = search_words(text)
    assert all(word and word in stored for word in words)
    assert not any(unicodedata.category(c)[0] in "PZ" for c in "".join(words))
    assert bool(words) == bool(stored)
