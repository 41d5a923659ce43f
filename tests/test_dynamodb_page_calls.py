"""What each page costs in DynamoDB calls on AWS mode, whatever the library's size.

Every call a request makes is recorded through botocore's event hooks, session
and user loading included. A Scan anywhere fails the test.
"""

import pytest

from tests.dynamo_library import fill_dynamo_library
from tests.factories import UserFactory

# What a request costs beyond the page's own calls: the session (GetItem) and
# the logged-in user's item (GetItem), which holds the status counts too.
REQUEST_OVERHEAD = ["GetItem", "GetItem"]
# A page of records (Query) and their books (BatchGetItem); the status counts
# came with the user's item.
LIBRARY_CALLS = ["Query", "BatchGetItem"]
# Each page's own calls after the request overhead.
PAGES = {
    # "Currently reading" and "recently added": a Query each, one batch of books.
    "/": ["Query", "Query", "BatchGetItem"],
    "/books/": LIBRARY_CALLS,
    "/books/?sort=title": LIBRARY_CALLS,
    "/books/?sort=author&status=read": LIBRARY_CALLS,
    "/books/?sort=rating": LIBRARY_CALLS,
    "/books/?status=reading&sort=added": LIBRARY_CALLS,
    "/books/add/": [],
    "/profile/": [],
    "detail": ["BatchGetItem"],  # the record and its book together
}


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
    return list(calls)


@pytest.mark.django_db
def test_pages_cost_the_same_calls_for_10_and_2000_books(client, calls):
    small, large = UserFactory(), UserFactory()
    fill_dynamo_library(small, 10)
    books = fill_dynamo_library(large, 2000)
    seen = {}
    for user in (small, large):
        client.force_login(user)
        for page in PAGES:
            url = f"/books/{books[7].pk}/" if page == "detail" else page
            seen.setdefault(page, []).append(_page_calls(client, calls, url))
    for page, expected in PAGES.items():
        with_10, with_2000 = seen[page]
        assert with_10 == with_2000 == REQUEST_OVERHEAD + expected, page


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
