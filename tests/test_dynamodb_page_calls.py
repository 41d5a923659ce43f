"""What each page costs in DynamoDB calls on AWS mode, whatever the library's size.

Every call a request makes is recorded through botocore's event hooks, session
and user loading included. A Scan anywhere fails the test.
"""

import pytest
from django.urls import reverse
from django.utils.http import urlencode

from tests.dynamo_library import fill_dynamo_library
from tests.factories import UserFactory

# What a request costs beyond the page's own calls: the session (GetItem) and
# the logged-in user's item (GetItem), which holds the status counts too.
REQUEST_OVERHEAD = ["GetItem", "GetItem"]
# A page of records (Query), their books (BatchGetItem) and which of them are
# on loan (BatchGetItem); the status counts came with the user's item.
LIBRARY_CALLS = ["Query", "BatchGetItem", "BatchGetItem"]
# Each page's own calls after the request overhead.
PAGES = {
    # "Currently reading" and "recently added": a Query each, one batch of books.
    "/": ["Query", "Query", "BatchGetItem"],
    "/books/": LIBRARY_CALLS,
    "/books/?sort=title": LIBRARY_CALLS,
    "/books/?sort=author&status=read": LIBRARY_CALLS,
    "/books/?sort=rating": LIBRARY_CALLS,
    "/books/?status=reading&sort=added": LIBRARY_CALLS,
    # Copies on loan: the open loans (Query); none here, so no batch follows
    # (tests/catalog/test_loan_page_cost.py counts it with loans).
    "/books/?loan=out": ["Query"],
    # The reader's locations the location field suggests: their counters item.
    "/books/add/": ["GetItem"],
    # Every tag, and every location, with its count: the same one item; then
    # the reader's tag job, if any (another one).
    "/tags/": ["GetItem", "GetItem"],
    "/locations/": ["GetItem", "GetItem"],
    "/profile/": [],
    # What each download holds; the book count came with the user's item.
    "/export/": [],
    # The record and its book together (its readings with it), then the
    # copy's loans, then the reader's locations the location field suggests.
    "detail": ["BatchGetItem", "Query", "GetItem"],
    # A book being read again, its three readings and progress form.
    "rereading": ["BatchGetItem", "Query", "GetItem"],
    # Paging on from the first page and back again: the same Query and batch.
    "next": LIBRARY_CALLS,
    "previous": LIBRARY_CALLS,
}
# Small pages, so that 10 books make three of them.
PAGE_SIZE = 4


@pytest.fixture
def calls(dynamo_mode):
    """The DynamoDB operations called, in order; a Scan fails the test."""
    names: list[str] = []

    def record(model, **kwargs):
        assert model.name != "Scan", "A request path must never Scan a table."
        names.append(model.name)

    dynamo_mode.meta.events.register("before-call.dynamodb", record)
    return names


def _page_calls(client, calls, url: str) -> list[str]:
    calls.clear()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    if "/books/" in url and response.context and "reading_items" in response.context:
        assert len(response.context["reading_items"]) == 3  # the readings show
    return list(calls)


def _url(client, page: str, books) -> str:
    """The address each entry of ``PAGES`` stands for."""
    if page == "detail":
        return f"/books/{books[7].pk}/"
    if page == "rereading":
        return f"/books/{books[5].pk}/"
    if page in ("next", "previous"):
        listing = reverse("catalog:book-list")
        first = client.get(listing, {"sort": "title"}).context["page"]
        second = client.get(
            listing, {"sort": "title", "cursor": first.next_cursor}
        ).context["page"]
        cursor = second.next_cursor if page == "next" else second.prev_cursor
        return f"{listing}?{urlencode({'sort': 'title', 'cursor': cursor})}"
    return page


