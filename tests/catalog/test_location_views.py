"""A reader's locations: the library's filter and the locations page, on the ORM
and on DynamoDB (moto)."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _record(user, title="Dune", **fields):
    return UserBookFactory(user=user, book=BookFactory(title=title), **fields)


def _text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(body).split())


def _location(user, record) -> str:
    return UserBook.objects.get_for_user(user, record.book_id).location


def _library(**params) -> str:
    return f"{reverse('catalog:book-list')}?{urlencode(params)}"


def test_the_library_filters_by_location_with_a_removable_chip(user_client, user):
    _record(user, "Dune", location="Study shelf")
    _record(user, "Emma", location="STUDY shelf", status="read")
    _record(user, "Kim", location="Attic")
    response = user_client.get(_library(location="study  shelf", sort="title"))
    assert response.status_code == 200
    text = _text(response)
    assert "Dune" in text and "Emma" in text and "Kim" not in text
    html = response.content.decode()
    assert 'id="location-filter"' in html
    assert 'name="location" value="study shelf"' in html
    assert f'href="{reverse("catalog:book-list")}?sort=title"' in html
    filtered = user_client.get(_library(location="study shelf", status="read"))
    assert "Emma" in _text(filtered) and "Dune" not in _text(filtered)


def test_a_location_nobody_uses_says_no_books_match(user_client, user):
    _record(user, "Dune", location="Attic")
    response = user_client.get(_library(location="Cellar"))
    assert "No books match" in _text(response) and "Dune" not in _text(response)
    too_long = user_client.get(_library(location="x" * 500))
    assert too_long.status_code == 200 and "Dune" in _text(too_long)


def test_the_book_page_links_its_location_to_the_filter(user_client, user):
    record = _record(user, location="Hall & stairs")
    page = user_client.get(
        reverse("catalog:book-detail", kwargs={"key": record.book_id})
    )
    assert "?location=Hall%20%26%20stairs" in page.content.decode()


def test_the_locations_page_counts_the_readers_locations_only(user_client, user):
    _record(user, "Dune", location="Study")
    _record(user, "Emma", location="study")
    _record(user, "Kim", location="Attic")
    _record(user, "Ubik")
    _record(UserFactory(), "Theirs", location="Their cellar")
    response = user_client.get(reverse("catalog:locations"))
    assert response.status_code == 200
    text = _text(response)
    assert "Attic 1 book" in text
    assert re.search(r"[Ss]tudy 2 books", text)
    assert "Their cellar" not in text
    assert f"{reverse('catalog:book-list')}?location=Attic" in (
        response.content.decode()
    )


def test_the_locations_page_says_when_there_are_none(user_client, user):
    _record(user, "Dune")
    response = user_client.get(reverse("catalog:locations"))
    assert 'id="locations-none"' in response.content.decode()


def test_renaming_a_location_changes_every_book_there(user_client, user):
    dune = _record(user, "Dune", location="Hall")
    emma = _record(user, "Emma", location="HALL")
    kim = _record(user, "Kim", location="Attic")
    response = user_client.post(
        reverse("catalog:locations"), {"old": "Hall", "new": " Front  hall "}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:locations")
    assert _location(user, dune) == _location(user, emma) == "Front hall"
    assert _location(user, kim) == "Attic"
    page = user_client.get(reverse("catalog:locations"))
    assert "Moved 2 books to “Front hall”." in _text(page)


def test_renaming_to_an_existing_location_merges_them(user_client, user):
    _record(user, "Dune", location="Hall")
    _record(user, "Kim", location="Attic")
    user_client.post(reverse("catalog:locations"), {"old": "Hall", "new": "attic"})
    counts = UserBook.objects.location_counts(user).locations
    assert [(key, n) for _, key, n in counts] == [("attic", 2)]


def test_an_invalid_name_is_refused_keeping_what_was_typed(user_client, user):
    record = _record(user, "Dune", location="Hall")
    response = user_client.post(
        reverse("catalog:locations"), {"old": "Hall", "new": "   "}
    )
    assert response.status_code == 200
    assert "Nothing was renamed" in _text(response)
    too_long = "y" * 201
    response = user_client.post(
        reverse("catalog:locations"), {"old": "Hall", "new": too_long}
    )
    assert "Nothing was renamed" in _text(response)
    assert f'value="{too_long}"' in response.content.decode()
    assert _location(user, record) == "Hall"


def test_a_rename_never_touches_another_readers_books(user_client, user):
    theirs = _record(other := UserFactory(), "Theirs", location="Hall")
    response = user_client.post(
        reverse("catalog:locations"), {"old": "Hall", "new": "Attic"}
    )
    assert response.status_code == 302
    assert "No book changed" in _text(user_client.get(reverse("catalog:locations")))
    assert _location(other, theirs) == "Hall"


def test_a_rename_needs_the_csrf_token_and_a_login(user):
    record = _record(user, "Dune", location="Hall")
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(user)
    response = checked.post(
        reverse("catalog:locations"), {"old": "Hall", "new": "Attic"}
    )
    assert response.status_code == 403
    anonymous = Client().post(
        reverse("catalog:locations"), {"old": "Hall", "new": "Attic"}
    )
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert _location(user, record) == "Hall"


def test_the_book_and_add_forms_suggest_the_readers_locations(user_client, user):
    record = _record(user, "Dune", location="Study shelf")
    _record(UserFactory(), "Theirs", location="Their cellar")
    for url in (
        reverse("catalog:book-detail", kwargs={"key": record.book_id}),
        reverse("catalog:book-add"),
    ):
        html = user_client.get(url).content.decode()
        assert 'list="reader-locations"' in html, url
        assert '<datalist id="reader-locations">' in html, url
        assert '<option value="Study shelf">' in html, url
        assert "Their cellar" not in html, url


def test_a_location_typed_on_the_add_form_is_kept_as_typed(user_client, user):
    _record(user, "Dune", location="Study shelf")
    book = BookFactory(title="Emma")
    response = user_client.post(
        reverse("catalog:book-add"),
        {
            "mode": "isbn",
            "isbn-isbn": book.isbn13,
            "isbn-status": "want",
            "isbn-owned": "on",
            "isbn-location": "A new  place",
        },
    )
    assert response.status_code == 302
    stored = UserBook.objects.get_for_user(user, book.pk)
    assert (stored.location, stored.location_key) == ("A new place", "a new place")
