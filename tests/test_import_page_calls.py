"""The import pages cost the same whatever the number of imports; a chunk's calls."""

import io
from collections import Counter

import pytest
from django.urls import reverse

from catalog import services
from catalog.services import imports as import_service
from tests.factories import UserFactory
from tests.test_dynamodb_page_calls import REQUEST_OVERHEAD

pytestmark = pytest.mark.django_db


def _isbn(n: int) -> str:
    body = f"978100{n:06d}"
    total = sum(int(d) * (1 + 2 * (i % 2)) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _start(user, rows: int, bad: int = 0):
    lines = [_isbn(n) for n in range(rows)] + ["9780441172718"] * bad
    data = io.BytesIO(("\n".join(lines) + "\n").encode())
    return services.import_start(user=user, uploaded_file=data, file_name="isbns.txt")


@pytest.fixture
def calls(dynamo_mode):
    names: list[str] = []

    def record(model, **kwargs):
        assert model.name != "Scan", "A request path must never Scan a table."
        names.append(model.name)

    dynamo_mode.meta.events.register("before-call.dynamodb", record)
    return names


def _pages(user, job) -> list[str]:
    return [
        reverse("catalog:imports"),
        reverse("catalog:import", args=[job.pk]),
        reverse("catalog:import-status", args=[job.pk]),
    ]


def test_on_dynamodb_the_import_pages_cost_the_same_for_1_and_30_imports(client, calls):
    seen = {}
    for count in (1, 30):
        user = UserFactory()
        jobs = [_start(user, 3, bad=1) for _ in range(count)]
        services.import_run(user_id=user.pk, import_id=jobs[-1].pk)
        client.force_login(user)
        made = []
        for url in _pages(user, jobs[-1]):
            calls.clear()
            assert client.get(url).status_code == 200
            made.append(list(calls))
        seen[count] = made
    assert seen[1] == seen[30]
    listing, detail, status = seen[30]
    assert listing == [*REQUEST_OVERHEAD, "GetItem", "BatchGetItem"]
    assert detail == status == [*REQUEST_OVERHEAD, "GetItem"]


def test_on_the_orm_the_import_pages_cost_the_same_for_1_and_30_imports(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen = {}
    for count in (1, 30):
        user = UserFactory()
        jobs = [_start(user, 3, bad=1) for _ in range(count)]
        services.import_run(user_id=user.pk, import_id=jobs[-1].pk)
        client.force_login(user)
        made = []
        for url in _pages(user, jobs[-1]):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            made.append(len(queries))
        seen[count] = made
    assert seen[1] == seen[30]
    # The session, the reader, and the imports (or the one import).
    assert seen[30] == [3, 3, 3]


def test_on_dynamodb_a_chunk_of_new_books_costs_a_bounded_number_of_calls(
    calls, monkeypatch
):
    monkeypatch.setattr(import_service, "_enqueue", lambda job, **kw: None)
    user = UserFactory()
    rows = import_service.CHUNK_ROWS
    job = _start(user, rows)
    calls.clear()
    done = services.import_run(user_id=user.pk, import_id=job.pk)
    assert (done.state, done.imported) == ("done", rows)
    made = Counter(calls)
    print(f"\nOne chunk of {rows} new books: {dict(made)}, {len(calls)} calls")
    # Reads in batches of 100 keys: the chunk's records (with their books),
    # the chunk's books. New editions are stored asking for their details:
    # no metadata write per book.
    assert made["BatchGetItem"] <= 6
    # The chunk's books and records in transactions of 49 (each with its
    # counters), the import's creation, claim, progress and final writes.
    transactions = -(-rows // 49)
    assert made["TransactWriteItems"] <= transactions + 2
    assert made["PutItem"] + made["UpdateItem"] <= 3
    assert "Query" not in made
    assert len(calls) <= transactions + 12
