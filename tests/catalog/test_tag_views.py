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


# The library page: filtering by tags, and tagging many books at once ----------


def _library(client, **params):
    return client.get(reverse("catalog:book-list"), params)


def _listed(response) -> list[str]:
    return [r.shown.display_title for r in response.context["page"].items]


@pytest.fixture
def shelf(user):
    return {
        title: _record(user, title, tags=tags, status=status)
        for title, tags, status in [
            ("Dune", ["Classic", "Sci Fi"], "read"),
            ("Emma", ["classic"], "want"),
            ("Solaris", ["sci fi", "classic"], "want"),
            ("Kim", [], "want"),
        ]
    }


def test_the_library_filters_by_every_tag_with_status_search_and_sort(
    user_client, shelf
):
    assert _listed(_library(user_client, tag="CLASSIC", sort="title")) == [
        "Dune",
        "Emma",
        "Solaris",
    ]
    both = _library(user_client, tag=["classic", "sci fi"], sort="title")
    assert _listed(both) == ["Dune", "Solaris"]
    assert _listed(
        _library(user_client, tag="classic", status="want", sort="title")
    ) == ["Emma", "Solaris"]
    assert _listed(_library(user_client, tag="classic", q="emm")) == ["Emma"]
    none = _library(user_client, tag="nothing")
    assert _listed(none) == [] and "No books match." in _text(none)


def test_each_tag_filtered_by_is_a_chip_that_removes_it(user_client, shelf):
    response = _library(user_client, tag=["classic", "Sci Fi"], status="want")
    chips = dict(response.context["tag_chips"])
    assert set(chips) == {"classic", "Sci Fi"}
    assert _listed(user_client.get(chips["Sci Fi"])) == ["Solaris", "Emma"]
    body = response.content.decode()
    # The search form keeps the tags when the search or status changes.
    assert form_values(body, "library-filters")["tag"] in ("classic", "Sci Fi")
    assert body.count('name="tag" value=') == 2


def test_tag_chips_on_cards_link_to_the_filter(user_client, shelf):
    body = _library(user_client, sort="title").content.decode()
    assert f'href="{reverse("catalog:book-list")}?tag=Sci%20Fi"' in body


def test_paging_keeps_the_tag_filter(user_client, shelf, settings):
    settings.CATALOG_PAGE_SIZE = 2
    first = _library(user_client, tag="classic", sort="title")
    assert _listed(first) == ["Dune", "Emma"]
    assert "tag=classic" in first.context["next_url"]
    second = user_client.get(first.context["next_url"])
    assert _listed(second) == ["Solaris"]


def test_another_readers_tags_filter_nothing_of_theirs(user_client, shelf):
    _record(UserFactory(), "Theirs", tags=["classic"])
    assert "Theirs" not in _listed(_library(user_client, tag="classic"))


def test_unusable_tags_in_the_address_are_ignored(user_client, shelf):
    response = _library(user_client, tag=["a|b", "x" * 500, " "], sort="title")
    assert response.status_code == 200
    assert _listed(response) == ["Dune", "Emma", "Kim", "Solaris"]


def _bulk(client, keys, tag, action, **extra):
    data = {"keys": keys, "tag": tag, "action": action, **extra}
    return client.post(reverse("catalog:books-tag"), data)


def test_bulk_tagging_adds_and_removes_a_tag_and_says_so(user_client, user, shelf):
    keys = [shelf["Kim"].book_id, shelf["Emma"].book_id]
    next_url = f"{reverse('catalog:book-list')}?tag=classic"
    response = _bulk(user_client, keys, " To   Lend ", "add", next=next_url)
    assert response.status_code == 302 and response["Location"] == next_url
    assert _stored(user, shelf["Kim"]) == ["To Lend"]
    assert _stored(user, shelf["Emma"]) == ["classic", "To Lend"]
    page = user_client.get(next_url)
    assert "Tagged 2 books with “To Lend”" in _text(page)
    _bulk(user_client, keys, "to lend", "remove")
    assert _stored(user, shelf["Kim"]) == []
    assert _stored(user, shelf["Emma"]) == ["classic"]


def test_bulk_tagging_refuses_a_bad_tag_and_leaves_others_books(user_client, user):
    theirs = _record(UserFactory(), "Theirs")
    mine = _record(user, "Mine")
    response = _bulk(user_client, [mine.book_id], "a|b", "add")
    assert "cannot hold “|”" in _text(user_client.get(response["Location"]))
    _bulk(user_client, [theirs.book_id], "mine", "add")
    assert _stored(theirs.user, theirs) == []
    assert _stored(user, mine) == []


def test_bulk_tagging_needs_the_csrf_token(user, shelf):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = _bulk(client, [shelf["Kim"].book_id], "x", "add")
    assert response.status_code == 403
    assert _stored(user, shelf["Kim"]) == []


def test_the_list_view_shows_tags_that_link_to_the_filter(user_client, user, shelf):
    from accounts import services as account_services

    account_services.user_set_library_view(user=user, view="list")
    body = _library(user_client, sort="title").content.decode()
    assert 'id="book-table"' in body
    assert f'href="{reverse("catalog:book-list")}?tag=Sci%20Fi"' in body
