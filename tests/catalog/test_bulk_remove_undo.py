"""The library page's bulk Remove and the Undo in its message, together: the
filters survive both posts, a later page leads back to a valid one, and the Undo
is shown only to the reader whose books went. On both backends."""

import re
from html import unescape

import pytest
from django.urls import reverse

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

LIBRARY = reverse("catalog:book-list")
_UNDO = re.compile(r'action="(/books/undo/[^"/]+/)"')


@pytest.fixture
def thirty(user):
    """ "Book 01" to "Book 30"; every third one is read, each has a note."""
    return [
        UserBookFactory(
            user=user,
            book=BookFactory(title=f"Book {n:02d}", authors=[f"Writer {n}"]),
            status="read" if n % 3 == 0 else "want",
            notes=f"Note on book {n}",
        )
        for n in range(1, 31)
    ]


def _html(response) -> str:
    return response.content.decode()


def _form(html: str, form_id: str) -> str:
    match = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S)
    assert match, f"no #{form_id} on the page"
    return match.group(0)


def _next_of(form_html: str) -> str:
    match = re.search(r'name="next"\s+value="([^"]*)"', form_html)
    assert match, "the form posts no next"
    return unescape(match.group(1))


def _undo(html: str) -> tuple[str, str]:
    """The Undo form's address and the ``next`` it posts."""
    match = re.search(r'<form[^>]*class="[^"]*undo-form.*?</form>', html, re.S)
    assert match, "no Undo on the page"
    (url,) = _UNDO.findall(match.group(0))
    return unescape(url), _next_of(match.group(0))


def _range(html: str) -> str:
    match = re.search(r'id="page-range">([^<]*)<', html)
    return match.group(1).strip() if match else ""


def _status_option(html: str, value: str) -> str:
    match = re.search(rf'<option value="{value}"[^>]*>([^<]*)</option>', html)
    return match.group(1).strip()


def _titles(response) -> list[str]:
    return [r.book.title for r in response.context["page"].items]


def test_the_bulk_form_removes_with_next_and_both_redirects_keep_the_filters(
    user_client, user, thirty
):
    filtered = f"{LIBRARY}?q=book&status=want&sort=title"
    page = user_client.get(filtered)
    html = _html(page)
    bulk = _form(html, "bulk-form")
    remove = re.search(r'<button[^>]*id="bulk-remove"[^>]*>', bulk).group(0)
    assert f'formaction="{reverse("catalog:books-remove")}"' in remove
    assert _next_of(bulk) == filtered
    before = _titles(page)
    assert _status_option(html, "want") == "Want to read (20)"
    chosen = [r for r in thirty if r.book.title in {"Book 02", "Book 04", "Book 05"}]

    response = user_client.post(
        reverse("catalog:books-remove"),
        {"keys": [r.book_id for r in chosen], "next": _next_of(bulk)},
    )

    assert response.status_code == 302
    assert response["Location"] == filtered
    after = user_client.get(response["Location"])
    html = _html(after)
    assert "Removed 3 books." in html
    assert _titles(after) == [
        t for t in before if t not in {"Book 02", "Book 04", "Book 05"}
    ]
    assert _status_option(html, "want") == "Want to read (17)"
    undo_url, undo_next = _undo(html)
    assert undo_next == filtered

    back = user_client.post(undo_url, {"next": undo_next})

    assert back["Location"] == filtered
    again = user_client.get(back["Location"])
    html = _html(again)
    assert "Restored 3 books." in html
    assert _titles(again) == before
    assert _status_option(html, "want") == "Want to read (20)"
    for record in chosen:
        restored = UserBook.objects.get_for_user(user, record.book_id)
        assert (restored.status, restored.notes, restored.added_at) == (
            "want",
            record.notes,
            record.added_at,
        )


def test_removing_from_the_second_page_then_undo_lands_on_a_valid_page(
    user_client, user, thirty
):
    first = user_client.get(f"{LIBRARY}?sort=title")
    second_url = unescape(
        re.search(r'rel="next"\s+href="([^"]*)"', _html(first)).group(1)
    )
    second = user_client.get(second_url)
    assert _range(_html(second)) == "25–30 of 30"
    bulk = _form(_html(second), "bulk-form")
    assert _next_of(bulk) == second_url
    chosen = [r for r in thirty if r.book.title in {"Book 25", "Book 26", "Book 27"}]

    response = user_client.post(
        reverse("catalog:books-remove"),
        {"keys": [r.book_id for r in chosen], "next": _next_of(bulk)},
    )

    # The cursor is dropped: the page it named has changed under it.
    assert response["Location"] == f"{LIBRARY}?sort=title"
    landed = user_client.get(response["Location"])
    assert landed.status_code == 200
    assert _range(_html(landed)) == "1–24 of 27"
    assert "Removed 3 books." in _html(landed)
    undo_url, undo_next = _undo(_html(landed))

    back = user_client.post(undo_url, {"next": undo_next})

    assert back["Location"] == f"{LIBRARY}?sort=title"
    shown = user_client.get(back["Location"])
    assert shown.status_code == 200
    assert _range(_html(shown)) == "1–24 of 30"
    assert "Restored 3 books." in _html(shown)
    # The second page is whole again, the three back in their places.
    second = user_client.get(second_url)
    assert _range(_html(second)) == "25–30 of 30"
    assert _titles(second) == [f"Book {n}" for n in range(25, 31)]


def test_the_undo_is_shown_only_to_the_reader_whose_books_went(
    client, user, other_user
):
    mine = [
        UserBookFactory(user=user, book=BookFactory(title="Dune")) for _ in range(2)
    ]
    UserBookFactory(user=other_user, book=BookFactory(title="Emma"))
    client.force_login(user)
    # The removal's message waits for the next page, which this reader never
    # sees: someone else signs in on the same browser.
    client.post(
        reverse("catalog:books-remove"),
        {"keys": [r.book_id for r in mine], "next": LIBRARY},
    )
    # Signing out and in again as a browser does: its cookies stay.
    assert client.post(reverse("accounts:logout")).status_code == 302
    client.force_login(other_user)

    html = _html(client.get(LIBRARY))

    assert "Emma" in html
    assert "Removed" not in html
    assert not _UNDO.findall(html)
    assert UserBook.objects.status_counts(user)["all"] == 0


def test_the_reader_sees_the_undo_on_the_library_page_once(user_client, user):
    records = [UserBookFactory(user=user) for _ in range(2)]
    response = user_client.post(
        reverse("catalog:books-remove"),
        {"keys": [r.book_id for r in records], "next": LIBRARY},
    )
    html = _html(user_client.get(response["Location"]))
    assert "Removed 2 books." in html
    assert len(_UNDO.findall(html)) == 1
    assert not _UNDO.findall(_html(user_client.get(LIBRARY)))
