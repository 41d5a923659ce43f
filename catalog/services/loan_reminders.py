"""The daily reminders of loans: overdue and soon due.

Each reader gets one digest of their loans overdue or due within
``LOAN_REMINDER_DAYS_AHEAD`` days; a borrower gets their own reminder when
the reader gave their email and asked for it. A loan is reminded of at most
once a day: before its mail goes, the job claims the day on the loan with one
conditional write (``claim_reminder``), so a second run the same day (jobs are
at-least-once) finds it claimed and sends nothing. The price of that order is
at-most-once: should the job stop between the claim and the mail, that day's
reminder is lost, and the next day's run reminds again (the loan is still due).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import formats, timezone

from accounts.models import User
from catalog.models import Loan, LoanDirection, UserBook


@dataclass
class ReminderResult:
    """What a run sent: loans claimed, digests to readers, mails to borrowers."""

    loans: int = 0
    readers: int = 0
    borrowers: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "loans": self.loans,
            "readers": self.readers,
            "borrowers": self.borrowers,
        }


def _day(value: date) -> str:
    return formats.date_format(value, "j M Y")


def _line(loan: Loan, title: str, today: date) -> str:
    way = "lent to" if loan.direction == LoanDirection.LENT else "borrowed from"
    late = (today - loan.due_on).days
    when = (
        f"overdue by {late} day{'s' if late != 1 else ''}"
        if late > 0
        else "due today"
        if late == 0
        else f"due {_day(loan.due_on)}"
    )
    return f"- “{title}”, {way} {loan.person}: {when}"


def _digest(user, loans: list[Loan], titles: dict[str, str], today: date):
    overdue = [loan for loan in loans if loan.due_on < today]
    soon = [loan for loan in loans if loan.due_on >= today]
    parts = [f"Hello {user.username},", ""]
    if overdue:
        parts += ["Overdue:", *(_line(x, titles[x.book_key], today) for x in overdue)]
        parts.append("")
    if soon:
        parts += ["Due soon:", *(_line(x, titles[x.book_key], today) for x in soon)]
        parts.append("")
    parts.append("Mark a book returned on its page once it is back.")
    count = len(loans)
    subject = f"Book Library: {count} loan{'s' if count != 1 else ''} to see to"
    return EmailMessage(subject, "\n".join(parts), to=[user.email])


def _to_borrower(user, loan: Loan, title: str, today: date):
    due = (
        "It was due back on" if loan.due_on < today else "It is due back on"
    ) + f" {_day(loan.due_on)}."
    body = "\n".join(
        [
            f"Hello {loan.person},",
            "",
            f"{user.username} lent you “{title}” on {_day(loan.lent_on)}. {due}",
            "",
            "This reminder comes from their Book Library, at their request.",
        ]
    )
    return EmailMessage(
        f"A reminder: “{title}”",
        body,
        to=[loan.email],
        reply_to=[user.email] if user.email else None,
    )


def loans_send_reminders(*, today: date | None = None) -> ReminderResult:
    """Mail the reminders of every loan overdue or soon due; once a day each."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.LOAN_REMINDER_DAYS_AHEAD)
    by_user: dict[int, list[Loan]] = {}
    for loan in Loan.objects.due_by(horizon):
        if loan.reminded_on is None or loan.reminded_on < today:
            by_user.setdefault(loan.user_id, []).append(loan)
    result = ReminderResult()
    for user_id, loans in by_user.items():
        try:
            user = User.objects.get_by_id(user_id)
        except User.DoesNotExist:
            continue
        # One reader at a time: claim their loans, then send their mail.
        claimed = [loan for loan in loans if Loan.objects.claim_reminder(loan, today)]
        if not claimed:
            continue
        result.loans += len(claimed)
        records = UserBook.objects.for_keys(user, [x.book_key for x in claimed])
        titles = {
            x.book_key: records[x.book_key].shown.display_title
            if x.book_key in records
            else x.book_key
            for x in claimed
        }
        messages = []
        if user.email:
            messages.append(_digest(user, claimed, titles, today))
            result.readers += 1
        for loan in claimed:
            if (
                loan.direction == LoanDirection.LENT
                and loan.remind_person
                and loan.email
            ):
                messages.append(_to_borrower(user, loan, titles[loan.book_key], today))
                result.borrowers += 1
        for message in messages:
            message.send()
    return result
