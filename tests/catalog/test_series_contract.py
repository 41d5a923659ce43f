"""Series on both backends: the filter, the "Series" order and the counts.

The same tests run through the managers against the ORM and DynamoDB (moto,
where any Scan fails the test).
"""

import pytest

from booklibrary.cursors import InvalidCursor
from catalog.models import Book, UserBook
from catalog.series import NO_SERIES
from tests.factories import BookFactory, UserBookFactory, UserFactory, isbn13_for


def _titles(page):
    return [r.shown.title for r in page.items]


def _books(reader):
    """A small library: two series, one book in both, one corrected, one in none."""
    rows = [
        ("Dune", [{"name": "Dune Chronicles", "position": "1"}]),
        ("Children of Dune", [{"name": "Dune Chronicles", "position": "3"}]),
        ("God Emperor", [{"name": "dune chronicles", "position": "10"}]),
        (
            "Omnibus",
            [
                {"name": "Dune Chronicles", "position": "1-3"},
                {"name": "Ace Omnibuses", "position": "2"},
            ],
        ),
        ("Mort", [{"name": "Discworld", "position": "4"}]),
        ("Emma", []),
    ]
    records = {}
    for n, (title, series) in enumerate(rows):
        book = BookFactory(isbn13=isbn13_for(960 + n), title=title, series=series)
        records[title] = UserBookFactory(user=reader, book=book)
    return records


class SeriesContract:
    backend: str

    @pytest.fixture(autouse=True)
    def _use_backend(self, settings, db):
        settings.CATALOG_BACKEND = self.backend

    @pytest.fixture
    def reader(self):
        return UserFactory()

    def _exact(self, number):
        return None if "dynamodb" in self.backend else number

    def test_a_record_keeps_its_series_keys_names_and_sort_value(self, reader):
        _books(reader)
        omnibus = UserBook.objects.get_for_user(reader, isbn13_for(963))
        assert omnibus.series_keys == "|dune chronicles|ace omnibuses|"
        assert omnibus.series_names == "Dune Chronicles|Ace Omnibuses"
        assert omnibus.sort_series.startswith("dune chronicles\t")
        emma = UserBook.objects.get_for_user(reader, isbn13_for(965))
        assert (emma.series_keys, emma.series_names) == ("", "")
        assert emma.sort_series == f"{NO_SERIES}\temma"

    def test_a_series_filter_matches_the_whole_series_ignoring_case(self, reader):
        _books(reader)

        def titles(**lookup):
            page = UserBook.objects.page_for_user(reader, sort="title", **lookup)
            return _titles(page)

        assert titles(series="DUNE CHRONICLES") == [
            "Children of Dune",
            "Dune",
            "God Emperor",
            "Omnibus",
        ]
        assert titles(series="ace omnibuses") == ["Omnibus"]
        assert titles(series="Dune") == []
        assert titles(series="dune chronicles", query="emperor") == ["God Emperor"]
        assert titles(series="discworld", status="read") == []
        assert titles(series="discworld", status="want") == ["Mort"]
        assert UserBook.objects.count_for_user(reader, series="Discworld") == (
            self._exact(1)
        )

    def test_the_series_order_goes_by_series_then_number_then_title(self, reader):
        _books(reader)
        page = UserBook.objects.page_for_user(reader, sort="series")
        # Numbers in order (3 before 10), a range by its start, none last.
        assert _titles(page) == [
            "Mort",
            "Dune",
            "Omnibus",
            "Children of Dune",
            "God Emperor",
            "Emma",
        ]

    def test_the_series_order_keeps_to_a_status(self, reader):
        records = _books(reader)
        for title in ("Dune", "God Emperor", "Mort"):
            record = records[title]
            UserBook.objects.update_for_user(
                reader,
                record.book_id,
                version=record.version,
                changes={"status": "read"},
            )
        page = UserBook.objects.page_for_user(reader, sort="series", status="read")
        assert _titles(page) == ["Mort", "Dune", "God Emperor"]
        first = UserBook.objects.page_for_user(
            reader, sort="series", status="read", limit=2
        )
        rest = UserBook.objects.page_for_user(
            reader, sort="series", status="read", limit=2, cursor=first.next_cursor
        )
        assert _titles(first) + _titles(rest) == ["Mort", "Dune", "God Emperor"]
        assert rest.next_cursor is None
        assert UserBook.objects.count_for_user(reader, status="read") == 3

    def test_the_series_order_pages_both_ways_within_a_filter(self, reader):
        _books(reader)
        lookup = {"series": "dune chronicles", "sort": "series", "limit": 2}
        first = UserBook.objects.page_for_user(reader, **lookup)
        assert _titles(first) == ["Dune", "Omnibus"]
        second = UserBook.objects.page_for_user(
            reader, cursor=first.next_cursor, **lookup
        )
        assert _titles(second) == ["Children of Dune", "God Emperor"]
        assert second.next_cursor is None
        back = UserBook.objects.page_for_user(
            reader, cursor=second.prev_cursor, **lookup
        )
        assert _titles(back) == ["Dune", "Omnibus"]
        with pytest.raises(InvalidCursor):
            UserBook.objects.page_for_user(
                reader, series="discworld", sort="series", cursor=first.next_cursor
            )

    def test_series_counts_are_the_readers_own_in_their_most_used_form(self, reader):
        _books(reader)
        other = UserFactory()
        UserBookFactory(
            user=other,
            book=BookFactory(series=[{"name": "Theirs", "position": ""}]),
        )
        counts = UserBook.objects.series_counts(reader)
        assert counts.complete
        assert counts.series == [
            ("Ace Omnibuses", "ace omnibuses", 1),
            ("Discworld", "discworld", 1),
            ("Dune Chronicles", "dune chronicles", 4),
        ]
        assert UserBook.objects.series_counts(other).series == [("Theirs", "theirs", 1)]
        assert UserBook.objects.series_counts(UserFactory()).series == []

    def test_a_correction_moves_the_book_and_clearing_it_returns_it(self, reader):
        records = _books(reader)
        emma = records["Emma"]
        mine = [{"name": "Austen Novels", "position": "4"}]
        UserBook.objects.update_for_user(
            reader,
            emma.book_id,
            version=emma.version,
            changes={"corrections": {"series": mine}},
        )
        page = UserBook.objects.page_for_user(reader, series="austen novels")
        assert _titles(page) == ["Emma"]
        assert page.items[0].shown.series == mine
        stored = UserBook.objects.get_for_user(reader, emma.book_id)
        UserBook.objects.update_for_user(
            reader, emma.book_id, version=stored.version, changes={"corrections": {}}
        )
        assert (
            UserBook.objects.page_for_user(reader, series="austen novels").items == []
        )

    def test_fetched_series_reach_every_owner_unless_they_corrected(self, reader):
        records = _books(reader)
        other = UserFactory()
        book = records["Emma"].book
        theirs = UserBookFactory(
            user=other,
            book=book,
            corrections={"series": [{"name": "Mine", "position": "1"}]},
        )
        fresh = Book.objects.get_by_key(book.pk)
        fresh.series = [{"name": "Austen", "position": "4"}]
        Book.objects.save_book(fresh)
        assert _titles(UserBook.objects.page_for_user(reader, series="austen")) == [
            "Emma"
        ]
        assert UserBook.objects.page_for_user(other, series="austen").items == []
        kept = UserBook.objects.get_for_user(other, theirs.book_id)
        assert kept.series_keys == "|mine|"


