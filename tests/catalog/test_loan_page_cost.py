"""The loans page costs the same at 10 loans as at 200, on both backends."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Loan, LoanDirection
from tests.factories import UserBookFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = date(2026, 1, 1)


def _lend_many(user, size: int) -> None:
    for n in range(size):
        direction = LoanDirection.LENT if n % 2 else LoanDirection.BORROWED
        record = UserBookFactory(user=user, owned=direction == LoanDirection.LENT)
        Loan.objects.add(
            user,
            Loan(
                book_key=record.book_id,
                direction=direction,
                person=f"P{n}",
                lent_on=DAY,
                due_on=DAY + timedelta(days=n % 40),
            ),
        )


def _page(client):
    response = client.get(reverse("catalog:loans"))
    assert response.status_code == 200
    return response


def test_the_loans_page_costs_the_same_sql_queries_at_10_and_200(client):
    costs = []
    for size in (10, 200):
        user = UserFactory()
        _lend_many(user, size)
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = _page(client)
        costs.append(len(queries))
        shown = len(response.context["lent"]) + len(response.context["borrowed"])
        assert shown == min(size, 50)
    # Session, user, a query each way, their records with their books.
    assert costs == [5, 5]


def test_the_loans_page_costs_the_same_dynamodb_calls_at_10_and_200(
    client, dynamo_mode
):
    names: list[str] = []

    def record(model, **kwargs):
        assert model.name != "Scan", "A request path must never Scan a table."
        names.append(model.name)

    dynamo_mode.meta.events.register("before-call.dynamodb", record)
    seen = []
    for size in (10, 200):
        user = UserFactory()
        _lend_many(user, size)
        client.force_login(user)
        names.clear()
        response = _page(client)
        seen.append(list(names))
        assert len(response.context["lent"]) == min(size // 2, 25)
        names.clear()
        filtered = client.get(reverse("catalog:book-list"), {"loan": "out"})
        assert len(filtered.context["page"].items) == min(size // 2, 24)
        seen.append(list(names))
    # Session, user, a Query each way, one batch of their records and books;
    # the library's "On loan" filter: a Query, one batch.
    expected = ["GetItem", "GetItem", "Query", "Query", "BatchGetItem"]
    on_loan = ["GetItem", "GetItem", "Query", "BatchGetItem"]
    assert seen == [expected, on_loan, expected, on_loan]
