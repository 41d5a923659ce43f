"""One tap: status and rating set from a card or the top of a book's page."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import given
from hypothesis import strategies as st

from catalog import records
from catalog.forms import UserBookForm
from catalog.models import ReadingStatus, UserBook
from catalog.services import quick_sign
from tests.factories import BookFactory, UserBookFactory
from tests.html_forms import form_values
from tests.test_fuzz import FUZZ, nasty_text, status_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def record(user) -> UserBook:
    book = BookFactory(title="Dune")
    return UserBookFactory(user=user, book=book, notes="First thoughts")


def _set_url(record) -> str:
    return reverse("catalog:book-set", kwargs={"key": record.book_id})


def _card_form(html: str, key: str) -> dict[str, str]:
    """What the card's one-tap form would send unchanged."""
    card = html.index(f'data-card-key="{key}"')
    start = html.index("<form", card)
    end = html.index("</form>", start) + len("</form>")
    return form_values(html[start:end].replace("<form", '<form id="card"', 1), "card")


def _open_card(client, record) -> dict[str, str]:
    html = client.get(reverse("catalog:book-list")).content.decode()
    return _card_form(html, record.book_id)


def _open_page_controls(client, record) -> dict[str, str]:
    html = client.get(record.get_absolute_url()).content.decode()
    start = html.index('<form method="post"', html.index('id="quick-set"'))
    end = html.index("</form>", start) + len("</form>")
    return form_values(html[start:end].replace("<form", '<form id="q"', 1), "q")


def _selected(html: str, value: str) -> bool:
    """Whether an option with this value is selected."""
    return bool(re.search(rf'<option value="{re.escape(value)}"\s+selected>', html))


def _text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(body).split())


def _stored(user, record) -> UserBook:
    return UserBook.objects.get_for_user(user, record.book_id)


def _save_on_book_page(client, record, **changes) -> None:
    """Another tab saves the book page's form."""
    html = client.get(record.get_absolute_url()).content.decode()
    values = form_values(html, "userbook-form")
    response = client.post(record.get_absolute_url(), {**values, **changes})
    assert response.status_code == 302


def test_a_card_sets_the_status_and_comes_back_with_a_message(
    user_client, user, record
):
    values = _open_card(user_client, record)
    assert values["next"] == reverse("catalog:book-list")
    response = user_client.post(
        _set_url(record), {**values, "status": "reading"}, follow=True
    )
    assert response.redirect_chain == [(reverse("catalog:book-list"), 302)]
    assert "“Dune”: Reading." in _text(response)
    stored = _stored(user, record)
    assert stored.status == "reading"
    assert stored.started_on == timezone.localdate()  # the date the status implies
    assert (stored.rating, stored.notes) == (None, "First thoughts")


def test_the_book_page_sets_a_rating_and_clears_it(user_client, user, record):
    values = _open_page_controls(user_client, record)
    assert values["next"] == record.get_absolute_url()
    response = user_client.post(_set_url(record), {**values, "rating": "3.5"})
    assert response.status_code == 302
    assert response["Location"] == record.get_absolute_url()
    assert _stored(user, record).rating == Decimal("3.5")
    page = user_client.get(record.get_absolute_url())
    assert "“Dune”: 3.5 stars." in _text(page)
    assert _selected(page.content.decode(), "3.5")

    values = _open_page_controls(user_client, record)
    user_client.post(_set_url(record), {**values, "rating": ""})
    stored = _stored(user, record)
    assert (stored.rating, stored.status) == (None, "want")


def test_a_status_button_sends_only_the_status(user_client, user, record):
    values = _open_page_controls(user_client, record)
    # The buttons are the status: a page form sends the one pressed.
    assert "status" not in values
    user_client.post(_set_url(record), {**values, "status": "read"})
    stored = _stored(user, record)
    assert stored.status == "read"
    assert stored.finished_on == timezone.localdate()


def test_the_script_gets_the_card_as_it_is_now(user_client, user, record):
    values = _open_card(user_client, record)
    response = user_client.post(_set_url(record), {**values, "rating": "4.5"}, **FETCH)
    answer = response.json()
    assert answer["ok"] is True
    assert answer["message"] == "“Dune”: 4.5 stars."
    assert answer["values"] == {"status": "want", "rating": "4.5"}
    assert f'data-card-key="{record.book_id}"' in answer["html"]
    assert _selected(answer["html"], "4.5")
    # The fresh card carries the new version: a second tap needs no merge.
    again = _card_form(answer["html"], record.book_id)
    assert again["next"] == reverse("catalog:book-list")
    answer = user_client.post(
        _set_url(record), {**again, "status": "read"}, **FETCH
    ).json()
    assert answer["message"] == "“Dune”: Read."
    stored = _stored(user, record)
    assert (stored.status, stored.rating) == ("read", Decimal("4.5"))
    assert list(user_client.get(reverse("catalog:book-list")).context["messages"]) == []


