"""The series page, the series list and the library's series filter and order
cost a bounded number of calls (DynamoDB) and queries (ORM), whatever the size
of the library."""

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.backends.base import listing_fields
from catalog.backends.dynamodb import backend as dynamo_backend
from catalog.models import Book, UserBook
from tests.dynamo_library import fill_dynamo_library
from tests.factories import UserFactory, isbn13_for
from tests.test_dynamodb_page_calls import LIBRARY_CALLS, REQUEST_OVERHEAD

pytestmark = pytest.mark.django_db

PAGE_SIZE = 4
# The series page: a bounded filtered Query, then its books in batches of 100.
SERIES_PAGE_MAX = ["Query"] * 3 + ["BatchGetItem"] * 2


def _series(n):
    """Every other book is in Dune Chronicles, numbered 1, 2, 4, 5, 7, ..."""
    if n % 2:
        return []
    number = n // 2 + 1
    return [{"name": "Dune Chronicles", "position": str(number + number // 3)}]


@pytest.fixture
def calls(dynamo_mode):
    names: list[str] = []

    def record(model, **kwargs):
        assert model.name != "Scan", "A request path must never Scan a table."
        names.append(model.name)

    dynamo_mode.meta.events.register("before-call.dynamodb", record)
    return names


def _get(client, calls, url, params=None):
    calls.clear()
    response = client.get(url, params or {})
    assert response.status_code == 200
    return response, list(calls)


def test_the_series_filter_and_order_on_dynamodb_cost_the_same_for_10_and_2000(
    client, calls, settings
):
    settings.CATALOG_PAGE_SIZE = PAGE_SIZE
    url = reverse("catalog:book-list")
    seen = {}
    for count in (10, 2000):
        user = UserFactory()
        fill_dynamo_library(user, count, series_for=_series)
        client.force_login(user)
        response, first = _get(
            client, calls, url, {"series": "dune CHRONICLES", "sort": "series"}
        )
        page = response.context["page"]
        assert [r.shown.series[0]["position"] for r in page.items] == [
            "1",
            "2",
            "4",
            "5",
        ]
        _, second = _get(
            client,
            calls,
            url,
            {"series": "dune chronicles", "sort": "series", "cursor": page.next_cursor},
        )
        _, ordered = _get(client, calls, url, {"sort": "series"})
        seen[count] = (first, second, ordered)
    assert seen[10] == seen[2000] == (REQUEST_OVERHEAD + LIBRARY_CALLS,) * 3


def test_the_series_page_on_dynamodb_reads_a_bounded_number_of_times(client, calls):
    for count in (10, 2000):
        user = UserFactory()
        fill_dynamo_library(user, count, series_for=_series)
        client.force_login(user)
        response, made = _get(
            client, calls, reverse("catalog:series", args=["dune chronicles"])
        )
        assert made[:2] == REQUEST_OVERHEAD
        assert made[2] == "Query"
        assert len(made) <= len(REQUEST_OVERHEAD + SERIES_PAGE_MAX)
        rows = response.context["rows"]
        assert rows[0]["position"] == "1"
        assert [row["gap"] for row in rows[:4]] == ["", "", "3", ""]
        if count == 10:
            assert made[2:] == ["Query", "BatchGetItem"]
            assert len(rows) == 5


def test_the_series_list_on_dynamodb_reads_at_most_five_times(
    client, calls, monkeypatch
):
    monkeypatch.setattr(dynamo_backend, "SERIES_READ", 10)
    small, large = UserFactory(), UserFactory()
    fill_dynamo_library(small, 10, series_for=_series)
    fill_dynamo_library(large, 120, series_for=_series)
    client.force_login(small)
    response, made = _get(client, calls, reverse("catalog:series-list"))
    assert made == [*REQUEST_OVERHEAD, "Query"]
    assert response.context["complete"]
    assert [row["count"] for row in response.context["rows"]] == [5]
    client.force_login(large)
    response, made = _get(client, calls, reverse("catalog:series-list"))
    assert made[2:] == ["Query"] * dynamo_backend.SERIES_QUERIES
    assert not response.context["complete"]
    assert 'id="series-incomplete"' in response.content.decode()


def _fill_orm(user, size):
    books = Book.objects.bulk_create(
        [
            Book(
                key=isbn13_for(n),
                isbn13=isbn13_for(n),
                title=f"T{n}",
                series=_series(n),
            )
            for n in range(size)
        ]
    )
    UserBook.objects.bulk_create(
        [
            UserBook(user=user, book=b, added_at=timezone.now(), **listing_fields(b))
            for b in books
        ]
    )


@pytest.mark.parametrize("size", [10, 2000])
@pytest.mark.parametrize(
    "url, args, params",
    [
        ("catalog:book-list", [], {"series": "dune chronicles"}),
        ("catalog:book-list", [], {"sort": "series"}),
        ("catalog:book-list", [], {"series": "Dune chronicles", "status": "want"}),
        ("catalog:series", ["dune chronicles"], {}),
        ("catalog:series-list", [], {}),
    ],
)
def test_series_pages_on_the_orm_cost_the_same_queries_for_10_and_2000_books(
    user_client, user, size, url, args, params, django_assert_max_num_queries
):
    _fill_orm(user, size)
    with django_assert_max_num_queries(6):
        response = user_client.get(reverse(url, args=args), params)
    assert response.status_code == 200
    if url == "catalog:series-list":
        assert [row["count"] for row in response.context["rows"]] == [(size + 1) // 2]
