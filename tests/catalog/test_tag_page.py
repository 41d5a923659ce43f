"""The tags page: counts, rename, merge and delete, on the ORM and DynamoDB."""

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


def _record(user, title, tags):
    return UserBookFactory(user=user, book=BookFactory(title=title), tags=tags)


def _text(response) -> str:
    return " ".join(
        unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split()
    )


def _tags(user, record):
    return UserBook.objects.get_for_user(user, record.book_id).tags


@pytest.fixture
def shelf(user):
    return {
        "Dune": _record(user, "Dune", ["Classic", "Sci Fi"]),
        "Emma": _record(user, "Emma", ["classic"]),
        "Kim": _record(user, "Kim", []),
    }


def test_the_page_lists_the_tags_with_counts_each_linking_to_the_library(
    user_client, shelf
):
    response = user_client.get(reverse("catalog:tags"))
    rows = response.context["rows"]
    assert [(r["shown"], r["count"]) for r in rows] == [("Classic", 2), ("Sci Fi", 1)]
    text = _text(response)
    assert "Classic 2 books" in text and "Sci Fi 1 book" in text
    library = user_client.get(rows[1]["url"])
    assert [r.shown.display_title for r in library.context["page"].items] == ["Dune"]
    page = response.content.decode()
    assert form_values(page, "rename-form-1") == {
        "csrfmiddlewaretoken": form_values(page, "rename-form-1")[
            "csrfmiddlewaretoken"
        ],
        "tag": "Classic",
        "name": "Classic",
    }
    assert (
        reverse("catalog:tags")
        in user_client.get(reverse("catalog:book-list")).content.decode()
    )


def test_a_reader_without_tags_is_told_how_to_add_them(user_client, user):
    assert "You have no tags yet." in _text(user_client.get(reverse("catalog:tags")))


def test_renaming_to_an_existing_tag_merges_them(user_client, user, shelf):
    response = user_client.post(
        reverse("catalog:tag-rename"), {"tag": "Sci Fi", "name": "CLASSIC"}
    )
    assert response.status_code == 302
    assert _tags(user, shelf["Dune"]) == ["Classic"]
    page = user_client.get(response.url)
    assert "Renamed “Sci Fi” to “CLASSIC” on 1 book." in _text(page)
    assert [(r["shown"], r["count"]) for r in page.context["rows"]] == [("Classic", 2)]


def test_a_refused_name_keeps_what_was_typed_and_says_what_to_fix(
    user_client, user, shelf
):
    typed = "x" * (tags.TAG_MAX_CHARS + 3)
    response = user_client.post(
        reverse("catalog:tag-rename"), {"tag": "classic", "name": typed}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert form_values(page, "rename-form-1")["name"] == typed
    assert form_values(page, "rename-form-2")["name"] == "Sci Fi"
    assert f"at most {tags.TAG_MAX_CHARS} characters" in _text(response)
    assert 'aria-invalid="true"' in page
    assert _tags(user, shelf["Emma"]) == ["classic"]


def test_delete_asks_first_then_takes_the_tag_off(user_client, user, shelf):
    url = reverse("catalog:tag-delete")
    confirm = user_client.get(url, {"tag": "CLASSIC"})
    assert "It comes off 2 books" in _text(confirm)
    assert _tags(user, shelf["Emma"]) == ["classic"]
    values = form_values(confirm.content.decode(), "tag-delete-form")
    done = user_client.post(url, {"tag": values["tag"]})
    assert done.status_code == 302
    assert _tags(user, shelf["Dune"]) == ["Sci Fi"]
    assert _tags(user, shelf["Emma"]) == []
    assert user_client.get(url, {"tag": "classic"}).status_code == 404


def test_another_readers_tags_are_out_of_reach(user_client, user):
    other = UserFactory()
    theirs = _record(other, "Theirs", ["secret"])
    assert "secret" not in _text(user_client.get(reverse("catalog:tags")))
    assert (
        user_client.get(reverse("catalog:tag-delete"), {"tag": "secret"}).status_code
        == 404
    )
    user_client.post(reverse("catalog:tag-rename"), {"tag": "secret", "name": "mine"})
    user_client.post(reverse("catalog:tag-delete"), {"tag": "secret"})
    assert _tags(other, theirs) == ["secret"]
    assert user_client.get(reverse("catalog:tag-names")).json() == {"tags": []}


def test_changes_need_the_csrf_token_and_a_post(user, user_client, shelf):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    rename, delete = reverse("catalog:tag-rename"), reverse("catalog:tag-delete")
    assert client.post(rename, {"tag": "classic", "name": "x"}).status_code == 403
    assert client.post(delete, {"tag": "classic"}).status_code == 403
    assert client.get(rename, {"tag": "classic", "name": "x"}).status_code == 405
    assert user_client.post(reverse("catalog:tags")).status_code == 405
    assert _tags(user, shelf["Emma"]) == ["classic"]


def test_the_book_page_suggests_the_readers_tags(user_client, user, shelf):
    page = user_client.get(shelf["Kim"].get_absolute_url()).content.decode()
    assert 'list="tag-names"' in page and '<datalist id="tag-names">' in page
    names = user_client.get(reverse("catalog:tag-names"))
    assert names.json() == {"tags": ["Classic", "Sci Fi"]}


def test_the_pages_need_a_login(shelf):
    for name in ("catalog:tags", "catalog:tag-names", "catalog:tag-delete"):
        assert Client().get(reverse(name)).status_code == 302
