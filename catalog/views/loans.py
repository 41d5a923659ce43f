"""Loans: lending a copy, a borrowed book, returning, and the loans page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from catalog import records, services
from catalog.backends.base import Page
from catalog.forms import UserBookForm
from catalog.loan_forms import BorrowForm, LendForm, ReturnForm
from catalog.models import Loan, LoanDirection, UserBook
from catalog.views.readings import book_readings_context

# The loans page lists this many loans each way at most: a query each, then
# their records and books in one batch (DynamoDB reads 100 keys a call).
PAGE_LIMIT = 25


def _record_or_404(user, key: str) -> UserBook:
    try:
        return UserBook.objects.get_for_user(user, key)
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None


def book_loans_context(user, record: UserBook, **forms) -> dict:
    """What the book page shows of its loans: the open one, the history, a form."""
    history = Loan.objects.for_book(user, record.book_id)
    current = next((loan for loan in history if loan.is_open), None)
    context = {"loan": current, "loan_history": [x for x in history if not x.is_open]}
    if current is not None:
        context["return_form"] = forms.get("return_form") or ReturnForm()
    # A refused form stays, as typed, even when the book is out meanwhile.
    if forms.get("lend_form") or (current is None and record.owned):
        context["lend_form"] = forms.get("lend_form") or LendForm()
    elif forms.get("borrow_form") or (current is None and not record.owned):
        context["borrow_form"] = forms.get("borrow_form") or BorrowForm()
    return context


def _detail_again(request, record: UserBook, **forms):
    """The book page again, the reader's loan form as they typed it."""
    context = {
        "record": record,
        "book": record.shown,
        "form": UserBookForm.for_record(record),
        "changed_elsewhere": records.elsewhere_message(record, []),
        **book_loans_context(request.user, record, **forms),
        **book_readings_context(record),
    }
    return render(request, "catalog/book_detail.html", context, status=400)


def _opened(request, record: UserBook, form, service, kind: str):
    if not form.is_valid():
        return _detail_again(request, record, **{kind: form})
    data = form.cleaned_data
    try:
        loan = service(user=request.user, book_key=record.book_id, **data)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _detail_again(request, record, **{kind: form})
    except UserBook.DoesNotExist:
        raise Http404("No such book in your library.") from None
    title = record.shown.display_title
    if loan.direction == LoanDirection.LENT:
        messages.success(request, f"“{title}” is lent to {loan.person}.")
    else:
        messages.success(request, f"“{title}” is borrowed from {loan.person}.")
    return redirect(record)


@login_required
@require_POST
def book_lend(request, key: str):
    """Lend the reader's copy of a book."""
    record = _record_or_404(request.user, key)
    return _opened(
        request, record, LendForm(request.POST), services.loan_lend, "lend_form"
    )


@login_required
@require_POST
def book_borrow(request, key: str):
    """Record a book the reader borrowed from someone."""
    record = _record_or_404(request.user, key)
    return _opened(
        request, record, BorrowForm(request.POST), services.loan_borrow, "borrow_form"
    )


@login_required
@require_POST
def book_return(request, key: str):
    """Mark the book's open loan returned, on the day given."""
    record = _record_or_404(request.user, key)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _detail_again(request, record, return_form=form)
    try:
        loan = services.loan_return(
            user=request.user,
            book_key=key,
            returned_on=form.cleaned_data["returned_on"],
        )
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return _detail_again(request, record, return_form=form)
    except Loan.DoesNotExist:
        messages.info(request, "This book is not on loan: nothing to return.")
        return redirect(record)
    messages.success(
        request, f"“{record.shown.display_title}” is back from {loan.person}."
    )
    return redirect(record)


@login_required
@require_safe
def loans_page(request):
    """Copies lent out, overdue first, and books borrowed."""
    user = request.user
    lent = Loan.objects.open_by_due(user, LoanDirection.LENT, PAGE_LIMIT)
    borrowed = Loan.objects.open_by_due(user, LoanDirection.BORROWED, PAGE_LIMIT)
    keys = [loan.book_key for loan in (*lent, *borrowed)]
    found = UserBook.objects.for_keys(user, keys)

    def rows(loans):
        return [
            {"loan": loan, "record": found[loan.book_key]}
            for loan in loans
            if loan.book_key in found
        ]

    context = {
        "lent": rows(lent),
        "borrowed": rows(borrowed),
        "limit": PAGE_LIMIT,
    }
    return render(request, "catalog/loans.html", context)


def mark_open_loans(user, shown: list[UserBook]) -> None:
    """Set ``open_loan`` on each record shown (a badge on its card): one read."""
    loans = Loan.objects.open_for_keys(user, [r.book_id for r in shown])
    for record in shown:
        record.open_loan = loans.get(record.book_id)


def on_loan_page(user, limit: int) -> Page:
    """The library's "On loan" filter: copies lent out, soonest due first.

    A query of the open loans, then their records in one batch: the first
    ``limit``, with no further pages (the loans page has them all).
    """
    lent = Loan.objects.open_by_due(user, LoanDirection.LENT, limit)
    found = UserBook.objects.for_keys(user, [loan.book_key for loan in lent])
    items = []
    for loan in lent:
        if loan.book_key in found:
            found[loan.book_key].open_loan = loan
            items.append(found[loan.book_key])
    return Page(items=items)
