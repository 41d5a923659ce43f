"""The library page: pages back and forth with their range, the grid or list
view a reader keeps, and changing the status of selected books, on both backends."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

LIBRARY = reverse("catalog:book-list")


@pytest.fixture
def thirty(user):
    """A library of 30 books, "Book 01" to "Book 30"; every third one is read."""
    return [
        UserBookFactory(
            user=user,
            book=BookFactory(title=f"Book {n:02d}", authors=[f"Writer {n}"]),
            status="read" if n % 3 == 0 else "want",
        )
        for n in range(1, 31)
    ]


def _titles(response):
    return [r.book.title for r in response.context["page"].items]


def _range(response):
    match = re.search(r'id="page-range">([^<]*)<', response.content.decode())
    return match.group(1).strip() if match else None


def _link(response, rel):
    match = re.search(rf'rel="{rel}"\s+href="([^"]*)"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


def test_next_then_previous_with_the_range_of_each_page(user_client, thirty):
    first = user_client.get(LIBRARY, {"sort": "title"})
    assert _titles(first) == [f"Book {n:02d}" for n in range(1, 25)]
    assert _range(first) == "1–24 of 30"
    assert _link(first, "prev") is None
    second = user_client.get(_link(first, "next"))
    assert _titles(second) == [f"Book {n:02d}" for n in range(25, 31)]
    assert _range(second) == "25–30 of 30"
    assert _link(second, "next") is None
    back = user_client.get(_link(second, "prev"))
    assert _titles(back) == _titles(first) and _range(back) == "1–24 of 30"
    assert _link(back, "prev") is None and _link(back, "next")


def test_the_range_counts_only_the_books_the_filter_shows(user_client, thirty):
    response = user_client.get(LIBRARY, {"status": "read", "sort": "title"})
    assert len(_titles(response)) == 10 and _range(response) == "1–10 of 10"
    assert _link(response, "next") is None


def test_a_search_shows_its_number_when_it_is_known(user_client, both_modes, thirty):
    first = user_client.get(LIBRARY, {"q": "book", "sort": "title"})
    # DynamoDB cannot count a search without reading the whole library.
    expected = "1–24 of 30" if both_modes == "orm" else "1–24 of more than 24"
    assert _range(first) == expected
    last = user_client.get(_link(first, "next"))
    assert _range(last) == "25–30 of 30"  # the search reached the end
    narrow = user_client.get(LIBRARY, {"q": "book", "status": "read"})
    assert _range(narrow) == "1–10 of 10"


def test_changing_a_filter_starts_at_the_first_page(user_client, thirty):
    first = user_client.get(LIBRARY, {"sort": "title"})
    cursor = first.context["page"].next_cursor
    response = user_client.get(LIBRARY, {"sort": "added", "cursor": cursor})
    body = response.content.decode()
    assert "no longer valid" in body and _range(response) == "1–24 of 30"


def test_a_page_whose_books_all_went_shows_the_first_page(user, user_client, thirty):
    first = user_client.get(LIBRARY, {"sort": "title"})
    for record in thirty[24:]:
        UserBook.objects.remove_for_user(user, record.book_id)
    response = user_client.get(_link(first, "next"))
    assert "That page is empty now" in response.content.decode()
    assert _range(response) == "1–24 of 24"


def test_the_view_choice_is_kept_for_that_reader(user, user_client, other_user):
    UserBookFactory(user=user, book=BookFactory(title="Mine"), location="Hall")
    assert 'id="book-grid"' in user_client.get(LIBRARY).content.decode()
    here = f"{LIBRARY}?sort=title"
    response = user_client.post(
        reverse("catalog:library-view"), {"view": "list", "next": here}
    )
    assert response.status_code == 302 and response["Location"] == here
    body = user_client.get(LIBRARY).content.decode()
    assert 'id="book-table"' in body and 'id="book-grid"' not in body
    assert re.search(r'value="list"\s+id="view-list"[^>]*aria-pressed="true"', body)
    assert "Hall" in body and "Mine" in body
    assert User.objects.get_by_id(user.pk).library_view == "list"
    assert User.objects.get_by_id(other_user.pk).library_view == "grid"
    elsewhere = Client()
    elsewhere.force_login(User.objects.get_by_id(user.pk))
    assert 'id="book-table"' in elsewhere.get(LIBRARY).content.decode()


def test_an_unknown_view_is_refused_and_a_foreign_next_ignored(user, user_client):
    response = user_client.post(
        reverse("catalog:library-view"),
        {"view": "shelf", "next": "https://example.com/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == LIBRARY
    assert "grid or list" in response.content.decode()
    assert User.objects.get_by_id(user.pk).library_view == "grid"


def test_a_get_never_changes_the_view(user, user_client):
    assert (
        user_client.get(reverse("catalog:library-view"), {"view": "list"}).status_code
        == 405
    )
    assert User.objects.get_by_id(user.pk).library_view == "grid"


def test_both_views_offer_a_checkbox_per_book_in_the_bulk_form(user, user_client):
    record = UserBookFactory(user=user, book=BookFactory(title="Pick me"))
    for view in ("grid", "list"):
        user_client.post(reverse("catalog:library-view"), {"view": view})
        body = user_client.get(LIBRARY).content.decode()
        assert 'id="bulk-form"' in body
        box = re.search(r'<input[^>]*name="keys"[^>]*>', body).group(0)
        assert f'value="{record.book_id}"' in box and 'form="bulk-form"' in box


def test_bulk_status_changes_own_books_and_names_them(user, user_client, thirty):
    keys = [thirty[0].book_id, thirty[1].book_id]
    response = user_client.post(
        reverse("catalog:books-status"),
        {"keys": keys, "status": "reading", "next": f"{LIBRARY}?sort=title"},
        follow=True,
    )
    body = response.content.decode()
    assert "Changed 2 books to “Reading”: “Book 01” and “Book 02”." in body
    for key in keys:
        record = UserBook.objects.get_for_user(user, key)
        assert record.status == "reading"
        assert record.started_on == timezone.localdate()
    assert UserBook.objects.status_counts(user)["reading"] == 2


def test_bulk_status_many_books_counts_them_without_names(user, user_client, thirty):
    keys = [r.book_id for r in thirty[:5]] + ["9780000000000"]
    response = user_client.post(
        reverse("catalog:books-status"), {"keys": keys, "status": "dnf"}, follow=True
    )
    body = response.content.decode()
    assert "Changed 5 books to “Did not finish”." in body
    assert "1 book of those chosen is not in your library" in body


def test_bulk_status_leaves_other_readers_books_alone(user, user_client, other_user):
    theirs = UserBookFactory(user=other_user, book=BookFactory(title="Theirs"))
    mine = UserBookFactory(user=user, book=BookFactory(title="Mine"))
    response = user_client.post(
        reverse("catalog:books-status"),
        {"keys": [theirs.book_id, mine.book_id], "status": "read"},
        follow=True,
    )
    body = response.content.decode()
    assert "Changed 1 book to “Read”: “Mine”." in body
    assert "1 book of those chosen is not in your library" in body
    assert UserBook.objects.get_for_user(other_user, theirs.book_id).status == "want"
    assert UserBook.objects.get_for_user(user, mine.book_id).status == "read"


def test_bulk_status_refuses_an_unknown_status_and_changes_nothing(user, user_client):
    mine = UserBookFactory(user=user, book=BookFactory(title="Mine"))
    response = user_client.post(
        reverse("catalog:books-status"),
        {"keys": [mine.book_id], "status": "burnt"},
        follow=True,
    )
    body = response.content.decode()
    assert "Nothing was changed: Choose one of the reading statuses." in body
    record = UserBook.objects.get_for_user(user, mine.book_id)
    assert (record.status, record.version) == ("want", mine.version)


def test_bulk_status_with_nothing_selected_says_so(user_client):
    response = user_client.post(
        reverse("catalog:books-status"), {"status": "read"}, follow=True
    )
    assert "Select some books first" in response.content.decode()


def test_bulk_status_refuses_more_than_a_hundred_books(user, user_client):
    mine = UserBookFactory(user=user, book=BookFactory(title="Mine"))
    keys = [mine.book_id] + [f"978{n:010d}" for n in range(100)]
    response = user_client.post(
        reverse("catalog:books-status"), {"keys": keys, "status": "read"}, follow=True
    )
    assert "Choose at most 100 books at a time" in response.content.decode()
    assert UserBook.objects.get_for_user(user, mine.book_id).status == "want"


def test_bulk_status_reports_books_already_in_that_status(user, user_client):
    done = UserBookFactory(
        user=user,
        book=BookFactory(title="Done"),
        status="read",
        finished_on=timezone.localdate() - timedelta(days=3),
    )
    response = user_client.post(
        reverse("catalog:books-status"),
        {"keys": [done.book_id], "status": "read"},
        follow=True,
    )
    assert "1 book was “Read” already." in response.content.decode()
    record = UserBook.objects.get_for_user(user, done.book_id)
    assert record.version == done.version


def test_the_library_forms_need_a_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    for name, data in [
        ("catalog:library-view", {"view": "list"}),
        ("catalog:books-status", {"keys": ["x"], "status": "read"}),
    ]:
        assert client.post(reverse(name), data).status_code == 403
    assert User.objects.get_by_id(user.pk).library_view == "grid"
