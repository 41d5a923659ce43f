"""Removing books from their page or the library list, and the Undo in the message."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from catalog import services
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory

# On the ORM backends and on DynamoDB (moto).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

_UNDO = re.compile(r'<form method="post"\s+action="(/books/undo/[^"/]+/)"')


def _undo_urls(html: str) -> list[str]:
    return [unescape(url) for url in _UNDO.findall(html)]


def _message_page(client, response) -> str:
    """Follow a redirect as a browser would: the page that shows the message."""
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


def test_removing_from_the_book_page_offers_undo_and_undo_brings_it_back(
    user_client, user
):
    record = UserBookFactory(user=user, book=BookFactory(title="Dune"), notes="Mine")
    url = reverse("catalog:book-remove", kwargs={"key": record.book_id})

    response = user_client.post(url)

    assert response["Location"] == reverse("catalog:book-list")
    page = _message_page(user_client, response)
    assert "Removed “Dune”." in page
    (undo,) = _undo_urls(page)
    assert user_client.get(record.get_absolute_url()).status_code == 404
    # Shown once: the next page has no Undo left over.
    library = user_client.get(reverse("catalog:book-list")).content.decode()
    assert _undo_urls(library) == []

    back = user_client.post(undo, {"next": "/books/"})

    assert back["Location"] == record.get_absolute_url()
    page = _message_page(user_client, back)
    assert "Restored “Dune”." in page and "Mine" in page
    # The same Undo again (a second click) is answered kindly; nothing changes.
    again = user_client.post(undo)
    assert again.status_code == 404 and "undone already" in again.content.decode()
    assert UserBook.objects.status_counts(user)["all"] == 1


def test_removing_the_chosen_books_from_the_list_keeps_its_filter(user_client, user):
    chosen = [
        UserBookFactory(user=user, status="read", book=BookFactory(title=f"B{i}"))
        for i in range(3)
    ]
    stays = UserBookFactory(user=user, status="read")
    response = user_client.post(
        reverse("catalog:books-remove"),
        {
            "keys": [r.book_id for r in chosen],
            "next": "/books/?q=b&status=read&sort=title&cursor=abc",
        },
    )
    assert response["Location"] == "/books/?q=b&status=read&sort=title"
    page = _message_page(user_client, response)
    assert "Removed 3 books." in page
    assert UserBook.objects.status_counts(user)["read"] == 1
    assert UserBook.objects.get_for_user(user, stays.book_id)

    (undo,) = _undo_urls(page)
    back = user_client.post(undo, {"next": "/books/?status=read"})
    assert back["Location"] == "/books/?status=read"
    assert "Restored 3 books." in _message_page(user_client, back)
    assert UserBook.objects.status_counts(user)["read"] == 4


def test_someone_elses_books_in_the_form_are_left_alone_and_counted(
    user_client, user, other_user
):
    mine = UserBookFactory(user=user, book=BookFactory(title="Mine"))
    theirs = UserBookFactory(user=other_user)
    response = user_client.post(
        reverse("catalog:books-remove"), {"keys": [mine.book_id, theirs.book_id]}
    )
    page = _message_page(user_client, response)
    assert "Removed “Mine”." in page
    assert "One of the chosen books was not in your library." in page
    assert UserBook.objects.get_for_user(other_user, theirs.book_id)


def test_only_others_books_or_none_chosen_removes_nothing(
    user_client, user, other_user
):
    theirs = UserBookFactory(user=other_user)
    url = reverse("catalog:books-remove")
    page = _message_page(user_client, user_client.post(url, {"keys": [theirs.book_id]}))
    assert "Removed" not in page and _undo_urls(page) == []
    page = _message_page(user_client, user_client.post(url, {}))
    assert "Choose the books to remove first." in page
    assert UserBook.objects.get_for_user(other_user, theirs.book_id)


def test_too_many_books_at_once_are_refused_with_a_message(user_client, user):
    record = UserBookFactory(user=user)
    keys = [record.book_id] + [f"M{i:016d}" for i in range(100)]
    response = user_client.post(reverse("catalog:books-remove"), {"keys": keys})
    assert "Remove at most 100 books" in _message_page(user_client, response)
    assert UserBook.objects.get_for_user(user, record.book_id)


def test_a_next_elsewhere_goes_to_the_library(user_client, user):
    record = UserBookFactory(user=user)
    response = user_client.post(
        reverse("catalog:books-remove"),
        {"keys": [record.book_id], "next": "https://evil.example/books/?q=x"},
    )
    assert response["Location"] == reverse("catalog:book-list")


def test_someone_elses_undo_changes_nothing(client, user, other_user):
    record = UserBookFactory(user=user)
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    client.force_login(other_user)
    url = reverse("catalog:undo-remove", kwargs={"token": receipt.token})
    response = client.post(url)
    assert response.status_code == 404
    assert "Nothing to undo" in response.content.decode()
    assert UserBook.objects.status_counts(other_user)["all"] == 0
    assert UserBook.objects.status_counts(user)["all"] == 0


def test_a_late_undo_says_so(user_client, user, settings):
    record = UserBookFactory(user=user)
    settings.REMOVAL_UNDO_SECONDS = 0
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    url = reverse("catalog:undo-remove", kwargs={"token": receipt.token})
    assert "Too late to undo" in _message_page(user_client, user_client.post(url))


def test_removing_and_undoing_need_a_post_with_a_csrf_token(user):
    record = UserBookFactory(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    remove = reverse("catalog:books-remove")
    assert client.get(remove).status_code == 405
    assert client.post(remove, {"keys": [record.book_id]}).status_code == 403
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    undo = reverse("catalog:undo-remove", kwargs={"token": receipt.token})
    assert client.get(undo).status_code == 405
    assert client.post(undo).status_code == 403
    assert UserBook.objects.status_counts(user)["all"] == 0


def test_signed_out_visitors_are_sent_to_log_in(client, user):
    record = UserBookFactory(user=user)
    response = client.post(reverse("catalog:books-remove"), {"keys": [record.book_id]})
    assert response.status_code == 302 and "login" in response["Location"]
    assert UserBook.objects.get_for_user(user, record.book_id)
