"""What each add path says: the book's name when known, else that it is on its way."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from catalog import services
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("both_modes"),
]
DUNE = "9780441172719"
FOX = "9780140328721"
EMMA = "9780141439587"
ON_THEIR_WAY = "its title and cover are on their way"


def _known(isbn: str, title: str):
    """An edition whose details were fetched before (another reader has it)."""
    return BookFactory(key=isbn, isbn13=isbn, title=title, metadata_status="complete")


def _said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _add_isbn(client, isbn: str, **extra):
    data = {"mode": "isbn", "isbn-isbn": isbn, "isbn-status": "want", **extra}
    return client.post(reverse("catalog:book-add"), data)


# Add by ISBN and by hand -------------------------------------------------------


def test_add_by_isbn_names_a_known_book(user_client):
    _known(DUNE, "Dune")
    response = _add_isbn(user_client, DUNE)
    assert _said(response) == ["Added “Dune” to your library."]


def test_add_by_isbn_says_the_details_are_on_their_way(user_client):
    response = _add_isbn(user_client, FOX)
    assert _said(response) == [f"Added ISBN {FOX} to your library; {ON_THEIR_WAY}."]


def test_add_by_hand_names_the_book(user_client):
    response = user_client.post(
        reverse("catalog:book-add"),
        {
            "mode": "manual",
            "manual-title": "Our Family Recipes",
            "manual-authors": "Gran",
            "manual-status": "want",
            "manual-owned": "on",
        },
    )
    assert response.status_code == 302
    assert _said(response) == ["Added “Our Family Recipes” to your library."]


def test_already_owned_names_the_readers_corrected_title(user_client, user):
    record = UserBookFactory(user=user, book=_known(DUNE, "Dune"))
    services.userbook_correct(
        user=user,
        book_key=DUNE,
        version=record.version,
        loaded=record.corrections,
        corrections={"title": "Dune (my copy)"},
    )
    body = _add_isbn(user_client, DUNE).content.decode()
    assert "“Dune (my copy)” is already in your library." in body


def test_already_owned_while_pending_says_so(user_client, user):
    UserBookFactory(
        user=user,
        book=BookFactory(key=FOX, isbn13=FOX, title="", metadata_status="pending"),
    )
    body = _add_isbn(user_client, FOX).content.decode()
    assert f"ISBN {FOX} is already in your library; {ON_THEIR_WAY}." in body


# USB scanner ---------------------------------------------------------------------


def test_scanner_names_a_known_book_and_an_owned_one(user_client):
    _known(DUNE, "Dune")
    url = reverse("catalog:add-scanner")
    first = user_client.post(url, {"isbn": DUNE, "status": "read"})
    assert _said(first) == ["Added “Dune” to your library."]
    again = user_client.post(url, {"isbn": DUNE, "status": "read"})
    assert _said(again)[-1] == "“Dune” is already in your library."


def test_scanner_says_a_new_book_is_on_its_way(user_client):
    url = reverse("catalog:add-scanner")
    first = user_client.post(url, {"isbn": FOX, "status": "want"})
    assert _said(first) == [f"Added ISBN {FOX} to your library; {ON_THEIR_WAY}."]
    again = user_client.post(url, {"isbn": FOX, "status": "want"})
    assert _said(again)[-1].startswith(f"ISBN {FOX} is already in your library; ")


def test_a_book_with_no_details_coming_asks_for_them(user_client, user):
    BookFactory(key=FOX, isbn13=FOX, title="", metadata_status="not_found")
    response = user_client.post(
        reverse("catalog:add-scanner"), {"isbn": FOX, "status": "want"}
    )
    assert _said(response) == [
        f"Added ISBN {FOX} to your library; "
        "no title is known for it yet, so you can type it on its page."
    ]


# Add many --------------------------------------------------------------------------


def _add_many(client, isbns, **extra):
    return client.post(reverse("catalog:add-many"), {"isbns": isbns, **extra})


def test_add_many_with_one_known_book_names_it(user_client):
    _known(EMMA, "Emma")
    assert _said(_add_many(user_client, [EMMA])) == ["Added “Emma” to your library."]


def test_add_many_with_one_pending_book_says_it_is_on_its_way(user_client):
    said = _said(_add_many(user_client, [FOX]))
    assert said == [f"Added ISBN {FOX} to your library; {ON_THEIR_WAY}."]


def test_add_many_from_a_search_names_the_title_it_showed(user_client):
    response = _add_many(
        user_client, [FOX], shown_title="Fantastic Mr Fox", shown_authors=["Dahl"]
    )
    assert _said(response) == ["Added “Fantastic Mr Fox” to your library."]


def test_add_many_names_the_first_known_books_and_counts_the_rest(user_client):
    _known(DUNE, "Dune")
    _known(EMMA, "Emma")
    said = _said(_add_many(user_client, [DUNE, FOX, EMMA]))
    assert said == ["Added 3 books to your library: “Dune”, “Emma” and 1 more."]


def test_add_many_with_none_known_says_they_are_on_their_way(user_client):
    said = _said(_add_many(user_client, [DUNE, FOX]))
    assert said == [
        "Added 2 books to your library; their titles and covers are on their way."
    ]


def test_add_many_lists_the_books_already_owned(user_client, user):
    UserBookFactory(user=user, book=_known(DUNE, "Dune"))
    UserBookFactory(
        user=user,
        book=BookFactory(key=FOX, isbn13=FOX, title="", metadata_status="pending"),
    )
    said = _said(_add_many(user_client, [DUNE, FOX]))
    assert said == [f"Already in your library: “Dune” and ISBN {FOX}."]


# Add and add another ---------------------------------------------------------------


def _field(body: str, form_id: str, pattern: str) -> bool:
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', body, re.S).group(0)
    return re.search(pattern, form, re.S) is not None


@pytest.mark.parametrize("mode", ["isbn", "manual"])
def test_add_another_keeps_status_location_and_owned(user_client, user, mode):
    data = {
        "mode": mode,
        f"{mode}-status": "read",
        f"{mode}-location": "Study, shelf 2",
        "next_action": "add_another",
    }
    if mode == "isbn":
        data["isbn-isbn"] = FOX
    else:
        data.update({"manual-title": "Notes", "manual-authors": "Me"})
    response = user_client.post(reverse("catalog:book-add"), data)
    assert response.status_code == 302
    added = UserBook.objects.page_for_user(user).items[0]
    assert (added.status, added.owned, added.location) == (
        "read",
        False,
        "Study, shelf 2",
    )
    body = user_client.get(response["Location"]).content.decode()
    for form_id, prefix in (("add-isbn-form", "isbn"), ("add-manual-form", "manual")):
        assert _field(body, form_id, r'<option value="read" selected>')
        assert _field(body, form_id, r'value="Study, shelf 2"')
        assert not _field(
            body, form_id, rf'<input[^>]*name="{prefix}-owned"[^>]*checked'
        )
    assert _field(body, "add-isbn-form", r'name="isbn-isbn"(?![^>]*value=)')
    active = "pane-manual" if mode == "manual" else "pane-isbn"
    assert re.search(rf'class="tab-pane fade show active"\s+id="{active}"', body)


def test_add_another_keeps_owned_ticked(user_client):
    response = _add_isbn(
        user_client, FOX, **{"isbn-owned": "on", "next_action": "add_another"}
    )
    body = user_client.get(response["Location"]).content.decode()
    assert _field(body, "add-isbn-form", r'<input[^>]*name="isbn-owned"[^>]*checked')


def test_add_page_sets_odd_carried_values_right(user_client, user):
    response = user_client.get(
        reverse("catalog:book-add"),
        {"status": "lost", "location": "  " + "x" * 300, "owned": "maybe"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert _field(body, "add-isbn-form", r'<option value="want" selected>')
    assert _field(body, "add-isbn-form", rf'value="{"x" * 200}"')
    assert "x" * 201 not in body
    assert _field(body, "add-isbn-form", r'<input[^>]*name="isbn-owned"[^>]*checked')
    assert UserBook.objects.status_counts(user)["all"] == 0
