"""Every way of typing an ISBN reads any script's digits as the plain ISBN."""

import pytest
from django.urls import reverse

from catalog.models import Book, UserBook
from tests.factories import BookFactory, UserBookFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("both_modes"),
]
DUNE = "9780441172719"
ARABIC_INDIC = "٩٧٨٠٤٤١١٧٢٧١٩"
SUPERSCRIPT_MISPRINT = "97804411727²9"


def _add_by_isbn(client, isbn):
    return client.post(
        reverse("catalog:book-add"),
        {"mode": "isbn", "isbn-isbn": isbn, "isbn-status": "want", "isbn-owned": "on"},
    )


def _add_by_hand(client, isbn):
    return client.post(
        reverse("catalog:book-add"),
        {
            "mode": "manual",
            "manual-title": "Dune",
            "manual-isbn": isbn,
            "manual-status": "want",
        },
    )


def _scanner(client, isbn):
    return client.post(
        reverse("catalog:add-scanner"), {"isbn": isbn, "status": "want"}, follow=True
    )


def _add_many(client, isbn):
    return client.post(reverse("catalog:add-many"), {"isbns": [isbn]}, follow=True)


def _lookup(client, isbn):
    return client.post(reverse("catalog:book-lookup"), {"isbn": isbn})


ENTRY_POINTS = [_add_by_isbn, _add_by_hand, _scanner, _add_many, _lookup]


@pytest.fixture
def dune_owned(user):
    return UserBookFactory(
        user=user, book=BookFactory(key=DUNE, isbn13=DUNE, title="Dune")
    )


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_a_superscript_digit_gets_a_message_not_a_server_error(
    user_client, user, entry
):
    response = entry(user_client, SUPERSCRIPT_MISPRINT)
    assert response.status_code in (200, 400)
    assert "should be 6, not 9" in response.content.decode()
    with pytest.raises(Book.DoesNotExist):
        Book.objects.get_by_key("9780441172729")
    assert UserBook.objects.status_counts(user)["all"] == 0


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_arabic_indic_digits_find_the_copy_already_in_the_library(
    user_client, user, dune_owned, entry
):
    response = entry(user_client, ARABIC_INDIC)
    assert response.status_code < 500
    records = UserBook.objects.page_for_user(user).items
    assert [r.book_id for r in records] == [DUNE]
    if entry is _lookup:
        assert response.json()["owned"] is True
    else:
        assert "already in your library" in response.content.decode().lower()


def test_arabic_indic_digits_add_the_plain_isbn(user_client, user, fake_provider):
    _add_by_isbn(user_client, ARABIC_INDIC)
    assert UserBook.objects.get_for_user(user, DUNE).book.title == "Dune"
