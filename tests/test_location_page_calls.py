"""A location filter, and the locations page, cost a bounded number of calls."""

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.backends.dynamodb import backend as dynamo_backend
from catalog.locations import stored_fields
from catalog.models import Book, UserBook
from tests.dynamo_library import fill_dynamo_library
from tests.factories import UserFactory, isbn13_for
from tests.test_dynamodb_page_calls import LIBRARY_CALLS, REQUEST_OVERHEAD

pytestmark = pytest.mark.django_db

PAGE_SIZE = 4


def _location(n):
    return "Hall" if n % 2 == 0 else "Study shelf"


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


def test_a_location_filter_on_dynamodb_costs_the_same_calls_for_10_and_2000_books(
    client, calls, settings
):
    settings.CATALOG_PAGE_SIZE = PAGE_SIZE
    url = reverse("catalog:book-list")
    seen = {}
    for count in (10, 2000):
        user = UserFactory()
        fill_dynamo_library(user, count, location_for=_location)
        client.force_login(user)
        response, first = _get(client, calls, url, {"location": "HALL"})
        page = response.context["page"]
        assert len(page.items) == PAGE_SIZE
        assert {r.location for r in page.items} == {"Hall"}
        _, second = _get(
            client, calls, url, {"location": "hall", "cursor": page.next_cursor}
        )
        seen[count] = (first, second)
    assert seen[10] == seen[2000] == (REQUEST_OVERHEAD + LIBRARY_CALLS,) * 2


def test_the_locations_page_on_dynamodb_reads_its_counters_once(client, calls):
    for count in (10, 2000):
        user = UserFactory()
        fill_dynamo_library(user, count, location_for=_location)
        client.force_login(user)
        response, made = _get(client, calls, reverse("catalog:locations"))
        # The counters item, then the reader's tag job (none here).
        assert made == [*REQUEST_OVERHEAD, "GetItem", "GetItem"]
        assert response.context["complete"]
        counts = [row["count"] for row in response.context["rows"]]
        assert counts == [count // 2, count // 2]


@pytest.mark.parametrize("url", ["catalog:locations", "catalog:tags"])
def test_until_the_counters_are_built_a_page_reads_at_most_five_times(
    client, calls, monkeypatch, url
):
    # Small reads, so that a library of 60 books needs more than five of them.
    monkeypatch.setattr(dynamo_backend, "LOCATION_READ", 10)
    small, large = UserFactory(), UserFactory()
    placed = {
        "location_for": _location,
        "tags_for": lambda n: [_location(n)],
        "tallied": False,
    }
    fill_dynamo_library(small, 10, **placed)
    fill_dynamo_library(large, 60, **placed)
    client.force_login(small)
    response, made = _get(client, calls, reverse(url))
    assert made[2:] == ["GetItem", "Query", "GetItem"]
    assert made[:2] == REQUEST_OVERHEAD
    assert response.context["complete"]
    assert [row["count"] for row in response.context["rows"]] == [5, 5]
    client.force_login(large)
    response, made = _get(client, calls, reverse(url))
    reads = ["Query"] * dynamo_backend.LOCATION_QUERIES
    assert made[2:] == ["GetItem", *reads, "GetItem"]
    assert not response.context["complete"]
    assert sum(row["count"] for row in response.context["rows"]) == 50
    page = response.content.decode()
    assert 'id="counts-partial"' in page
    assert reverse("catalog:counters-rebuild") in page


def _fill_orm(user, size):
    books = Book.objects.bulk_create(
        [
            Book(key=isbn13_for(n), isbn13=isbn13_for(n), title=f"T{n}")
            for n in range(size)
        ]
    )
    UserBook.objects.bulk_create(
        [
            UserBook(
                user=user,
                book=b,
                added_at=timezone.now(),
                sort_title=b.title.lower(),
                search_text=b.title.lower(),
                **stored_fields(_location(n)),
            )
            for n, b in enumerate(books)
        ]
    )


@pytest.mark.parametrize("size", [10, 2000])
@pytest.mark.parametrize(
    "url, params",
    [
        ("catalog:book-list", {"location": "hall"}),
        ("catalog:book-list", {"location": "Hall", "status": "want", "q": "t1"}),
        ("catalog:locations", {}),
    ],
)
def test_location_pages_on_the_orm_cost_the_same_queries_for_10_and_2000_books(
    user_client, user, size, url, params, django_assert_max_num_queries
):
    _fill_orm(user, size)
    with django_assert_max_num_queries(6):
        response = user_client.get(reverse(url), params)
    assert response.status_code == 200
    if url == "catalog:locations":
        counts = [row["count"] for row in response.context["rows"]]
        assert counts == [(size + 1) // 2, size // 2]
