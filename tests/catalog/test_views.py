import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, isbn13_for

# Every page, on the ORM backends and on DynamoDB (moto).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def test_smoke_checks_of_the_original_system(client):
    health = client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "healthy"}
    assert client.get("/home").status_code == 200
    assert client.get("/login").status_code == 200


def test_urls_end_with_a_slash_and_the_bare_ones_redirect(user_client, user):
    record = UserBookFactory(user=user)
    assert user_client.get("/books/").status_code == 200
    for bare in ("/books", f"/books/{record.book_id}", "/books/add", "/profile"):
        response = user_client.get(bare)
        assert response.status_code == 301 and response["Location"] == bare + "/"


def test_library_pages_need_login(client):
    response = client.get("/books/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/books/")


def test_dashboard_shows_counts_reading_and_recent(user_client, user):
    UserBookFactory(user=user, status="reading", book=BookFactory(title="On the go"))
    UserBookFactory(user=user, status="read", book=BookFactory(title="Done"))
    response = user_client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-count="all">2<' in body and 'data-count="reading">1<' in body
    assert "On the go" in body and "Done" in body


def test_add_by_isbn_then_see_it_in_the_library(user_client, user):
    response = user_client.post(
        reverse("catalog:book-add"),
        {
            "mode": "isbn",
            "isbn-isbn": "978-0-306-40615-7",
            "isbn-status": "want",
            "isbn-owned": "on",
            "isbn-location": "Hall",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/books/9780306406157/"
    detail = user_client.get(response["Location"])
    assert "Fetching details" in detail.content.decode()
    listing = user_client.get("/books/").content.decode()
    assert "ISBN 9780306406157" in listing


def test_a_wrong_isbn_says_why_and_keeps_what_was_typed(user_client):
    response = user_client.post(
        reverse("catalog:book-add"),
        {
            "mode": "isbn",
            "isbn-isbn": "978-0-306-40615-8",
            "isbn-status": "read",
            "isbn-location": "Upstairs",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "checksum digit should be 7, not 8" in body
    assert 'value="978-0-306-40615-8"' in body and 'value="Upstairs"' in body


def test_adding_a_book_already_owned_links_to_it(user_client, user):
    record = UserBookFactory(user=user, book=BookFactory(title="Owned already"))
    response = user_client.post(
        reverse("catalog:book-add"),
        {"mode": "isbn", "isbn-isbn": record.book.isbn13, "isbn-status": "want"},
    )
    body = response.content.decode()
    assert "is already in your library" in body
    assert f'href="/books/{record.book_id}/"' in body


def test_add_and_add_another_returns_to_the_form(user_client):
    response = user_client.post(
        reverse("catalog:book-add"),
        {
            "mode": "isbn",
            "isbn-isbn": isbn13_for(5),
            "isbn-status": "want",
            "next_action": "add_another",
        },
    )
    assert response["Location"].startswith(reverse("catalog:book-add") + "?")
    assert "status=want" in response["Location"]


def test_manual_entry(user_client, user):
    response = user_client.post(
        reverse("catalog:book-add"),
        {
            "mode": "manual",
            "manual-title": "Zine",
            "manual-authors": "Ann; Bo",
            "manual-status": "read",
            "manual-pages": "12",
        },
    )
    assert response.status_code == 302
    record = UserBook.objects.page_for_user(user).items[0]
    assert (record.book.title, record.book.authors) == ("Zine", ["Ann", "Bo"])


def test_manual_entry_without_title_keeps_input(user_client):
    response = user_client.post(
        reverse("catalog:book-add"),
        {
            "mode": "manual",
            "manual-title": "",
            "manual-authors": "Someone",
            "manual-status": "want",
        },
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert "Someone" in response.content.decode()


def _edit(client, record, version, **fields):
    data = {
        "status": record.status,
        "rating": "",
        "notes": "",
        "location": "",
        "owned": "on",
        "version": version,
        **fields,
    }
    return client.post(record.get_absolute_url(), data)


def test_edit_status_and_rating(user_client, user):
    record = UserBookFactory(user=user)
    response = _edit(user_client, record, 1, status="read", rating="4.5", notes="Good")
    assert response.status_code == 302
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert (stored.status, str(stored.rating), stored.notes) == ("read", "4.5", "Good")
    assert (
        "Rated 4.5 of 5" in user_client.get(record.get_absolute_url()).content.decode()
    )


def test_a_stale_edit_is_refused_and_keeps_the_users_input(user_client, user):
    record = UserBookFactory(user=user)
    assert _edit(user_client, record, 1, location="Tab one shelf").status_code == 302
    response = _edit(user_client, record, 1, location="Tab two shelf", notes="Mine")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Changed in another tab or device" in body and "Tab one shelf" in body
    assert 'value="Tab two shelf"' in body and "Mine" in body
    assert 'name="version" value="2"' in body
    assert (
        UserBook.objects.get_for_user(user, record.book_id).location == "Tab one shelf"
    )
    # Saving again, on top of the current version, goes through.
    assert _edit(user_client, record, 2, location="Tab two shelf").status_code == 302


def test_finish_before_start_is_a_form_error(user_client, user):
    record = UserBookFactory(user=user)
    response = _edit(
        user_client, record, 1, started_on="2024-05-02", finished_on="2024-05-01"
    )
    assert "finish date is before the start date" in response.content.decode()


def test_an_invalid_rating_is_a_form_error(user_client, user):
    record = UserBookFactory(user=user)
    response = _edit(user_client, record, 1, rating="7")
    assert response.status_code == 200
    assert "Choose a rating from 0.5 to 5 stars" in response.content.decode()


def test_remove_asks_then_removes(user_client, user):
    record = UserBookFactory(user=user, book=BookFactory(title="Going away"))
    url = reverse("catalog:book-remove", kwargs={"key": record.book_id})
    assert "undo this for 10 minutes" in user_client.get(url).content.decode()
    response = user_client.post(url)
    assert response["Location"] == "/books/"
    assert user_client.get(record.get_absolute_url()).status_code == 404


def test_library_search_filter_sort_and_pages(user_client, user, settings):
    settings.CATALOG_PAGE_SIZE = 2
    for title, status in [
        ("Alpha", "read"),
        ("Beta", "read"),
        ("Gamma", "read"),
        ("Delta", "want"),
    ]:
        UserBookFactory(user=user, status=status, book=BookFactory(title=title))
    first = user_client.get("/books/", {"status": "read", "sort": "title"})
    body = first.content.decode()
    assert "Alpha" in body and "Beta" in body and "Gamma" not in body
    cursor = first.context["page"].next_cursor
    second = user_client.get(
        "/books/", {"status": "read", "sort": "title", "cursor": cursor}
    ).content.decode()
    assert "Gamma" in second and "Alpha" not in second and 'rel="prev"' in second
    found = user_client.get("/books/", {"q": "delt"}).content.decode()
    assert "Delta" in found and "Alpha" not in found
    assert "No books match" in user_client.get("/books/", {"q": "zzz"}).content.decode()


def test_a_broken_page_link_shows_the_first_page_with_a_message(user_client, user):
    UserBookFactory(user=user, book=BookFactory(title="Still here"))
    response = user_client.get("/books/", {"cursor": "garbage"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "no longer valid" in body and "Still here" in body


def test_unknown_filter_values_fall_back_to_defaults(user_client):
    response = user_client.get("/books/", {"status": "bogus", "sort": "nope"})
    assert response.status_code == 200
    assert response.context["sort"] == "added" and response.context["status"] == ""


def test_posts_without_a_csrf_token_are_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("catalog:book-add"), {"mode": "isbn"})
    assert response.status_code == 403


def test_the_add_page_starts_without_errors(user_client):
    body = user_client.get(reverse("catalog:book-add")).content.decode()
    assert "is-invalid" not in body and "This field is required" not in body


def test_a_new_readers_home_shows_the_ways_to_add_a_book_not_zeros(user_client):
    body = user_client.get(reverse("catalog:home")).content.decode()
    assert 'id="ways-to-add"' in body and "data-count" not in body
    add = reverse("catalog:book-add")
    for url in (
        add,
        reverse("catalog:add-camera"),
        reverse("catalog:add-photo"),
        reverse("catalog:add-scanner"),
        reverse("catalog:add-search"),
        f"{add}?mode=manual",
    ):
        assert f'href="{url}"' in body, url


def test_the_home_uses_only_grid_classes_bootstrap_has(user_client, user):
    for number in range(8):
        UserBookFactory(user=user, book=BookFactory(title=f"Shelf {number}"))
    body = user_client.get(reverse("catalog:home")).content.decode()
    bootstrap = Path(finders.find("vendor/bootstrap/bootstrap.min.css")).read_text()
    used = set(re.findall(r"\brow-cols-(?:[a-z]+-)?\d+\b", body))
    assert used and all(f".{name}>" in bootstrap for name in used), used
    # One row of six recent covers on a wide screen, like "Currently reading".
    recent = body[body.index("Recently added") :]
    assert recent.count("data-card-key") == 6
