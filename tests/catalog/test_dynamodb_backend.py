"""What the DynamoDB catalog backend costs in calls, and the limits it enforces.

The contract suite proves it behaves like the ORM backend; these tests prove a
library page stays at three calls however large the library, that DynamoDB's
request limits are checked before AWS would refuse, and that cursors stay
within their backend.
"""

from decimal import Decimal

import pytest

from booklibrary import dynamo_utils, dynamodb
from booklibrary.cursors import InvalidCursor
from catalog.backends.base import StaleEdit
from catalog.backends.dynamodb import DynamoCatalogBackend
from catalog.backends.dynamodb.items import book_to_item
from catalog.models import Book, UserBook
from tests.dynamo_library import dynamo_book, fill_dynamo_library
from tests.factories import BookFactory, UserBookFactory, UserFactory, isbn13_for


@pytest.fixture
def calls(aws_tables):
    """The names of the DynamoDB operations called; a Scan fails the test."""
    names: list[str] = []

    def record(model, **kwargs):
        names.append(model.name)
        assert model.name != "Scan", "The catalog must never Scan a table."

    aws_tables.meta.events.register("before-call.dynamodb", record)
    return names


@pytest.fixture
def backend(settings, calls):
    settings.CATALOG_BACKEND = "catalog.backends.dynamodb.DynamoCatalogBackend"
    return DynamoCatalogBackend()


@pytest.mark.django_db
class TestCallCounts:
    def test_a_library_page_costs_three_calls_with_2000_books(
        self, backend, calls, user
    ):
        fill_dynamo_library(user, 2000)
        lookups = [{}, {"sort": "title"}, {"status": "read", "sort": "rating"}]
        for lookup in lookups:
            calls.clear()
            page = backend.page_for_user(user, **lookup)
            counts = backend.status_counts(user)
            assert calls == ["Query", "BatchGetItem", "GetItem"], lookup
            assert len(page.items) == 24 and page.next_cursor
            assert all(r.book.title for r in page.items)
            assert counts["all"] == 2000 and counts["read"] == 500
            calls.clear()
            backend.page_for_user(user, cursor=page.next_cursor, **lookup)
            assert calls == ["Query", "BatchGetItem"], lookup

    def test_the_pages_follow_the_order_across_cursors(self, backend, user):
        fill_dynamo_library(user, 60)
        first = backend.page_for_user(user, status="read", sort="rating", limit=5)
        second = backend.page_for_user(
            user, status="read", sort="rating", limit=5, cursor=first.next_cursor
        )
        ratings = [r.rating or 0 for r in first.items + second.items]
        assert ratings == sorted(ratings, reverse=True)
        assert {r.status for r in first.items + second.items} == {"read"}
        assert not {r.book_id for r in first.items} & {r.book_id for r in second.items}

    def test_a_sparse_search_reads_on_until_the_page_is_full(
        self, backend, calls, user
    ):
        books = fill_dynamo_library(user, 400)
        calls.clear()
        page = backend.page_for_user(user, query=books[399].title, limit=3)
        assert [r.book_id for r in page.items] == [books[399].pk]
        assert page.next_cursor is None
        assert calls.count("Query") >= 2 and calls[-1] == "BatchGetItem"

    def test_records_for_keys_come_with_their_books_in_one_call(
        self, backend, calls, user
    ):
        books = fill_dynamo_library(user, 30)
        calls.clear()
        found = backend.userbooks_for_keys(user, [b.pk for b in books] + ["none"])
        assert len(found) == 30 and calls == ["BatchGetItem"]
        assert found[books[0].pk].book.title == books[0].title


@pytest.mark.django_db
class TestCounters:
    def test_status_changes_and_removals_move_the_counters(self, backend, user):
        book = BookFactory()
        UserBook.objects.add(user, book, status="want")
        backend.update_userbook(user, book.pk, version=1, changes={"status": "read"})
        assert backend.status_counts(user) == {
            "want": 0,
            "reading": 0,
            "read": 1,
            "dnf": 0,
            "all": 1,
        }
        backend.remove_userbook(user, book.pk)
        assert backend.status_counts(user)["all"] == 0

    def test_a_stale_status_change_leaves_the_counters_alone(self, backend, user):
        record = UserBookFactory(user=user, status="want")
        backend.update_userbook(user, record.book_id, version=1, changes={})
        with pytest.raises(StaleEdit):
            backend.update_userbook(
                user, record.book_id, version=1, changes={"status": "read"}
            )
        assert backend.status_counts(user)["want"] == 1

    def test_a_rating_change_moves_the_record_in_rating_order(self, backend, user):
        low, high = UserBookFactory(user=user), UserBookFactory(user=user)
        backend.update_userbook(
            user, low.book_id, version=1, changes={"rating": Decimal("1.0")}
        )
        backend.update_userbook(
            user, high.book_id, version=1, changes={"rating": Decimal("4.5")}
        )
        page = backend.page_for_user(user, sort="rating")
        assert [r.book_id for r in page.items] == [high.book_id, low.book_id]
        assert page.items[0].rating == Decimal("4.5")

    def test_a_book_refresh_keeps_a_concurrent_edit(self, backend, user):
        record = UserBookFactory(user=user, book=BookFactory(title="Pending"))
        book = Book.objects.get_by_key(record.book_id)
        backend.update_userbook(
            user, record.book_id, version=1, changes={"notes": "Mine"}
        )
        book.title = "Dune"
        backend.save_book(book)
        current = backend.get_userbook(user, record.book_id)
        assert (current.notes, current.sort_title, current.book.title) == (
            "Mine",
            "dune",
            "Dune",
        )