@pytest.mark.django_db
def test_pages_cost_the_same_calls_for_10_and_2000_books(client, calls, settings):
    settings.CATALOG_PAGE_SIZE = PAGE_SIZE
    small, large = UserFactory(), UserFactory()
    shelved = {"tags_for": _tags, "location_for": _location}
    fill_dynamo_library(small, 10, **shelved)
    books = fill_dynamo_library(large, 2000, **shelved)
    seen = {}
    for user in (small, large):
        client.force_login(user)
        for page in PAGES:
            url = _url(client, page, books)
            seen.setdefault(page, []).append(_page_calls(client, calls, url))
    for page, expected in PAGES.items():
        with_10, with_2000 = seen[page]
        assert with_10 == with_2000 == REQUEST_OVERHEAD + expected, page
    # The counts are the whole library's, read from the counters.
    rows = client.get(reverse("catalog:tags")).context["rows"]
    assert [(r["shown"], r["count"]) for r in rows] == [("Even", 1000), ("Tens", 200)]
    rows = client.get(reverse("catalog:locations")).context["rows"]
    assert [(r["location"], r["count"]) for r in rows] == [
        ("Hall", 1333),
        ("Study", 667),
    ]


def _tags(n):
    return ["Even", "Tens"] if n % 10 == 0 else ["Even"] if n % 2 == 0 else []


def _location(n):
    return "Study" if n % 3 == 1 else "Hall"


@pytest.mark.django_db
def test_a_page_of_the_library_past_the_first_costs_the_same(client, calls):
    user = UserFactory()
    fill_dynamo_library(user, 100)
    client.force_login(user)
    first = client.get("/books/?sort=title")
    cursor = first.context["page"].next_cursor
    assert cursor
    assert _page_calls(client, calls, f"/books/?sort=title&cursor={cursor}") == (
        REQUEST_OVERHEAD + LIBRARY_CALLS
    )


@pytest.mark.django_db
def test_health_and_the_welcome_page_make_no_calls(client, calls):
    assert _page_calls(client, calls, "/health") == []
    assert _page_calls(client, calls, "/home") == []
    assert _page_calls(client, calls, "/login") == []


@pytest.mark.django_db
def test_counts_that_came_with_the_user_follow_a_change_in_the_same_request(calls):
    from accounts.models import User
    from catalog import services
    from catalog.models import UserBook

    user = User.objects.get_by_id(UserFactory().pk)
    fill_dynamo_library(user, 3)
    user = User.objects.get_by_id(user.pk)
    calls.clear()
    assert UserBook.objects.status_counts(user)["all"] == 3
    assert calls == []
    services.userbook_add(user=user, isbn="9780306406157", status="read")
    assert UserBook.objects.status_counts(user)["all"] == 4
    assert calls[-1] == "GetItem"


@pytest.mark.django_db
def test_a_previous_page_costs_the_same_as_the_first(client, calls):
    user = UserFactory()
    fill_dynamo_library(user, 100)
    client.force_login(user)
    first = client.get("/books/?sort=title").context["page"]
    second = client.get(
        "/books/", {"sort": "title", "cursor": first.next_cursor}
    ).context["page"]
    back = urlencode({"sort": "title", "cursor": second.prev_cursor})
    assert _page_calls(client, calls, f"/books/?{back}") == (
        REQUEST_OVERHEAD + LIBRARY_CALLS
    )


@pytest.mark.django_db
def test_a_bulk_change_of_status_costs_a_read_and_a_write_per_book(calls):
    from catalog import services

    user = UserFactory()
    books = fill_dynamo_library(user, 60)
    # Six books not yet being read (every fourth one is: see fill_dynamo_library).
    keys = [b.pk for n, b in enumerate(books) if n % 4 != 1][:6]
    calls.clear()
    result = services.userbooks_set_status(user=user, book_keys=keys, status="reading")
    assert len(result.changed) == 6
    # One batch read of all the records, then for each a read and a write.
    assert calls == ["BatchGetItem"] + ["BatchGetItem", "TransactWriteItems"] * 6
