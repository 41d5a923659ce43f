"""Paging forwards and back, and the number of books a listing holds: every
catalog backend must pass these same tests."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from booklibrary.cursors import InvalidCursor
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

TITLES = ["Anna", "Beloved", "Candide", "Dracula", "Emma", "Faust", "Gilead"]


def _titles(page):
    return [r.book.title for r in page.items]


def _forwards(user, **lookup):
    """Every page from the first, following next cursors."""
    pages = [UserBook.objects.page_for_user(user, limit=3, **lookup)]
    while pages[-1].next_cursor:
        pages.append(
            UserBook.objects.page_for_user(
                user, cursor=pages[-1].next_cursor, limit=3, **lookup
            )
        )
    return pages


def _backwards(user, last, **lookup):
    """Every page before ``last``, following previous cursors, nearest first."""
    pages = [last]
    while pages[-1].prev_cursor:
        pages.append(
            UserBook.objects.page_for_user(
                user, cursor=pages[-1].prev_cursor, limit=3, **lookup
            )
        )
    return pages


class PagingContract:
    """Mixed into one test class per backend; the class sets ``backend``."""

    backend: str
    counts_searches: bool

    @pytest.fixture(autouse=True)
    def _use_backend(self, settings, db):
        settings.CATALOG_BACKEND = self.backend

    @pytest.fixture
    def reader(self):
        user = UserFactory()
        now = timezone.now()
        for n, title in enumerate(TITLES):
            UserBookFactory(
                user=user,
                book=BookFactory(title=title, authors=[f"Writer {title}"]),
                status="read" if n % 2 else "want",
                rating=Decimal(n % 5 + 1),
                added_at=now - timedelta(days=n),
            )
        return user

    @pytest.mark.parametrize("sort", ["added", "title", "author", "rating"])
    def test_previous_pages_are_the_pages_that_came_before(self, reader, sort):
        forwards = _forwards(reader, sort=sort)
        assert [len(p.items) for p in forwards] == [3, 3, 1]
        assert [p.offset for p in forwards] == [0, 3, 6]
        back = _backwards(reader, forwards[-1], sort=sort)
        assert [_titles(p) for p in reversed(back)] == [_titles(p) for p in forwards]
        assert [p.offset for p in reversed(back)] == [0, 3, 6]
        assert forwards[0].prev_cursor is None and back[-1].prev_cursor is None

    def test_next_from_a_page_reached_backwards_goes_forwards_again(self, reader):
        forwards = _forwards(reader, sort="title")
        second = UserBook.objects.page_for_user(
            reader, cursor=forwards[2].prev_cursor, limit=3, sort="title"
        )
        assert _titles(second) == ["Dracula", "Emma", "Faust"]
        assert second.offset == 3 and second.prev_cursor and second.next_cursor
        third = UserBook.objects.page_for_user(
            reader, cursor=second.next_cursor, limit=3, sort="title"
        )
        assert _titles(third) == ["Gilead"] and third.offset == 6

    def test_paging_back_keeps_the_filter_and_the_search(self, reader):
        lookup = {"status": "want", "query": "a", "sort": "title"}
        # want: Anna, Candide, Emma, Gilead; each has an "a" in its title or author.
        forwards = [
            UserBook.objects.page_for_user(reader, limit=2, **lookup),
        ]
        forwards.append(
            UserBook.objects.page_for_user(
                reader, cursor=forwards[0].next_cursor, limit=2, **lookup
            )
        )
        assert [_titles(p) for p in forwards] == [
            ["Anna", "Candide"],
            ["Emma", "Gilead"],
        ]
        assert forwards[1].next_cursor is None
        back = UserBook.objects.page_for_user(
            reader, cursor=forwards[1].prev_cursor, limit=2, **lookup
        )
        assert _titles(back) == ["Anna", "Candide"] and back.prev_cursor is None

    def test_a_previous_link_belongs_to_its_listing(self, reader):
        second = _forwards(reader, sort="title")[1]
        with pytest.raises(InvalidCursor):
            UserBook.objects.page_for_user(
                reader, cursor=second.prev_cursor, limit=3, sort="added"
            )
        with pytest.raises(InvalidCursor):
            UserBook.objects.page_for_user(
                UserFactory(), cursor=second.prev_cursor, limit=3, sort="title"
            )

    def test_the_count_follows_the_status(self, reader):
        assert UserBook.objects.count_for_user(reader) == 7
        assert UserBook.objects.count_for_user(reader, status="read") == 3
        assert UserBook.objects.count_for_user(reader, status="dnf") == 0
        assert UserBook.objects.count_for_user(UserFactory()) == 0

    def test_the_count_of_a_search_is_exact_or_unknown(self, reader):
        found = UserBook.objects.count_for_user(reader, status="want", query="emma")
        assert found == (1 if self.counts_searches else None)


class TestOrmPaging(PagingContract):
    backend = "catalog.backends.orm.OrmCatalogBackend"
    counts_searches = True


class TestDynamoPaging(PagingContract):
    backend = "catalog.backends.dynamodb.DynamoCatalogBackend"
    # A search's number would need the whole library read: it is not known.
    counts_searches = False

    @pytest.fixture(autouse=True)
    def _moto(self, aws_tables):
        """The tables in moto; any Scan fails the test."""

        def refuse_scan(**kwargs):
            raise AssertionError("The catalog must never Scan a DynamoDB table.")

        aws_tables.meta.events.register("before-call.dynamodb.Scan", refuse_scan)
