"""A tag filter costs a constant number of calls or queries per page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Book, UserBook
from catalog.tags import stored_fields
from tests.dynamo_library import fill_dynamo_library
from tests.factories import UserFactory, isbn13_for
from tests.test_dynamodb_page_calls import LIBRARY_CALLS, REQUEST_OVERHEAD

pytestmark = pytest.mark.django_db

PAGE_SIZE = 4
# Three books among all of them carry "rare": the oldest three.
RARE = 3


def _tags(count):
    def tags_for(n):
        tags = ["Even"] if n % 2 == 0 else []
        return [*tags, "Rare"] if n >= count - RARE else tags

    return tags_for


@pytest.fixture
def calls(dynamo_mode):
    names: list[str] = []

    def record(model, **kwargs):
        assert model.name != "Scan", "A request path must never Scan a table."
        names.append(model.name)

    dynamo_mode.meta.events.register("before-call.dynamodb", record)
    return names


def _get(client, calls, url, params):
    calls.clear()
    response = client.get(url, params)
    assert response.status_code == 200
    return response, list(calls)


def test_a_tag_filter_on_dynamodb_costs_the_same_calls_for_10_and_2000_books(
    client, calls, settings
):
    settings.CATALOG_PAGE_SIZE = PAGE_SIZE
    url = reverse("catalog:book-list")
    seen = {}
    for count in (10, 2000):
        user = UserFactory()
        fill_dynamo_library(user, count, tags_for=_tags(count))
        client.force_login(user)
        response, first = _get(client, calls, url, {"tag": "even"})
        assert len(response.context["page"].items) == PAGE_SIZE
        cursor = response.context["page"].next_cursor
        _, second = _get(client, calls, url, {"tag": "even", "cursor": cursor})
        _, both = _get(client, calls, url, {"tag": ["even", "rare"], "sort": "title"})
        seen[count] = (first, second, both)
    assert seen[10][:2] == seen[2000][:2] == (REQUEST_OVERHEAD + LIBRARY_CALLS,) * 2
    # A rare tag reads at most three times a page, then links on.
    for calls_made in (seen[10][2], seen[2000][2]):
        assert calls_made[:2] == REQUEST_OVERHEAD
        assert calls_made[2:].count("Query") <= 3
        assert set(calls_made[2:]) <= {"Query", "BatchGetItem"}


def test_a_rare_tag_is_found_by_reading_on_page_after_page(client, calls, settings):
    settings.CATALOG_PAGE_SIZE = PAGE_SIZE
    user = UserFactory()
    books = fill_dynamo_library(user, 2000, tags_for=_tags(2000))
    client.force_login(user)
    url = reverse("catalog:book-list")
    found, params, pages = [], {"tag": ["Rare", "EVEN"]}, 0
    while True:
        response, made = _get(client, calls, url, params)
        assert made[2:].count("Query") <= 3
        page = response.context["page"]
        found += [r.book_id for r in page.items]
        pages += 1
        if not page.next_cursor:
            break
        if not page.items:
            assert "Look further" in response.content.decode()
        params = {**params, "cursor": page.next_cursor}
    # Sorted newest first: the oldest books are the last ones.
    expected = [b.pk for n, b in enumerate(books) if n >= 1997 and n % 2 == 0]
    assert found == expected and pages > 1


def _fill_orm(user, size):
    books = Book.objects.bulk_create(
        [
            Book(key=isbn13_for(n), isbn13=isbn13_for(n), title=f"T{n}")
            for n in range(size)
        ]
    )
    tags_for = _tags(size)
    UserBook.objects.bulk_create(
        [
            UserBook(
                user=user,
                book=b,
                added_at=timezone.now(),
                sort_title=b.title.lower(),
                search_text=b.title.lower(),
                **stored_fields(tags_for(n)),
            )
            for n, b in enumerate(books)
        ]
    )


@pytest.mark.parametrize("size", [10, 2000])
@pytest.mark.parametrize(
    "params",
    [
        {"tag": "even"},
        {"tag": ["even", "rare"], "status": "want", "q": "t1", "sort": "title"},
    ],
)
def test_a_tag_filter_on_the_orm_costs_the_same_queries_for_10_and_2000_books(
    user_client, user, size, params, django_assert_max_num_queries
):
    _fill_orm(user, size)
    with django_assert_max_num_queries(6):
        response = user_client.get(reverse("catalog:book-list"), params)
    assert response.status_code == 200
    assert all(
        "even" in [t.casefold() for t in r.tags] for r in response.context["page"].items
    )


@pytest.mark.parametrize("size", [10, 2000])
def test_the_tags_page_on_the_orm_costs_the_same_queries_for_10_and_2000_books(
    user_client, user, size, django_assert_max_num_queries
):
    _fill_orm(user, size)
    # The session, the user, the tag lists (one query) and the tag job.
    with django_assert_max_num_queries(4):
        response = user_client.get(reverse("catalog:tags"))
    rows = [(r["shown"], r["count"]) for r in response.context["rows"]]
    assert rows == [("Even", (size + 1) // 2), ("Rare", 3)]