def test_the_page_controls_come_back_for_the_script(user_client, user, record):
    values = _open_page_controls(user_client, record)
    answer = user_client.post(
        _set_url(record), {**values, "status": "dnf"}, **FETCH
    ).json()
    assert answer["html"].lstrip().startswith('<div id="quick-set"')
    assert 'value="dnf"' in answer["html"]
    assert re.search(r'value="dnf"\s+class="[^"]*btn-primary', answer["html"])


def test_a_tap_on_a_stale_card_merges_with_notes_saved_elsewhere(
    user_client, user, record
):
    card = _open_card(user_client, record)
    _save_on_book_page(user_client, record, notes="Changed in the other tab")
    response = user_client.post(
        _set_url(record), {**card, "status": "reading"}, follow=True
    )
    stored = _stored(user, record)
    assert (stored.status, stored.notes) == ("reading", "Changed in the other tab")
    # The card shows no notes: the change there needs no word.
    text = _text(response)
    assert "“Dune”: Reading." in text and "another tab" not in text


def test_a_tap_on_a_field_changed_elsewhere_says_so_and_shows_it(
    user_client, user, record
):
    card = _open_card(user_client, record)
    _save_on_book_page(user_client, record, status="read")
    answer = user_client.post(
        _set_url(record), {**card, "status": "reading"}, **FETCH
    ).json()
    assert answer["ok"] is False
    assert answer["level"] == "warning"
    assert answer["message"] == (
        "“Dune” was changed in another tab or device: its status is now Read; "
        "your choice (Reading) was not saved. Choose again if you still want to "
        "change it."
    )
    assert answer["values"]["status"] == "read"
    assert _selected(answer["html"], "read")
    assert _stored(user, record).status == "read"

    response = user_client.post(
        _set_url(record), {**card, "status": "reading"}, follow=True
    )
    assert "its status is now Read; your choice (Reading) was not saved" in _text(
        response
    )
    assert _stored(user, record).status == "read"


def test_a_tap_on_the_same_value_set_elsewhere_is_no_conflict(
    user_client, user, record
):
    card = _open_card(user_client, record)
    _save_on_book_page(user_client, record, rating="4.0")
    response = user_client.post(_set_url(record), {**card, "rating": "4.0"})
    assert response.status_code == 302
    assert _stored(user, record).rating == Decimal("4.0")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "finished", "Choose a reading status"),
        ("status", "", "Choose a reading status"),
        ("rating", "4.2", "A rating is from 0.5 to 5 stars, in half stars."),
        ("rating", "6", "A rating is from 0.5 to 5 stars, in half stars."),
        ("rating", "0", "A rating is from 0.5 to 5 stars, in half stars."),
        ("rating", "abc", "A rating is from 0.5 to 5 stars, in half stars."),
        ("rating", "NaN", "A rating is from 0.5 to 5 stars, in half stars."),
        ("rating", "sNaN", "A rating is from 0.5 to 5 stars, in half stars."),
        ("rating", "Infinity", "A rating is from 0.5 to 5 stars, in half stars."),
        ("rating", "1e999999", "A rating is from 0.5 to 5 stars, in half stars."),
    ],
)
def test_a_value_no_control_offers_gets_a_message(
    user_client, user, record, field, value, message
):
    card = _open_card(user_client, record)
    response = user_client.post(_set_url(record), {**card, field: value}, follow=True)
    assert response.status_code == 200
    assert f"“Dune”: {message}" in _text(response)
    stored = _stored(user, record)
    assert (stored.status, stored.rating, stored.version) == (
        "want",
        None,
        record.version,
    )
    answer = user_client.post(_set_url(record), {**card, field: value}, **FETCH).json()
    assert (answer["ok"], answer["level"]) == (False, "error")


def test_an_altered_snapshot_is_refused_with_a_message(user_client, user, record):
    card = _open_card(user_client, record)
    other = UserBookFactory(user=user)
    foreign = _open_card(user_client, other)
    for loaded in ("", card["loaded"] + "x", foreign["loaded"]):
        response = user_client.post(
            _set_url(record), {**card, "loaded": loaded, "status": "read"}, follow=True
        )
        assert "This page is out of date: reload it" in _text(response)
    assert _stored(user, record).status == "want"


