"""A row without an ISBN finds the book the reader typed by hand, on both backends."""

from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services
from catalog.models import MANUAL_KEY_PREFIX, ImportJob, UserBook
from catalog.services import imports as import_service
from tests.factories import UserFactory
from tests.imports.helpers import fixture_bytes

pytestmark = pytest.mark.django_db

WIND = {"title": "The Name of the Wind", "authors": ["Patrick Rothfuss"]}


def _import(user, name: str, data: bytes | None = None) -> ImportJob:
    upload = SimpleUploadedFile(name, fixture_bytes(name) if data is None else data)
    job = services.import_start(user=user, uploaded_file=upload, file_name=name)
    return services.import_run(user_id=user.pk, import_id=job.pk)


def _library(user) -> dict[str, UserBook]:
    page = UserBook.objects.page_for_user(user, limit=100)
    return {record.book_id: record for record in page.items}


def _wind_only() -> bytes:
    """The Goodreads sample's row without an ISBN (its title names its series)."""
    header, *rows = fixture_bytes("goodreads_23.csv").decode().splitlines()
    (row,) = [r for r in rows if "Name of the Wind" in r]
    return f"{header}\n{row}\n".encode()


def test_a_book_typed_by_hand_is_already_in_the_library(both_modes, user):
    typed = services.userbook_add_manual(user=user, book_fields=WIND)
    assert typed.book_id.startswith(MANUAL_KEY_PREFIX)
    before = {k: r.version for k, r in _library(user).items()}

    first = _import(user, "goodreads_23.csv", _wind_only())
    assert (first.imported, first.already, first.failed) == (0, 1, 0)
    again = _import(user, "goodreads_23.csv", _wind_only())
    assert (again.imported, again.already, again.failed) == (0, 1, 0)
    after = {k: r.version for k, r in _library(user).items()}
    assert after == before == {typed.book_id: typed.version}
    # Nor is the typed book changed by the file's status or details.
    kept = UserBook.objects.get_for_user(user, typed.book_id)
    assert (kept.status, kept.book.title) == ("want", "The Name of the Wind")


def test_the_whole_file_adds_only_what_is_not_typed_by_hand(both_modes, user):
    spelled = {"title": "the name of the wind!", "authors": ["PATRICK  ROTHFUSS"]}
    typed = services.userbook_add_manual(user=user, book_fields=spelled)
    job = _import(user, "goodreads_23.csv")
    assert (job.imported, job.already, job.failed) == (5, 1, 1)
    manual = [k for k in _library(user) if k.startswith(MANUAL_KEY_PREFIX)]
    assert manual == [typed.book_id]
    again = _import(user, "goodreads_23.csv")
    assert (again.imported, again.already) == (0, 6)
    assert len(_library(user)) == 6


def test_a_corrected_title_is_the_one_matched(both_modes, user):
    typed = services.userbook_add_manual(
        user=user, book_fields={"title": "Wind", "authors": ["P. Rothfuss"]}
    )
    services.userbook_correct(
        user=user,
        book_key=typed.book_id,
        version=typed.version,
        loaded={},
        corrections=WIND,
    )
    job = _import(user, "goodreads_23.csv", _wind_only())
    assert (job.imported, job.already) == (0, 1)
    assert list(_library(user)) == [typed.book_id]


def test_another_readers_book_is_not_theirs(both_modes, user):
    services.userbook_add_manual(user=UserFactory(), book_fields=WIND)
    job = _import(user, "goodreads_23.csv", _wind_only())
    assert (job.imported, job.already) == (1, 0)


def test_on_dynamodb_the_match_is_one_query_per_run_never_a_scan(
    dynamo_mode, monkeypatch
):
    monkeypatch.setattr(import_service, "_enqueue", lambda job, **kw: None)
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    user = UserFactory()
    for n in range(3):
        services.userbook_add_manual(
            user=user, book_fields={"title": f"Typed {n}", "authors": ["Me"]}
        )
    services.userbook_add(user=user, isbn="9780441172719")
    names: list[str] = []

    def record(model, **kwargs):
        assert model.name != "Scan", "An import never Scans a table."
        names.append(model.name)

    dynamo_mode.meta.events.register("before-call.dynamodb", record)
    rows = [f"Typed {n},Me,Me" for n in range(3)] + ["New,Me,Me"]
    lines = ["title,authors,author_sort", *rows]
    job = _import(user, "c.csv", ("\n".join(lines) + "\n").encode())
    assert (job.imported, job.already) == (1, 3)
    # One Query of the reader's books without an ISBN (their key prefix),
    # for the run's three chunks; their books come in one BatchGetItem.
    assert Counter(names)["Query"] == 1
