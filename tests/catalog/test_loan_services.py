"""Lending, borrowing and returning, through the services, in both modes."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import services
from catalog.models import Loan, LoanDirection, UserBook
from tests.factories import UserBookFactory, UserFactory

pytestmark = pytest.mark.usefixtures("both_modes")


@pytest.fixture
def reader():
    return UserFactory()


def test_lending_an_owned_copy_stores_the_loan(reader):
    record = UserBookFactory(user=reader)
    due = timezone.localdate() + timedelta(days=21)
    loan = services.loan_lend(
        user=reader,
        book_key=record.book_id,
        person="  Ann Smith ",
        email="ann@example.com",
        remind_person=True,
        due_on=due,
        note="First edition",
    )
    stored = Loan.objects.open_for(reader, record.book_id)
    assert stored.pk == loan.pk
    assert (stored.person, stored.email, stored.remind_person) == (
        "Ann Smith",
        "ann@example.com",
        True,
    )
    assert stored.lent_on == timezone.localdate()
    assert stored.due_on == due and stored.direction == LoanDirection.LENT


def test_a_second_loan_is_refused_naming_the_borrower(reader):
    record = UserBookFactory(user=reader)
    services.loan_lend(
        user=reader, book_key=record.book_id, person="Ann", lent_on=date(2026, 5, 3)
    )
    with pytest.raises(ValidationError) as refused:
        services.loan_lend(user=reader, book_key=record.book_id, person="Bob")
    assert refused.value.messages == [
        "This copy is already lent to Ann (since 3 May 2026). Mark it returned first."
    ]
    assert Loan.objects.open_for(reader, record.book_id).person == "Ann"


def test_only_an_owned_copy_can_be_lent(reader):
    record = UserBookFactory(user=reader, owned=False)
    with pytest.raises(ValidationError, match="Only a copy you own"):
        services.loan_lend(user=reader, book_key=record.book_id, person="Ann")
    assert Loan.objects.for_book(reader, record.book_id) == []


def test_what_is_typed_is_checked_field_by_field(reader):
    record = UserBookFactory(user=reader)
    with pytest.raises(ValidationError) as refused:
        services.loan_lend(
            user=reader,
            book_key=record.book_id,
            person=" ",
            email="not an address",
            lent_on=date(2026, 5, 3),
            due_on=date(2026, 5, 1),
            note="x" * 2_001,
        )
    assert set(refused.value.message_dict) == {"person", "email", "due_on", "note"}
    with pytest.raises(ValidationError) as refused:
        services.loan_lend(
            user=reader, book_key=record.book_id, person="Ann", remind_person=True
        )
    assert refused.value.message_dict == {
        "email": ["Give an email address to send the reminders to."]
    }
    assert Loan.objects.for_book(reader, record.book_id) == []


def test_someone_elses_book_is_not_found(reader):
    other = UserBookFactory()
    with pytest.raises(UserBook.DoesNotExist):
        services.loan_lend(user=reader, book_key=other.book_id, person="Ann")
    services.loan_lend(user=other.user, book_key=other.book_id, person="Ann")
    with pytest.raises(Loan.DoesNotExist):
        services.loan_return(user=reader, book_key=other.book_id)
    assert Loan.objects.open_for(other.user, other.book_id).person == "Ann"


def test_returning_keeps_the_history_and_frees_the_copy(reader):
    record = UserBookFactory(user=reader)
    today = timezone.localdate()
    services.loan_lend(
        user=reader,
        book_key=record.book_id,
        person="Ann",
        lent_on=today - timedelta(days=10),
    )
    returned = services.loan_return(
        user=reader, book_key=record.book_id, returned_on=today - timedelta(days=2)
    )
    assert returned.returned_on == today - timedelta(days=2)
    services.loan_lend(user=reader, book_key=record.book_id, person="Bob")
    history = Loan.objects.for_book(reader, record.book_id)
    assert [(x.person, x.is_open) for x in history] == [("Bob", True), ("Ann", False)]


def test_a_return_day_before_the_loan_or_ahead_is_refused(reader):
    record = UserBookFactory(user=reader)
    today = timezone.localdate()
    services.loan_lend(user=reader, book_key=record.book_id, person="Ann")
    for day in (today - timedelta(days=1), today + timedelta(days=1)):
        with pytest.raises(ValidationError) as refused:
            services.loan_return(user=reader, book_key=record.book_id, returned_on=day)
        assert "returned_on" in refused.value.message_dict
    assert Loan.objects.open_for(reader, record.book_id).person == "Ann"


def test_returning_a_book_not_on_loan_is_not_found(reader):
    record = UserBookFactory(user=reader)
    with pytest.raises(Loan.DoesNotExist):
        services.loan_return(user=reader, book_key=record.book_id)


def test_a_borrowed_book_is_one_not_owned_and_stays_apart_from_lent_ones(reader):
    borrowed = UserBookFactory(user=reader, owned=False)
    owned = UserBookFactory(user=reader)
    with pytest.raises(ValidationError, match="marked as owned"):
        services.loan_borrow(user=reader, book_key=owned.book_id, person="Ann")
    services.loan_borrow(
        user=reader,
        book_key=borrowed.book_id,
        person="Carol",
        due_on=timezone.localdate() + timedelta(days=7),
    )
    services.loan_lend(user=reader, book_key=owned.book_id, person="Dan")
    assert [x.person for x in Loan.objects.open_by_due(reader, "borrowed", 10)] == [
        "Carol"
    ]
    assert [x.person for x in Loan.objects.open_by_due(reader, "lent", 10)] == ["Dan"]
    with pytest.raises(ValidationError) as refused:
        services.loan_borrow(user=reader, book_key=borrowed.book_id, person="Eve")
    assert "already recorded as borrowed from Carol" in refused.value.messages[0]
    services.loan_return(user=reader, book_key=borrowed.book_id)
    assert Loan.objects.open_by_due(reader, "borrowed", 10) == []


def test_today_is_the_sites_day_for_the_day_lent_and_for_overdue(
    reader, settings, monkeypatch
):
    from datetime import UTC, datetime

    record = UserBookFactory(user=reader)
    noon_utc = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon_utc)
    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: already 2 March
    loan = services.loan_lend(
        user=reader,
        book_key=record.book_id,
        person="Ann",
        lent_on=date(2026, 2, 20),
        due_on=date(2026, 3, 1),
    )
    assert loan.is_overdue
    services.loan_return(user=reader, book_key=record.book_id)
    assert Loan.objects.for_book(reader, record.book_id)[0].returned_on == date(
        2026, 3, 2
    )
    settings.TIME_ZONE = "Pacific/Pago_Pago"  # UTC-11: still 1 March
    loan = services.loan_lend(
        user=reader, book_key=record.book_id, person="Bob", due_on=date(2026, 3, 1)
    )
    assert loan.lent_on == date(2026, 3, 1)
    assert not loan.is_overdue


def test_a_loan_s_details_are_corrected_checked_as_when_it_was_made(reader):
    record = UserBookFactory(user=reader)
    services.loan_lend(
        user=reader,
        book_key=record.book_id,
        person="Ann",
        email="ann@example.com",
        remind_person=True,
        lent_on=date(2026, 5, 3),
    )
    loan = Loan.objects.open_for(reader, record.book_id)
    loan.due_on = date(2026, 5, 1)
    with pytest.raises(ValidationError) as refused:
        services.loan_update(user=reader, loan=loan, names=["due_on"])
    assert "due_on" in refused.value.message_dict
    loan = Loan.objects.open_for(reader, record.book_id)
    loan.email = ""
    loan.remind_person = True
    with pytest.raises(ValidationError):
        services.loan_update(user=reader, loan=loan, names=["email"])
    loan.remind_person = False
    services.loan_update(user=reader, loan=loan, names=["email", "remind_person"])
    saved = Loan.objects.open_for(reader, record.book_id)
    assert (saved.email, saved.remind_person, saved.due_on) == ("", False, None)
    with pytest.raises(ValidationError, match="cannot be changed"):
        services.loan_update(user=reader, loan=saved, names=["lent_on"])


@pytest.mark.parametrize("direction", ["lend", "borrow"])
def test_a_loan_starting_ahead_is_refused(reader, direction):
    record = UserBookFactory(user=reader, owned=direction == "lend")
    start = getattr(services, f"loan_{direction}")
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        start(user=reader, book_key=record.book_id, person="Ann", lent_on=tomorrow)
    assert refused.value.message_dict == {
        "lent_on": ["This day cannot be ahead: give today or earlier."]
    }
    assert Loan.objects.for_book(reader, record.book_id) == []
    today = timezone.localdate()
    start(user=reader, book_key=record.book_id, person="Ann", lent_on=today)
    assert Loan.objects.open_for(reader, record.book_id).lent_on == today
