"""Loans: copies the reader lends out and books they borrow.

A record has at most one open loan, whichever way; the backend refuses a
second one atomically and the refusal names the person who has the book.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import formats, timezone

from catalog.backends.base import LOAN_EDITABLE, LoanAlreadyOpen
from catalog.models import Loan, LoanDirection, UserBook

PERSON_MAX = 200
NOTE_MAX = 2_000


def _day(value: date) -> str:
    return formats.date_format(value, "j M Y")


def already_open_message(existing: Loan) -> str:
    """Say who has the book and since when, and what to do first."""
    if existing.direction == LoanDirection.BORROWED:
        return (
            f"This book is already recorded as borrowed from {existing.person} "
            f"(since {_day(existing.lent_on)}). Mark it returned first."
        )
    return (
        f"This copy is already lent to {existing.person} "
        f"(since {_day(existing.lent_on)}). Mark it returned first."
    )


def _clean(
    *,
    person: str,
    email: str,
    remind_person: bool,
    lent_on: date | None,
    due_on: date | None,
    note: str,
) -> dict:
    errors: dict[str, str] = {}
    person = (person or "").strip()
    email = (email or "").strip()
    note = (note or "").strip()
    lent_on = lent_on or timezone.localdate()
    if not person:
        errors["person"] = "Say who has the book: a name is enough."
    elif len(person) > PERSON_MAX:
        errors["person"] = f"Shorten the name to {PERSON_MAX} characters."
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter an email address such as ann@example.com."
    elif remind_person:
        errors["email"] = "Give an email address to send the reminders to."
    if lent_on > timezone.localdate():
        errors["lent_on"] = "This day cannot be ahead: give today or earlier."
    elif due_on is not None and due_on < lent_on:
        errors["due_on"] = "The due date comes on or after the day lent."
    if len(note) > NOTE_MAX:
        errors["note"] = f"Shorten the note to {NOTE_MAX:,} characters."
    if errors:
        raise ValidationError(errors)
    return {
        "person": person,
        "email": email,
        "remind_person": bool(remind_person and email),
        "lent_on": lent_on,
        "due_on": due_on,
        "note": note,
    }


def _open(user, record: UserBook, direction: str, fields: dict) -> Loan:
    loan = Loan(user=user, book_key=record.book_id, direction=direction, **fields)
    try:
        return Loan.objects.add(user, loan)
    except LoanAlreadyOpen as exc:
        raise ValidationError(already_open_message(exc.existing)) from None


def loan_lend(
    *,
    user,
    book_key: str,
    person: str,
    email: str = "",
    remind_person: bool = False,
    lent_on: date | None = None,
    due_on: date | None = None,
    note: str = "",
) -> Loan:
    """Lend the reader's own copy of a book; refuse a copy they do not own.

    Raises ``UserBook.DoesNotExist`` when the book is not in their library.
    """
    record = UserBook.objects.get_for_user(user, book_key)
    fields = _clean(
        person=person,
        email=email,
        remind_person=remind_person,
        lent_on=lent_on,
        due_on=due_on,
        note=note,
    )
    if not record.owned:
        raise ValidationError(
            "Only a copy you own can be lent: this book is not marked as owned."
        )
    return _open(user, record, LoanDirection.LENT, fields)


def loan_borrow(
    *,
    user,
    book_key: str,
    person: str,
    lent_on: date | None = None,
    due_on: date | None = None,
    note: str = "",
) -> Loan:
    """Record that the reader borrowed this book from someone.

    Raises ``UserBook.DoesNotExist`` when the book is not in their library.
    """
    record = UserBook.objects.get_for_user(user, book_key)
    fields = _clean(
        person=person,
        email="",
        remind_person=False,
        lent_on=lent_on,
        due_on=due_on,
        note=note,
    )
    if record.owned:
        raise ValidationError(
            "This copy is marked as owned: a borrowed book is one you do not "
            "own. Untick Owned on the book's record first."
        )
    return _open(user, record, LoanDirection.BORROWED, fields)


def loan_return(*, user, book_key: str, returned_on: date | None = None) -> Loan:
    """Mark the open loan of a book returned (today unless a day is given).

    Raises ``Loan.DoesNotExist`` when the book is not on loan.
    """
    returned_on = returned_on or timezone.localdate()
    current = Loan.objects.open_for(user, book_key)
    if current is None:
        raise Loan.DoesNotExist("This book is not on loan.")
    if returned_on < current.lent_on:
        raise ValidationError(
            {"returned_on": "The day returned comes on or after the day lent."}
        )
    if returned_on > timezone.localdate():
        raise ValidationError({"returned_on": "The day returned cannot be ahead."})
    return Loan.objects.mark_returned(user, book_key, returned_on)


def loan_update(*, user, loan: Loan, names: list[str]) -> Loan:
    """Write the changed fields of a loan (``names``), checked as when it was made.

    For the admin. Raises ``Loan.DoesNotExist`` when the loan is gone.
    """
    fields = _clean(
        person=loan.person,
        email=loan.email,
        remind_person=loan.remind_person,
        lent_on=loan.lent_on,
        due_on=loan.due_on,
        note=loan.note,
    )
    unknown = set(names) - LOAN_EDITABLE
    if unknown:
        raise ValidationError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(loan, name, value)
    written = [*names, "remind_person"] if "email" in names else list(names)
    return Loan.objects.update_for_user(user, loan, sorted(set(written)))