class TestOrmSeries(SeriesContract):
    backend = "catalog.backends.orm.OrmCatalogBackend"


class TestDynamoSeries(SeriesContract):
    backend = "catalog.backends.dynamodb.DynamoCatalogBackend"

    @pytest.fixture(autouse=True)
    def _moto(self, aws_tables):
        """The tables in moto; any Scan fails the test."""

        def refuse_scan(**kwargs):
            raise AssertionError("The catalog must never Scan a DynamoDB table.")

        aws_tables.meta.events.register("before-call.dynamodb.Scan", refuse_scan)
        yield


@pytest.mark.django_db
def test_records_stored_before_series_get_their_keys_from_the_refresh(dynamo_mode):
    from booklibrary import dynamodb
    from catalog.backends.dynamodb.items import userbook_key

    reader = UserFactory()
    records = _books(reader)
    old = records["Mort"]
    # As the item was stored before series: none of their attributes.
    dynamo_mode.update_item(
        TableName=dynamodb.table_name(dynamodb.USERBOOKS),
        Key=userbook_key(reader.pk, old.book_id),
        UpdateExpression="REMOVE series_sk, series_keys, series_names, sort_series",
    )
    listed = UserBook.objects.page_for_user(reader, sort="series", limit=50)
    assert "Mort" not in _titles(listed)
    assert list(UserBook.objects.refresh_listings()) == [(6, 1)]
    listed = UserBook.objects.page_for_user(reader, sort="series", limit=50)
    assert _titles(listed)[0] == "Mort"
    assert _titles(UserBook.objects.page_for_user(reader, series="discworld")) == [
        "Mort"
    ]
