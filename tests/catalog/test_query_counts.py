"""Pages cost a constant number of SQL queries whatever the library size."""

import pytest
from django.utils import timezone

from catalog.models import Book, UserBook
from tests.dynamo_library import several_readings
from tests.factories import BookFactory, UserFactory, isbn13_for

pytestmark = pytest.mark.django_db

MAX_QUERIES = 6
# The session and user, the record with its book, the copy's loans and the
# reader's locations (the location field suggests them).
BOOK_PAGE_QUERIES = 5


def _fill_library(user, size):
    books = Book.objects.bulk_create(
        [
            Book(key=isbn13_for(n), isbn13=isbn13_for(n), title=f"T{n}")
            for n in range(size)
        ]
    )
    now = timezone.now()
    statuses = ["want", "reading", "read", "dnf"]
    UserBook.objects.bulk_create(
        [
            UserBook(
                user=user,
                book=b,
                status=statuses[i % 4],
                added_at=now,
                sort_title=b.title.lower(),
                search_text=b.title.lower(),
                readings=several_readings(statuses[i % 4]),
            )
            for i, b in enumerate(books)
        ]
    )


@pytest.mark.parametrize("size", [10, 1000])
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/books/",
        "/books/?sort=title&q=t1",
        "/books/?status=read&sort=rating",
        "/export/",
    ],
)
def test_page_queries_do_not_grow_with_the_library(
    user_client, user, size, url, django_assert_max_num_queries
):
    _fill_library(user, size)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = user_client.get(url)
    assert response.status_code == 200
    if url == "/":
        assert "p. 40" in response.content.decode()  # the progress shows


@pytest.mark.parametrize("size", [10, 1000])
def test_a_book_page_with_several_readings_costs_the_same(
    user_client, user, size, django_assert_max_num_queries
):
    _fill_library(user, size)
    book = Book.objects.get_by_key(isbn13_for(1))  # "reading": three readings
    with django_assert_max_num_queries(BOOK_PAGE_QUERIES):
        response = user_client.get(f"/books/{book.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 readings: read 2 times." in page and 'value="40"' in page


def test_next_pages_cost_the_same(user_client, user, django_assert_max_num_queries):
    _fill_library(user, 1000)
    cursor = user_client.get("/books/").context["page"].next_cursor
    with django_assert_max_num_queries(MAX_QUERIES):
        response = user_client.get("/books/", {"cursor": cursor})
    assert response.status_code == 200 and len(response.context["page"].items) == 24


@pytest.mark.parametrize("size", [10, 1000])
def test_previous_pages_cost_the_same(
    user_client, user, size, settings, django_assert_max_num_queries
):
    settings.CATALOG_PAGE_SIZE = 4  # so that 10 books make three pages
    _fill_library(user, size)
    first = user_client.get("/books/", {"sort": "title"}).context["page"]
    second = user_client.get(
        "/books/", {"sort": "title", "cursor": first.next_cursor}
    ).context["page"]
    with django_assert_max_num_queries(MAX_QUERIES):
        response = user_client.get(
            "/books/", {"sort": "title", "cursor": second.prev_cursor}
        )
    page = response.context["page"]
    assert [r.pk for r in page.items] == [r.pk for r in first.items]
    assert page.prev_cursor is None and page.offset == 0


@pytest.mark.parametrize("owners", [2, 200])
def test_a_fetch_refreshes_many_owners_in_the_same_few_queries(
    owners, django_assert_max_num_queries
):
    book = BookFactory(title="Before")
    for n in range(owners):
        fixes = {"title": f"Mine {n}"} if n < 2 else {}
        UserBook.objects.add(UserFactory(), book, corrections=fixes)
    book.title = "After"
    # Save, bulk update of plain owners, read and update the corrected ones.
    with django_assert_max_num_queries(6):
        Book.objects.save_book(book)
    titles = set(
        UserBook.objects.filter(book=book).values_list("sort_title", flat=True)
    )
    assert titles == {"mine 0", "mine 1", "after"} - (
        {"after"} if owners == 2 else set()
    )