@pytest.mark.django_db
class TestLimits:
    def test_a_500_kb_description_is_refused_before_any_call(self, backend, calls):
        book = dynamo_book(1, description="x" * 500_000)
        with pytest.raises(dynamo_utils.ItemTooLarge, match=r"too large.*400 KB"):
            backend.get_or_create_book(book)
        with pytest.raises(dynamo_utils.ItemTooLarge):
            backend.save_book(book)
        assert calls == []

    def test_get_books_with_250_keys_makes_3_batch_calls(self, backend, calls):
        books = [dynamo_book(n) for n in range(250)]
        dynamo_utils.batch_put(
            dynamodb.client(),
            dynamodb.table_name(dynamodb.BOOKS),
            [book_to_item(b) for b in books],
        )
        assert calls == ["BatchWriteItem"] * 10
        calls.clear()
        found = backend.get_books([b.pk for b in books])
        assert len(found) == 250 and calls == ["BatchGetItem"] * 3

    def test_unprocessed_keys_are_retried(self, backend, monkeypatch):
        books = [dynamo_book(n) for n in range(3)]
        for book in books:
            backend.get_or_create_book(book)
        client = dynamodb.client()
        real, answers = client.batch_get_item, []

        def busy_once(**kwargs):
            if not answers:
                answers.append("unprocessed")
                return {"Responses": {}, "UnprocessedKeys": kwargs["RequestItems"]}
            answers.append("answered")
            return real(**kwargs)

        monkeypatch.setattr(client, "batch_get_item", busy_once)
        monkeypatch.setattr(dynamo_utils, "BACKOFF_SECONDS", 0)
        found = backend.get_books([b.pk for b in books])
        assert sorted(found) == sorted(b.pk for b in books)
        assert answers == ["unprocessed", "answered"]

    def test_a_batch_that_stays_unprocessed_raises(self, backend, monkeypatch):
        client = dynamodb.client()
        monkeypatch.setattr(
            client,
            "batch_get_item",
            lambda **kw: {"Responses": {}, "UnprocessedKeys": kw["RequestItems"]},
        )
        monkeypatch.setattr(dynamo_utils, "BACKOFF_SECONDS", 0)
        with pytest.raises(dynamo_utils.UnprocessedError):
            backend.get_books([isbn13_for(1)])

    def test_a_transaction_past_100_actions_is_refused_before_any_call(self, calls):
        action = {"ConditionCheck": {}}
        with pytest.raises(dynamo_utils.RequestTooLarge, match="100 actions"):
            dynamo_utils.transact_write(dynamodb.client(), [action] * 101)
        assert calls == []

    def test_the_item_size_estimate_counts_names_and_nested_values(self):
        item = dynamo_utils.to_item(
            {"name": "abc", "n": 12345, "tags": ["ab", "c"], "map": {"k": True}}
        )
        # "name"+3, "n"+4, "tags"+(3+3+2), "map"+(3+1+1+1)
        assert dynamo_utils.item_size(item) == 7 + 5 + 12 + 9


@pytest.mark.django_db
class TestCursorScopes:
    def test_cursors_do_not_cross_backends(self, settings, aws_tables):
        reader = UserFactory()
        cursors = {}
        for name in ("orm.OrmCatalogBackend", "dynamodb.DynamoCatalogBackend"):
            settings.CATALOG_BACKEND = f"catalog.backends.{name}"
            for _ in range(3):
                UserBookFactory(user=reader)
            page = UserBook.objects.page_for_user(reader, sort="title", limit=2)
            cursors[name] = page.next_cursor
            assert page.next_cursor
        for name, cursor in cursors.items():
            other = next(n for n in cursors if n != name)
            settings.CATALOG_BACKEND = f"catalog.backends.{other}"
            with pytest.raises(InvalidCursor):
                UserBook.objects.page_for_user(reader, sort="title", cursor=cursor)
