"""The daily loan reminders, in both modes: once a day per loan, run twice or not."""

from datetime import date, timedelta

import pytest
from django.core import mail

from catalog import services
from catalog.models import Loan
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = pytest.mark.usefixtures("both_modes")
TODAY = date(2026, 6, 10)


def _lend(user, title, due_in, **fields):
    record = UserBookFactory(user=user, book=BookFactory(title=title))
    fields.setdefault("person", f"Friend of {title}")
    return services.loan_lend(
        user=user,
        book_key=record.book_id,
        lent_on=TODAY - timedelta(days=30),
        due_on=None if due_in is None else TODAY + timedelta(days=due_in),
        **fields,
    )


def test_each_reader_gets_one_digest_of_overdue_and_soon_due_loans(settings):
    settings.LOAN_REMINDER_DAYS_AHEAD = 2
    ann = UserFactory(email="ann@example.com")
    bob = UserFactory(email="bob@example.com")
    _lend(ann, "Dune", -3)
    _lend(ann, "Emma", 0)
    _lend(ann, "Ulysses", 2)
    _lend(ann, "Later", 3)
    _lend(ann, "Undated", None)
    _lend(bob, "Beloved", -1)
    returned = _lend(bob, "Back", -9)
    services.loan_return(
        user=bob, book_key=returned.book_key, returned_on=TODAY - timedelta(days=1)
    )

    result = services.loans_send_reminders(today=TODAY)

    assert result.as_dict() == {"loans": 4, "readers": 2, "borrowers": 0}
    by_reader = {m.to[0]: m for m in mail.outbox}
    assert set(by_reader) == {"ann@example.com", "bob@example.com"}
    body = by_reader["ann@example.com"].body
    assert "Overdue:\n- “Dune”, lent to Friend of Dune: overdue by 3 days" in body
    assert "Due soon:\n- “Emma”, lent to Friend of Emma: due today" in body
    assert "- “Ulysses”, lent to Friend of Ulysses: due 12 Jun 2026" in body
    assert "Later" not in body and "Undated" not in body
    assert by_reader["ann@example.com"].subject == "Book Library: 3 loans to see to"
    assert "Back" not in by_reader["bob@example.com"].body


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_reminds_again():
    ann = UserFactory(email="ann@example.com")
    _lend(ann, "Dune", -3, email="sam@example.com", remind_person=True)
    first = services.loans_send_reminders(today=TODAY)
    assert first.as_dict() == {"loans": 1, "readers": 1, "borrowers": 1}
    assert len(mail.outbox) == 2

    again = services.loans_send_reminders(today=TODAY)
    assert again.as_dict() == {"loans": 0, "readers": 0, "borrowers": 0}
    assert len(mail.outbox) == 2

    services.loans_send_reminders(today=TODAY + timedelta(days=1))
    assert len(mail.outbox) == 4


def test_two_runs_racing_the_same_day_send_each_loan_once(monkeypatch):
    """Both runs read the loan before either claims it: one claim wins."""
    ann = UserFactory(email="ann@example.com")
    _lend(ann, "Dune", -1)
    stale = list(Loan.objects.due_by(TODAY))
    real_due_by = Loan.objects.due_by
    services.loans_send_reminders(today=TODAY)
    monkeypatch.setattr(Loan.objects, "due_by", lambda day: iter(stale))
    assert services.loans_send_reminders(today=TODAY).loans == 0
    monkeypatch.setattr(Loan.objects, "due_by", real_due_by)
    assert len(mail.outbox) == 1


def test_the_borrower_is_mailed_only_when_the_reader_chose_so():
    ann = UserFactory(email="ann@example.com")
    _lend(ann, "Dune", -2, email="sam@example.com", remind_person=True)
    _lend(ann, "Emma", -2, email="tess@example.com")
    services.loans_send_reminders(today=TODAY)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["ann@example.com", "sam@example.com"]
    (to_sam,) = [m for m in mail.outbox if m.to == ["sam@example.com"]]
    assert "lent you “Dune”" in to_sam.body
    assert "It was due back on 8 Jun 2026." in to_sam.body
    assert to_sam.reply_to == ["ann@example.com"]


def test_a_returned_loan_is_not_reminded_of():
    ann = UserFactory(email="ann@example.com")
    loan = _lend(ann, "Dune", -2, email="sam@example.com", remind_person=True)
    services.loan_return(user=ann, book_key=loan.book_key, returned_on=TODAY)
    assert services.loans_send_reminders(today=TODAY).loans == 0
    assert mail.outbox == []


def test_a_borrowed_book_reminds_the_reader_to_give_it_back():
    ann = UserFactory(email="ann@example.com")
    record = UserBookFactory(user=ann, owned=False, book=BookFactory(title="Emma"))
    services.loan_borrow(
        user=ann,
        book_key=record.book_id,
        person="Carol",
        lent_on=TODAY - timedelta(days=20),
        due_on=TODAY - timedelta(days=1),
    )
    result = services.loans_send_reminders(today=TODAY)
    assert result.as_dict() == {"loans": 1, "readers": 1, "borrowers": 0}
    assert "- “Emma”, borrowed from Carol: overdue by 1 day" in mail.outbox[0].body


def test_today_is_the_sites_day(settings, monkeypatch):
    from datetime import UTC, datetime

    from django.utils import timezone

    ann = UserFactory(email="ann@example.com")
    _lend(ann, "Dune", 0)  # due 10 June
    # 10 June, 20:00 UTC: already 11 June at UTC+14, so the book is overdue.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 6, 10, 20, tzinfo=UTC))
    settings.TIME_ZONE = "Pacific/Kiritimati"
    services.loans_send_reminders()
    assert "Dune”, lent to Friend of Dune: overdue by 1 day" in mail.outbox[0].body
    (loan,) = Loan.objects.due_by(TODAY)
    assert loan.reminded_on == date(2026, 6, 11)