def test_another_readers_book_is_not_found(client, user, other_user, record):
    client.force_login(other_user)
    mine = UserBookFactory(user=other_user)
    values = _open_card(client, mine)
    response = client.post(_set_url(record), {**values, "status": "read"})
    assert response.status_code == 404
    missing = reverse("catalog:book-set", kwargs={"key": "9780000000002"})
    assert client.post(missing, {**values, "status": "read"}).status_code == 404
    assert _stored(user, record).status == "want"


def test_the_post_needs_its_csrf_token(user, record):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    values = _open_card(browser, record)
    without = {k: v for k, v in values.items() if k != "csrfmiddlewaretoken"}
    refused = browser.post(_set_url(record), {**without, "status": "read"})
    assert refused.status_code == 403
    assert _stored(user, record).status == "want"
    accepted = browser.post(_set_url(record), {**values, "status": "read"})
    assert accepted.status_code == 302
    assert _stored(user, record).status == "read"


def test_a_get_changes_nothing(user_client, user, record):
    url = _set_url(record) + "?status=read&rating=5"
    assert user_client.get(url).status_code == 405
    assert _stored(user, record).status == "want"


def test_signed_out_the_post_asks_to_log_in_then_goes_back(client, user, record):
    response = client.post(_set_url(record), {"status": "read", "next": "/books/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=/books/"
    response = client.post(_set_url(record), {"status": "read", "next": "//x.test"})
    assert response["Location"] == reverse("accounts:login") + "?next=/books/"
    assert _stored(user, record).status == "want"


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example/",
        "//elsewhere.example/books/",
        "javascript:alert(1)",
        "0",
        "books/",
        "",
    ],
)
def test_it_only_goes_back_to_this_site(user_client, record, target):
    card = _open_card(user_client, record)
    response = user_client.post(
        _set_url(record), {**card, "next": target, "status": "read"}
    )
    assert response["Location"] == record.get_absolute_url()


def test_it_goes_back_to_the_filtered_library(user_client, record):
    page = reverse("catalog:book-list") + "?status=want&sort=title"
    html = user_client.get(page).content.decode()
    card = _card_form(html, record.book_id)
    assert card["next"] == page
    response = user_client.post(_set_url(record), {**card, "status": "read"})
    assert response["Location"] == page


def test_cards_keep_their_controls_outside_the_link(user_client, user, record):
    UserBookFactory(user=user, rating=Decimal("4.5"), status="reading")
    for url in (reverse("catalog:home"), reverse("catalog:book-list")):
        html = user_client.get(url).content.decode()
        links = re.findall(r'<a class="book-card-link.*?</a>', html, re.S)
        assert len(links) >= 2
        for link in links:
            assert not re.search(r"<(select|button|input|form|a )", link[2:]), link
        assert 'aria-label="Status of “Dune”"' in html
        assert 'aria-label="Rating for “Dune”"' in html
        assert _selected(html, "4.5")
        assert "4.5 stars</option>" in html


KEY = "9780441172719"


@pytest.fixture
def _fuzz_record(both_modes, user):
    return UserBookFactory(user=user, book=BookFactory(isbn13=KEY, title="Dune"))


@pytest.mark.usefixtures("_fuzz_record")
@FUZZ
@given(
    status=status_text,
    rating=st.one_of(st.sampled_from(["", "0.5", "3.5", "5.0", "5"]), nasty_text),
    loaded=st.one_of(st.just("valid"), nasty_text),
    target=nasty_text,
    fetch=st.booleans(),
)
def test_fuzz_one_tap(user, status, rating, loaded, target, fetch):
    record = UserBook.objects.get_for_user(user, KEY)
    client = Client()
    client.force_login(user)
    data = {
        "status": status,
        "rating": rating,
        "next": target,
        "loaded": quick_sign(record) if loaded == "valid" else loaded,
    }
    response = client.post(reverse("catalog:book-set", kwargs={"key": KEY}), data)
    assert response.status_code in (200, 302)
    headers = FETCH if fetch else {}
    response = client.post(
        reverse("catalog:book-set", kwargs={"key": KEY}), data, **headers
    )
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert url_has_allowed_host_and_scheme(response["Location"], {"testserver"})
    stored = UserBook.objects.get_for_user(user, KEY)
    assert stored.status in ReadingStatus.values
    assert stored.rating is None or stored.rating in records.RATINGS
    form = UserBookForm.for_record(stored)
    bound = UserBookForm(
        {**form.initial, "rating": records.rating_text(stored.rating)},
        user_id=user.pk,
        book_key=KEY,
    )
    assert bound.is_valid(), bound.errors
