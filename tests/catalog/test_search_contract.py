"""Library search: the same queries find the same books on every backend.

Run on the ORM (SQLite here; PostgreSQL through ``test_search_postgresql.py``,
which runs this module again against a PostgreSQL database) and on DynamoDB
(moto), through ``UserBook.objects.page_for_user`` as the library page calls it.
"""

import os

import pytest
from django.db import connection

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory, isbn13_for

# The database vendor the ORM cases must run on (the PostgreSQL run sets it).
EXPECTED_VENDOR = os.environ.get("SEARCH_CONTRACT_VENDOR", "sqlite")

LIBRARY = [
    # (isbn13, title, subtitle, authors)
    ("9780441172719", "Dune", "", ["Frank Herbert"]),
    ("9780345391803", "The Hitchhiker's Guide to the Galaxy", "", ["Douglas Adams"]),
    (None, "The Hitchhiker\u2019s Guide (Illustrated)", "", ["Douglas Adams"]),
    ("9780804429573", "Lord of Light", "", ["Roger Zelazny"]),
    (None, "Sci-Fi Classics", "Stories", ["Various"]),
    (None, "Scifi Digest", "", ["Ed Itor"]),
    (None, "Dr. No", "", ["Ian Fleming"]),
    (None, "The Lord of the Rings", "", ["J.R.R. Tolkien"]),
    (None, "三体", "", ["刘慈欣"]),
    (None, "Война и мир", "", ["Лев Толстой"]),
    (None, "الخيميائي", "", ["باولو كويلو"]),
    (None, "Cien años de soledad", "", ["Gabriel García Márquez"]),
    (None, "Bookworm 📚", "", ["Émoji Fan"]),
]
HITCHHIKERS = {
    "The Hitchhiker's Guide to the Galaxy",
    "The Hitchhiker\u2019s Guide (Illustrated)",
}


def _library(reader):
    for n, (isbn13, title, subtitle, authors) in enumerate(LIBRARY):
        isbn13 = isbn13 or isbn13_for(900 + n)
        book = BookFactory(
            isbn13=isbn13, key=isbn13, title=title, subtitle=subtitle, authors=authors
        )
        UserBookFactory(user=reader, book=book)


def _found(reader, queries) -> dict[str, set[str]]:
    return {
        query: {
            r.book.title
            for r in UserBook.objects.page_for_user(reader, query=query, limit=50).items
        }
        for query in queries
    }


class SearchContract:
    """Mixed into one test class per backend; the class sets ``backend``."""

    backend: str

    @pytest.fixture(autouse=True)
    def _use_backend(self, settings, db):
        settings.CATALOG_BACKEND = self.backend

    @pytest.fixture
    def reader(self):
        reader = UserFactory()
        _library(reader)
        return reader

    def test_an_isbn_finds_its_book_in_any_form(self, reader):
        expected = {
            "0441172717": {"Dune"},
            "9780441172719": {"Dune"},
            "978-0-441-17271-9": {"Dune"},
            "978 0 441 17271 9": {"Dune"},
            "0-441-17271-7": {"Dune"},
            "ISBN 978-0-441-17271-9": {"Dune"},
            "\uff10\uff14\uff14\uff11\uff11\uff17\uff12\uff17\uff11\uff17": {"Dune"},
            "044117271": {"Dune"},  # a part of the ISBN-10
            "080442957x": {"Lord of Light"},
            "0-8044-2957-X": {"Lord of Light"},
            "0345391802 adams": {"The Hitchhiker's Guide to the Galaxy"},
            "978-0-441-17271-8": set(),  # a wrong checksum is no ISBN, no match
        }
        assert _found(reader, expected) == expected

    def test_apostrophes_and_punctuation_are_ignored(self, reader):
        expected = {
            "hitchhikers": HITCHHIKERS,
            "Hitchhiker's": HITCHHIKERS,
            "hitchhiker\u2019s guide": HITCHHIKERS,
            "hitchhikers galaxy": {"The Hitchhiker's Guide to the Galaxy"},
            "sci-fi": {"Sci-Fi Classics", "Scifi Digest"},
            "sci fi": {"Sci-Fi Classics", "Scifi Digest"},
            "scifi": {"Sci-Fi Classics", "Scifi Digest"},
            "sci-fi stories": {"Sci-Fi Classics"},
            "dr no": {"Dr. No"},
            "Dr. No": {"Dr. No"},
            "dr.no fleming": {"Dr. No"},
            "dr\x00no\tfleming": {"Dr. No"},  # controls separate words
            "jrr tolkien": {"The Lord of the Rings"},
            "(illustrated)": {"The Hitchhiker\u2019s Guide (Illustrated)"},
        }
        assert _found(reader, expected) == expected

    def test_any_script_is_found_by_itself_accents_and_case_folded(self, reader):
        expected = {
            "三体": {"三体"},
            "刘慈欣": {"三体"},
            "ВОЙНА": {"Война и мир"},
            "толстой": {"Война и мир"},
            "الخيميائي": {"الخيميائي"},
            "كويلو": {"الخيميائي"},
            "garcia marquez": {"Cien años de soledad"},
            "AÑOS": {"Cien años de soledad"},
            "📚": {"Bookworm 📚"},
            "emoji": {"Bookworm 📚"},
            "zzz": set(),
        }
        assert _found(reader, expected) == expected

    def test_a_query_of_punctuation_alone_lists_every_book(self, reader):
        everything = {title for _, title, _, _ in LIBRARY}
        assert _found(reader, ["&", " - "]) == {"&": everything, " - ": everything}

    def test_a_searched_page_links_to_the_next_one(self, reader):
        first = UserBook.objects.page_for_user(
            reader, query="hitchhiker\u2019s", sort="title", limit=1
        )
        second = UserBook.objects.page_for_user(
            reader, query="hitchhiker\u2019s", sort="title", cursor=first.next_cursor
        )
        titles = [r.book.title for r in first.items + second.items]
        assert len(titles) == 2 and set(titles) == HITCHHIKERS
        assert second.next_cursor is None


class TestOrmSearch(SearchContract):
    backend = "catalog.backends.orm.OrmCatalogBackend"

    def test_runs_on_the_database_it_was_given(self):
        assert connection.vendor == EXPECTED_VENDOR


class TestDynamoSearch(SearchContract):
    backend = "catalog.backends.dynamodb.DynamoCatalogBackend"

    @pytest.fixture(autouse=True)
    def _moto(self, aws_tables):
        """The tables in moto; a search never Scans."""

        def refuse_scan(**kwargs):
            raise AssertionError("A search must never Scan a DynamoDB table.")

        aws_tables.meta.events.register("before-call.dynamodb.Scan", refuse_scan)
