"""What an export costs: a few reads per page of records, whatever the library.

On DynamoDB: one Query of the reader's loans, then per page of records one
Query and one BatchGetItem of their books (never a Scan). In the ORM: one
query for the loans, then one per page.
"""

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import exporting, services
from tests.dynamo_library import fill_dynamo_library
from tests.factories import UserBookFactory, UserFactory

# The session and the logged-in user's item.
REQUEST_OVERHEAD = ["GetItem", "GetItem"]
PAGE_SIZE = 4
DOWNLOADS = ("catalog:export-json", "catalog:export-csv", "catalog:export-zip")


@pytest.fixture
def calls(dynamo_mode):
    names: list[str] = []

    def record(model, **kwargs):
        assert model.name != "Scan", "An export must never Scan a table."
        names.append(model.name)

    dynamo_mode.meta.events.register("before-call.dynamodb", record)
    return names


def _download(client, name: str) -> bytes:
    response = client.get(reverse(name))
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _expected(books: int) -> list[str]:
    pages = max(1, math.ceil(books / PAGE_SIZE))
    return [*REQUEST_OVERHEAD, "Query", *(["Query", "BatchGetItem"] * pages)]


@pytest.mark.django_db
@pytest.mark.parametrize("name", DOWNLOADS)
def test_dynamodb_export_costs_two_calls_a_page_and_one_for_loans(
    client, calls, monkeypatch, name
):
    monkeypatch.setattr(exporting, "PAGE_SIZE", PAGE_SIZE)
    for count in (3, 10, 41):
        user = UserFactory()
        books = fill_dynamo_library(user, count)
        for book in books[:3]:
            services.loan_lend(user=user, book_key=book.key, person="Ann")
        client.force_login(user)
        calls.clear()
        body = _download(client, name)
        assert calls == _expected(count), count
        assert all(book.key.encode() in body for book in books) or "zip" in name


@pytest.mark.django_db
@pytest.mark.parametrize("name", DOWNLOADS)
def test_orm_export_costs_one_query_a_page_and_one_for_loans(client, monkeypatch, name):
    monkeypatch.setattr(exporting, "PAGE_SIZE", PAGE_SIZE)
    seen = []
    for count in (3, 10, 41):
        user = UserFactory()
        records = [UserBookFactory(user=user) for _ in range(count)]
        for record in records[:3]:
            services.loan_lend(user=user, book_key=record.book_id, person="Ann")
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            _download(client, name)
        seen.append(len(queries) - max(1, math.ceil(count / PAGE_SIZE)))
    # The rest (session, user, loans) is the same whatever the library's size.
    assert seen[0] == seen[1] == seen[2] <= 4, seen


@pytest.mark.django_db
def test_dynamodb_export_of_250_books_reads_three_pages_of_100(client, calls):
    user = UserFactory()
    books = fill_dynamo_library(user, 250)
    client.force_login(user)
    calls.clear()
    body = _download(client, "catalog:export-json")
    assert exporting.PAGE_SIZE == 100
    assert calls == [*REQUEST_OVERHEAD, "Query", *(["Query", "BatchGetItem"] * 3)]
    assert sum(book.key.encode() in body for book in books) == 250
