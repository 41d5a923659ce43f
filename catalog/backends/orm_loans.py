"""Loans in the ORM backend: one ``Loan`` row each.

A partial unique constraint (one open loan per user and book) makes the
one-open-loan rule hold under concurrent requests.
"""

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from catalog.backends.base import LoanAlreadyOpen
from catalog.models import Loan


class OrmLoans:
    """The loan half of the ORM backend."""

    def add_loan(self, user: Any, loan: Loan) -> Loan:
        loan.user = user
        try:
            with transaction.atomic():
                loan.save(force_insert=True)
        except IntegrityError:
            existing = self.open_loan(user, loan.book_key)
            if existing is None:
                raise
            raise LoanAlreadyOpen(existing) from None
        return loan

    def open_loan(self, user: Any, key: str) -> Loan | None:
        return Loan._base_manager.filter(
            user=user, book_key=key, returned_on__isnull=True
        ).first()

    def open_loans_for_keys(self, user: Any, keys: list[str]) -> dict[str, Loan]:
        if not keys:
            return {}
        rows = Loan._base_manager.filter(
            user=user, book_key__in=keys, returned_on__isnull=True
        )
        return {loan.book_key: loan for loan in rows}

    def loans_for_book(self, user: Any, key: str) -> list[Loan]:
        return list(
            Loan._base_manager.filter(user=user, book_key=key).order_by(
                "-created_at", "-id"
            )
        )

    def loans_for_user(self, user: Any) -> Iterator[Loan]:
        rows = Loan._base_manager.filter(user=user).order_by(
            "book_key", "created_at", "id"
        )
        yield from rows.iterator(chunk_size=500)

    def open_loans(self, user: Any, direction: str, limit: int) -> list[Loan]:
        rows = Loan._base_manager.filter(
            user=user, direction=direction, returned_on__isnull=True
        ).order_by(F("due_on").asc(nulls_last=True), "lent_on", "book_key")
        return list(rows[:limit])

    def return_loan(self, user: Any, key: str, returned_on: date) -> Loan:
        with transaction.atomic():
            loan = (
                Loan._base_manager.select_for_update()
                .filter(user=user, book_key=key, returned_on__isnull=True)
                .first()
            )
            if loan is None:
                raise Loan.DoesNotExist("This book is not on loan.")
            loan.returned_on = returned_on
            loan.save(update_fields=["returned_on"])
        return loan

    def all_loans(self) -> list[Loan]:
        return list(Loan._base_manager.order_by("-created_at"))

    def remove_loans_for_user(self, user: Any) -> None:
        """Delete the user's loans (their library is going)."""
        Loan._base_manager.filter(user=user).delete()

    def loans_due(self, due_by: date) -> Iterator[Loan]:
        rows = Loan._base_manager.filter(
            returned_on__isnull=True, due_on__lte=due_by
        ).order_by("due_on", "user_id", "book_key")
        yield from rows.iterator()

    def claim_reminder(self, loan: Loan, day: date) -> bool:
        claimed = (
            Loan._base_manager.filter(pk=loan.pk, returned_on__isnull=True)
            .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=day))
            .update(reminded_on=day)
        )
        if claimed:
            loan.reminded_on = day
        return bool(claimed)

    def update_loan(self, user: Any, loan: Loan, names: list[str]) -> Loan:
        changes = {name: getattr(loan, name) for name in names}
        if not Loan._base_manager.filter(pk=loan.pk, user=user).update(**changes):
            raise Loan.DoesNotExist("This loan is gone.")
        return Loan._base_manager.get(pk=loan.pk)
