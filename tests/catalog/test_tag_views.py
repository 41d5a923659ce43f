"""A reader's tags on the book page, on the ORM and on DynamoDB (moto)."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from catalog import tags
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory
from tests.html_forms import form_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _record(user, title="Dune", **fields):
    return UserBookFactory(user=user, book=BookFactory(title=title), **fields)


def _page(record) -> str:
    return reverse("catalog:book-detail", kwargs={"key": record.book_id})


def _tags_url(record) -> str:
    return reverse("catalog:book-tags", kwargs={"key": record.book_id})


def _text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(body).split())


def _stored(user, record) -> list[str]:
    return UserBook.objects.get_for_user(user, record.book_id).tags


def test_the_book_page_shows_the_tags_and_saves_what_is_typed(user_client, user):
    record = _record(user, tags=["Classic"])
    values = form_values(user_client.get(_page(record)).content.decode(), "tags-form")
    assert values["tags"] == "Classic" and values["loaded"] == "Classic"
    values["tags"] = "Classic,  desert planet , DESERT planet"
    response = user_client.post(_tags_url(record), values)
    assert response.status_code == 302
    assert response["Location"] == f"{_page(record)}#tags"
    assert _stored(user, record) == ["Classic", "desert planet"]
    page = user_client.get(_page(record))
    assert "Tags saved." in _text(page)
    assert "desert planet" in _text(page)


def test_two_tabs_editing_tags_keep_each_others_changes(user_client, user):
    record = _record(user, tags=["classic", "desert"])
    first = form_values(user_client.get(_page(record)).content.decode(), "tags-form")
    second = dict(first)
    user_client.post(_tags_url(record), {**first, "tags": "classic, desert, space"})
    user_client.post(_tags_url(record), {**second, "tags": "desert, Epic"})
    assert _stored(user, record) == ["desert", "space", "Epic"]


def test_a_refusal_keeps_what_was_typed_and_says_what_to_fix(user_client, user):
    record = _record(user, tags=["kept"])
    typed = "kept, " + "x" * (tags.TAG_MAX_CHARS + 5)
    response = user_client.post(_tags_url(record), {"tags": typed, "loaded": "kept"})
    assert response.status_code == 200
    assert form_values(response.content.decode(), "tags-form")["tags"] == typed
    assert f"at most {tags.TAG_MAX_CHARS} characters" in _text(response)
    assert 'aria-invalid="true"' in response.content.decode()
    assert _stored(user, record) == ["kept"]


def test_another_readers_book_and_tags_stay_out_of_reach(user_client, user):
    theirs = _record(UserFactory(), "Theirs", tags=["secret"])
    response = user_client.post(_tags_url(theirs), {"tags": "mine"})
    assert response.status_code == 404
    assert _stored(theirs.user, theirs) == ["secret"]
    mine = _record(user, "Mine")
    assert "secret" not in _text(user_client.get(_page(mine)))


def test_saving_tags_needs_the_csrf_token_and_a_post(user):
    record = _record(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post(_tags_url(record), {"tags": "x"}).status_code == 403
    assert client.get(_tags_url(record)).status_code == 405
    assert _stored(user, record) == []
