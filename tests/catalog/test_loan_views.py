"""Lending, borrowing and returning on the book page, and the loans page."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import Loan
from tests.factories import BookFactory, UserBookFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def _lend(client, key, **data):
    values = {"loan-person": "Ann", "loan-lent_on": timezone.localdate()}
    values.update({f"loan-{k}": v for k, v in data.items()})
    return client.post(reverse("catalog:book-lend", kwargs={"key": key}), values)


def test_an_owned_copy_offers_lending_and_lending_shows_the_loan(user_client, user):
    record = UserBookFactory(user=user, book=BookFactory(title="Dune"))
    page = _text(user_client.get(record.get_absolute_url()))
    assert "Lend this book" in page
    assert reverse("catalog:book-lend", kwargs={"key": record.book_id}) in page

    due = timezone.localdate() + timedelta(days=14)
    response = _lend(
        user_client, record.book_id, due_on=due.isoformat(), email="ann@example.com"
    )

    assert response.status_code == 302
    assert response["Location"] == record.get_absolute_url()
    page = _text(user_client.get(response["Location"]))
    assert "“Dune” is lent to Ann." in page
    assert "Lent to Ann on" in page and "Mark returned" in page
    assert "Lend this book" not in page
    assert Loan.objects.open_for(user, record.book_id).due_on == due


def test_a_second_loan_is_refused_naming_the_borrower_and_keeps_the_typing(
    user_client, user
):
    record = UserBookFactory(user=user)
    services.loan_lend(user=user, book_key=record.book_id, person="Ann")
    # Another tab still showed the form.
    response = _lend(user_client, record.book_id, person="Bob", note="For the trip")
    assert response.status_code == 400
    page = _text(response)
    assert "This copy is already lent to Ann" in page
    assert Loan.objects.open_for(user, record.book_id).person == "Ann"


def test_a_refused_form_keeps_what_was_typed_and_says_what_to_fix(user_client, user):
    record = UserBookFactory(user=user)
    response = _lend(
        user_client,
        record.book_id,
        person="Bob",
        email="bob@example",
        note="Careful with it",
        remind_person="on",
    )
    assert response.status_code == 400
    page = _text(response)
    assert 'value="Bob"' in page and "Careful with it" in page
    assert "Enter a valid email address." in page
    assert Loan.objects.for_book(user, record.book_id) == []
    response = _lend(user_client, record.book_id, person="", remind_person="on")
    assert response.status_code == 400
    assert Loan.objects.for_book(user, record.book_id) == []


def test_marking_returned_keeps_the_history_on_the_book_page(user_client, user):
    record = UserBookFactory(user=user)
    today = timezone.localdate()
    services.loan_lend(
        user=user,
        book_key=record.book_id,
        person="Ann",
        lent_on=today - timedelta(days=9),
    )
    url = reverse("catalog:book-return", kwargs={"key": record.book_id})
    response = user_client.post(url, {"loan-returned_on": today.isoformat()})
    assert response.status_code == 302
    page = _text(user_client.get(record.get_absolute_url()))
    assert "is back from Ann." in page
    assert "Earlier loans" in page and "Lent to Ann" in page
    assert "Lend this book" in page
    again = user_client.post(url, {"loan-returned_on": today.isoformat()})
    assert "not on loan: nothing to return" in _text(user_client.get(again["Location"]))


def test_a_return_day_ahead_is_refused_on_the_page(user_client, user):
    record = UserBookFactory(user=user)
    services.loan_lend(user=user, book_key=record.book_id, person="Ann")
    ahead = timezone.localdate() + timedelta(days=3)
    response = user_client.post(
        reverse("catalog:book-return", kwargs={"key": record.book_id}),
        {"loan-returned_on": ahead.isoformat()},
    )
    assert response.status_code == 400
    assert "cannot be ahead" in _text(response)
    assert Loan.objects.open_for(user, record.book_id) is not None


def test_a_book_not_owned_offers_borrowing_and_shows_from_whom(user_client, user):
    record = UserBookFactory(user=user, owned=False, book=BookFactory(title="Emma"))
    page = _text(user_client.get(record.get_absolute_url()))
    assert "Borrowed this book from someone?" in page and "Lend this book" not in page
    due = timezone.localdate() + timedelta(days=5)
    response = user_client.post(
        reverse("catalog:book-borrow", kwargs={"key": record.book_id}),
        {
            "loan-person": "Carol",
            "loan-lent_on": timezone.localdate().isoformat(),
            "loan-due_on": due.isoformat(),
        },
    )
    assert response.status_code == 302
    page = _text(user_client.get(record.get_absolute_url()))
    assert "Borrowed from Carol on" in page and "Mark returned" in page
    loans = _text(user_client.get(reverse("catalog:loans")))
    assert "Emma" in loans and "Carol" in loans


def test_the_loans_page_lists_overdue_first_then_borrowed(user_client, user):
    today = timezone.localdate()
    titles = {"Late": -3, "Soon": 2, "Whenever": None}
    for title, days in titles.items():
        record = UserBookFactory(user=user, book=BookFactory(title=title))
        services.loan_lend(
            user=user,
            book_key=record.book_id,
            person=f"Friend of {title}",
            lent_on=today - timedelta(days=10),
            due_on=None if days is None else today + timedelta(days=days),
        )
    UserBookFactory(user=user, book=BookFactory(title="At home"))
    stranger = UserBookFactory(book=BookFactory(title="Not mine"))
    services.loan_lend(user=stranger.user, book_key=stranger.book_id, person="Zed")

    page = _text(user_client.get(reverse("catalog:loans")))

    lent = page[page.index('id="loans-lent"') : page.index('id="borrowed-title"')]
    assert re.findall(r"#loans\">([^<]+)</a>", lent) == [
        "Late",
        "Soon",
        "Whenever",
    ]
    assert lent.count("Overdue") == 1
    assert "At home" not in page and "Not mine" not in page and "Zed" not in page
    assert "No borrowed book" in page


def test_the_loans_page_is_in_the_navbar_and_needs_a_login(client, user):
    assert client.get(reverse("catalog:loans")).status_code == 302
    client.force_login(user)
    UserBookFactory(user=user)
    home = client.get(reverse("catalog:book-list")).content.decode()
    assert f'href="{reverse("catalog:loans")}"' in home


def test_loan_posts_need_the_csrf_token(user):
    record = UserBookFactory(user=user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    for name in ("catalog:book-lend", "catalog:book-borrow", "catalog:book-return"):
        url = reverse(name, kwargs={"key": record.book_id})
        answer = browser.post(url, {"loan-person": "Ann", "loan-lent_on": "2026-01-01"})
        assert answer.status_code == 403
    assert Loan.objects.for_book(user, record.book_id) == []


def test_get_on_a_loan_action_is_refused(user_client, user):
    record = UserBookFactory(user=user)
    for name in ("catalog:book-lend", "catalog:book-borrow", "catalog:book-return"):
        url = reverse(name, kwargs={"key": record.book_id})
        assert user_client.get(url).status_code == 405


def test_library_cards_say_on_loan_or_borrowed_and_the_filter_lists_those_lent(
    user_client, user
):
    lent = UserBookFactory(user=user, book=BookFactory(title="Dune"))
    borrowed = UserBookFactory(user=user, owned=False, book=BookFactory(title="Emma"))
    UserBookFactory(user=user, owned=False, book=BookFactory(title="Wanted"))
    UserBookFactory(user=user, book=BookFactory(title="At home"))
    back = UserBookFactory(user=user, book=BookFactory(title="Back again"))
    services.loan_lend(user=user, book_key=lent.book_id, person="Ann")
    services.loan_borrow(user=user, book_key=borrowed.book_id, person="Carol")
    services.loan_lend(user=user, book_key=back.book_id, person="Bob")
    services.loan_return(user=user, book_key=back.book_id)

    response = user_client.get(reverse("catalog:book-list"))
    cards = {
        record.shown.display_title: getattr(record, "open_loan", None)
        for record in response.context["page"].items
    }
    assert cards["Dune"].person == "Ann" and cards["Emma"].person == "Carol"
    assert cards["Wanted"] is None and cards["Back again"] is None
    page = _text(response)
    assert page.count(">On loan</span>") == 1 and page.count(">Borrowed</span>") == 1
    assert page.count(">Wishlist</span>") == 1
    assert 'href="/books/?loan=out"' in page

    filtered = user_client.get(reverse("catalog:book-list"), {"loan": "out"})
    titles = [r.shown.display_title for r in filtered.context["page"].items]
    assert titles == ["Dune"]
    assert "Showing the copies on loan" in _text(filtered)

    refreshed = user_client.get(
        reverse("catalog:book-cards"), {"keys": f"{lent.book_id},{back.book_id}"}
    )
    assert _text(refreshed).count(">On loan</span>") == 1


def test_the_on_loan_filter_with_nothing_lent_says_no_books_match(user_client, user):
    UserBookFactory(user=user)
    page = _text(user_client.get(reverse("catalog:book-list"), {"loan": "out"}))
    assert "No books match." in page


def test_the_list_view_says_on_loan_borrowed_and_wishlist_too(user_client, user):
    lent = UserBookFactory(user=user, book=BookFactory(title="Dune"))
    borrowed = UserBookFactory(user=user, owned=False, book=BookFactory(title="Emma"))
    UserBookFactory(user=user, owned=False, book=BookFactory(title="Wanted"))
    UserBookFactory(user=user, book=BookFactory(title="At home"))
    services.loan_lend(user=user, book_key=lent.book_id, person="Ann")
    services.loan_borrow(user=user, book_key=borrowed.book_id, person="Carol")
    user_client.post(
        reverse("catalog:library-view"),
        {"view": "list", "next": reverse("catalog:book-list")},
    )

    page = _text(user_client.get(reverse("catalog:book-list")))

    assert "<table" in page
    for title, badge in (
        ("Dune", "On loan"),
        ("Emma", "Borrowed"),
        ("Wanted", "Wishlist"),
    ):
        row = re.search(
            rf"<tr[^>]*>(?:(?!</tr>).)*{title}(?:(?!</tr>).)*</tr>", page, re.S
        )
        assert row and f">{badge}</span>" in row.group(0), title
    home = re.search(r"<tr[^>]*>(?:(?!</tr>).)*At home(?:(?!</tr>).)*</tr>", page, re.S)
    assert home and "badge text-bg-light" not in home.group(0)


def test_a_refused_loan_lands_on_the_loans_section_with_the_message(user_client, user):
    record = UserBookFactory(user=user)
    page = _text(_lend(user_client, record.book_id, person="Bob", email="bob@x"))
    action = re.search(r'action="([^"]*)"\s+id="loan-lend-form"', page).group(1)
    assert action.endswith("#loans")
    landed = page[page.index('id="loans"') :]
    assert "Enter a valid email address." in landed
    assert 'value="Bob"' in landed


def test_an_overdue_loan_says_so_on_its_card_and_in_the_list_view(user_client, user):
    late = UserBookFactory(user=user, book=BookFactory(title="Dune"))
    due = UserBookFactory(user=user, book=BookFactory(title="Emma"))
    today = timezone.localdate()
    services.loan_lend(
        user=user,
        book_key=late.book_id,
        person="Ann",
        lent_on=today - timedelta(days=30),
        due_on=today - timedelta(days=1),
    )
    services.loan_lend(user=user, book_key=due.book_id, person="Bob", due_on=today)
    library = reverse("catalog:book-list")
    cards = _text(user_client.get(library))
    assert cards.count(">On loan</span>") == 2
    assert cards.count(">Overdue</span>") == 1
    assert cards.index(">Overdue</span>") > cards.index(">Dune<")
    user_client.post(reverse("catalog:library-view"), {"view": "list", "next": library})
    rows = _text(user_client.get(library))
    assert rows.count(">Overdue</span>") == 1
