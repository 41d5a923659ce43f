"""Importing a file: the service and the job, on both backends."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.imports import open_import
from catalog.models import (
    Book,
    ImportJob,
    ImportState,
    Loan,
    MetadataStatus,
    ReadingStatus,
    UserBook,
)
from catalog.services import imports as import_service
from tests.factories import UserFactory
from tests.imports.helpers import fixture_bytes

pytestmark = pytest.mark.django_db

DUNE = "9780441172719"
GEB = "9780465026562"
PIRANESI = "9781635575637"
ANATHEM = "9780061474095"


def _upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, fixture_bytes(name) if data is None else data)


def _import(user, name: str, data: bytes | None = None, **options) -> ImportJob:
    job = services.import_start(
        user=user, uploaded_file=_upload(name, data), file_name=name, **options
    )
    return services.import_run(user_id=user.pk, import_id=job.pk)


def _library(user) -> dict[str, UserBook]:
    page = UserBook.objects.page_for_user(user, limit=100)
    return {record.book_id: record for record in page.items}


def test_a_goodreads_export_is_imported_row_by_row(both_modes, user):
    job = _import(user, "goodreads_23.csv")
    assert job.state == ImportState.DONE
    assert (job.total, job.next_index) == (7, 7)
    assert (job.imported, job.already, job.duplicate, job.failed) == (6, 0, 0, 1)
    (error,) = job.errors
    assert error["line"] == 9 and "check digit" in error["reason"]
    stored = ImportJob.objects.get_for_user(user.pk, job.pk)
    assert (stored.state, stored.imported, stored.errors) == ("done", 6, job.errors)

    library = _library(user)
    assert len(library) == 6
    # Hyperion's ISBN13 fails its check digit: its valid ISBN-10 is used, warned.
    assert library["9780553283686"].status == "read"
    (warning,) = [w for w in job.warnings if w["line"] == 8]
    assert warning["reason"] == (
        "ISBN 9780553283687 fails its check digit in ISBN13; the book was "
        "imported by ISBN 9780553283686."
    )
    dune = library[DUNE]
    assert (dune.status, dune.rating, dune.owned) == ("read", Decimal("5.0"), True)
    assert dune.finished_on == date(2021, 3, 14)
    assert dune.added_at.date() == date(2019, 7, 2)
    assert set(dune.tags) == {"sci-fi", "favorites"}
    assert "Lent the old copy to Sam." in dune.notes
    assert "Review:\nThe spice must flow." in dune.notes
    # The file's details are the reader's own: fetched ones never replace them.
    assert dune.corrections["title"].startswith("Dune")
    assert dune.corrections["authors"] == ["Frank Herbert"]
    assert dune.shown.display_title.startswith("Dune")
    # New editions wait for their details, fetched in the background.
    assert Book.objects.get_by_key(DUNE).metadata_status == MetadataStatus.PENDING
    # Read with no date: no date, never the day of the import.
    piranesi = library[PIRANESI]
    assert (piranesi.status, piranesi.finished_on) == ("read", None)
    assert library[ANATHEM].status == ReadingStatus.DNF
    manual = [r for k, r in library.items() if not k.isdigit()]
    (wind,) = manual
    assert wind.book.title.startswith("The Name of the Wind")
    assert wind.book.authors == ["Patrick Rothfuss"]
    assert wind.book.metadata_status == MetadataStatus.MANUAL
    assert wind.status == ReadingStatus.READING


def test_the_series_the_file_gives_are_the_readers_own(both_modes, user):
    text = (
        "title,authors,isbn,series,series_index\n"
        "Dune,Frank Herbert,9780441172719,Dune Chronicles,1.0\n"
    )
    job = _import(user, "calibre.csv", text.encode(), format="calibre")
    assert job.imported == 1
    record = UserBook.objects.get_for_user(user, DUNE)
    assert record.corrections["series"] == [
        {"name": "Dune Chronicles", "position": "1"}
    ]


def test_a_bad_file_is_refused_at_once_and_nothing_is_stored(both_modes, user):
    for name in ("empty.csv", "binary.csv", "missing_columns.csv"):
        with pytest.raises(ValidationError) as caught:
            services.import_start(
                user=user, uploaded_file=_upload(name), file_name=name
            )
        assert caught.value.messages[0]
    with pytest.raises(ValidationError, match="formats listed"):
        services.import_start(
            user=user,
            uploaded_file=_upload("goodreads_23.csv"),
            file_name="x.csv",
            format="nonsense",
        )
    assert ImportJob.objects.for_user(user) == []
    assert not default_storage.exists(f"private/{user.pk}/imports")


def test_importing_the_same_file_again_adds_and_changes_nothing(both_modes, user):
    _import(user, "goodreads_23.csv")
    services.userbook_update(
        user=user,
        book_key=DUNE,
        version=UserBook.objects.get_for_user(user, DUNE).version,
        changes={"rating": Decimal("3.5"), "notes": "Mine"},
    )
    before = {k: (r.version, r.notes, r.rating) for k, r in _library(user).items()}
    again = _import(user, "goodreads_23.csv")
    assert (again.imported, again.already, again.failed) == (0, 6, 1)
    after = {k: (r.version, r.notes, r.rating) for k, r in _library(user).items()}
    assert after == before
    assert after[DUNE][1:] == ("Mine", Decimal("3.5"))
    newest, first = ImportJob.objects.for_user(user)
    assert newest.pk == again.pk and first.pk != again.pk


def test_rows_of_one_book_count_once_the_first_wins(both_modes, user):
    text = fixture_bytes("goodreads_23.csv").decode()
    header, first = text.splitlines()[:2]
    doubled = f"{header}\n{first}\n{first.replace(',5,', ',2,', 1)}\n"
    job = _import(user, "goodreads_23.csv", doubled.encode())
    assert (job.imported, job.duplicate) == (1, 1)
    assert UserBook.objects.get_for_user(user, DUNE).rating == Decimal("5.0")


def test_a_book_already_in_the_library_is_never_overwritten(both_modes, user):
    services.userbook_add(user=user, isbn=GEB, status=ReadingStatus.READ)
    job = _import(user, "goodreads_23.csv")
    assert (job.imported, job.already) == (5, 1)
    record = UserBook.objects.get_for_user(user, GEB)
    assert (record.status, record.corrections, record.version) == ("read", {}, 1)


def _goodreads_rows(count: int) -> bytes:
    text = fixture_bytes("goodreads_23.csv").decode()
    header, row = text.splitlines()[:2]
    lines = [header]
    for n in range(count):
        isbn = f"978000000{n:03d}"
        isbn += str(
            (10 - sum(int(d) * (1 + 2 * (i % 2)) for i, d in enumerate(isbn)) % 10) % 10
        )
        lines.append(
            row.replace('"=""9780441172719"""', f'"=""{isbn}"""')
            .replace('"=""0441172717"""', '"="""""')
            .replace('"Dune (Dune, #1)"', f'"Book {n}"')
        )
    return ("\n".join(lines) + "\n").encode()


class _Killed(Exception):
    pass


def test_a_worker_killed_midway_is_resumed_by_the_sweep(both_modes, user, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 4)
    data = _goodreads_rows(10)
    job = services.import_start(
        user=user, uploaded_file=_upload("gr.csv", data), file_name="gr.csv"
    )
    manager = type(ImportJob.objects)
    real = manager.save_progress
    calls = []

    def dying(self, job, *, version):
        calls.append(job.next_index)
        if len(calls) == 3:  # the claim, chunk one, then chunk two's write
            raise _Killed
        return real(self, job, version=version)

    monkeypatch.setattr(manager, "save_progress", dying)
    with pytest.raises(_Killed):
        services.import_run(user_id=user.pk, import_id=job.pk)
    monkeypatch.setattr(manager, "save_progress", real)
    midway = ImportJob.objects.get_for_user(user.pk, job.pk)
    assert (midway.state, midway.next_index, midway.imported) == ("running", 4, 4)
    # Chunk two's rows: rolled back with it on the ORM (one transaction a
    # chunk); written on DynamoDB, but not its progress.
    assert len(_library(user)) == (4 if both_modes == "orm" else 8)

    # A fresh heartbeat is left alone; a stale one is queued (and run) again.
    assert services.imports_sweep() == []
    later = timezone.now() + import_service.STALE_AFTER + timedelta(seconds=1)
    assert services.imports_sweep(now=later) == [job.pk]
    done = ImportJob.objects.get_for_user(user.pk, job.pk)
    assert (done.state, done.next_index) == ("done", 10)
    assert (done.imported, done.already, done.failed) == (10, 0, 0)
    assert len(_library(user)) == 10
    assert services.imports_sweep(now=later) == []


def test_a_worker_killed_while_adding_a_chunk_imports_no_row_twice(
    both_modes, user, monkeypatch
):
    data = _goodreads_rows(60)
    job = services.import_start(
        user=user, uploaded_file=_upload("gr.csv", data), file_name="gr.csv"
    )
    manager = type(UserBook.objects)
    real = manager.add_many

    def dying(self, user, additions):
        real(self, user, additions[:25])  # stored, then the worker dies
        raise _Killed

    monkeypatch.setattr(manager, "add_many", dying)
    with pytest.raises(_Killed):
        services.import_run(user_id=user.pk, import_id=job.pk)
    monkeypatch.setattr(manager, "add_many", real)
    # The first 25 rolled back with the chunk on the ORM; kept on DynamoDB.
    assert len(_library(user)) == (0 if both_modes == "orm" else 25)
    later = timezone.now() + import_service.STALE_AFTER + timedelta(seconds=1)
    assert services.imports_sweep(now=later) == [job.pk]
    done = ImportJob.objects.get_for_user(user.pk, job.pk)
    assert (done.state, done.imported, done.already, done.failed) == (
        "done",
        60,
        0,
        0,
    )
    assert len(_library(user)) == 60
    assert UserBook.objects.status_counts(user)["all"] == 60
    assert UserBook.objects.tag_counts(user).tags == [
        ("favorites", "favorites", 60),
        ("sci-fi", "sci-fi", 60),
    ]


def test_a_run_out_of_time_queues_the_rest(both_modes, user, monkeypatch):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 3)
    queued = []
    monkeypatch.setattr(import_service, "_enqueue", queued.append)
    job = services.import_start(
        user=user,
        uploaded_file=_upload("gr.csv", _goodreads_rows(7)),
        file_name="gr.csv",
    )
    first = services.import_run(user_id=user.pk, import_id=job.pk, seconds=0)
    assert (first.state, first.next_index) == ("queued", 3)
    assert [j.pk for j in queued[-1:]] == [job.pk]
    assert ImportJob.objects.get_for_user(user.pk, job.pk).state == "queued"
    rest = services.import_run(user_id=user.pk, import_id=job.pk)
    assert (rest.state, rest.imported) == ("done", 7)


def test_a_message_delivered_twice_leaves_the_running_import_alone(
    both_modes, user, monkeypatch
):
    monkeypatch.setattr(import_service, "_enqueue", lambda job, **kw: None)
    job = services.import_start(
        user=user, uploaded_file=_upload("goodreads_23.csv"), file_name="g.csv"
    )
    running = ImportJob.objects.get_for_user(user.pk, job.pk)
    running.state = "running"
    assert ImportJob.objects.save_progress(running, version=running.version)
    again = services.import_run(user_id=user.pk, import_id=job.pk)
    assert (again.state, again.next_index, again.version) == ("running", 0, 2)
    assert _library(user) == {}
    # The sweep's run takes it over (the first run, if alive, then stops).
    done = services.import_run(user_id=user.pk, import_id=job.pk, takeover=True)
    assert (done.state, done.imported) == ("done", 6)


def test_a_run_another_holds_does_nothing(both_modes, user, monkeypatch):
    monkeypatch.setattr(import_service, "_enqueue", lambda job, **kw: None)
    job = services.import_start(
        user=user, uploaded_file=_upload("goodreads_23.csv"), file_name="g.csv"
    )
    stale = ImportJob.objects.get_for_user(user.pk, job.pk)
    services.import_run(user_id=user.pk, import_id=job.pk)
    # A second copy of the message, read before the first finished:
    assert not ImportJob.objects.save_progress(stale, version=stale.version)
    assert services.import_run(user_id=user.pk, import_id=job.pk).imported == 6
    assert len(_library(user)) == 6


def test_new_editions_are_stored_asking_for_details_and_queued_25_a_job(
    both_modes, user, monkeypatch, django_capture_on_commit_callbacks
):
    from catalog.services import metadata as metadata_service

    queued = []
    monkeypatch.setattr(metadata_service, "_enqueue_fetch", queued.append)
    bookkeeping = []
    manager = type(Book.objects)
    monkeypatch.setattr(
        manager, "mark_metadata_attempt", lambda *a, **kw: bookkeeping.append(a)
    )
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        job = _import(user, "gr.csv", _goodreads_rows(60))
    assert (job.imported, job.failed) == (60, 0)
    # No write per book after its creation: the jobs, 25 books each, follow
    # the chunk's commit.
    assert bookkeeping == []
    assert [len(keys) for keys in queued] == [25, 25, 10]
    keys = [key for batch in queued for key in batch]
    assert sorted(keys) == sorted(_library(user))
    book = Book.objects.get_by_key(keys[0])
    assert book.metadata_status == MetadataStatus.PENDING
    assert book.metadata_requested_at >= started
    assert book.metadata_check_at > book.metadata_requested_at
    assert book.metadata_attempts == 0

    # The jobs were lost: the sweep queues every book again once its check is due.
    monkeypatch.undo()
    monkeypatch.setattr(metadata_service, "_enqueue_fetch", queued.append)
    queued.clear()
    assert metadata_service.books_sweep_metadata().requeued == []
    later = book.metadata_check_at + timedelta(seconds=1)
    result = metadata_service.books_sweep_metadata(now=later)
    assert sorted(result.requeued) == sorted(keys)
    assert sorted(k for batch in queued for k in batch) == sorted(keys)


def test_jobs_are_whole_open_library_batches_across_chunks(
    both_modes, user, monkeypatch, django_capture_on_commit_callbacks
):
    """Chunks of 40 new editions make jobs of 25 (the rest waits), then the end."""
    from catalog.services import metadata as metadata_service

    monkeypatch.setattr(import_service, "CHUNK_ROWS", 40)
    queued = []
    monkeypatch.setattr(metadata_service, "_enqueue_fetch", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        job = _import(user, "gr.csv", _goodreads_rows(130))
    assert (job.imported, job.failed) == (130, 0)
    assert [len(keys) for keys in queued] == [25, 25, 25, 25, 25, 5]
    keys = [key for batch in queued for key in batch]
    assert len(set(keys)) == 130
    assert set(UserBook.objects.for_keys(user, keys)) == set(keys)


def test_a_run_handed_on_queues_what_it_kept_back(
    both_modes, user, monkeypatch, django_capture_on_commit_callbacks
):
    from catalog.services import metadata as metadata_service

    monkeypatch.setattr(import_service, "CHUNK_ROWS", 40)
    queued, runs = [], []
    monkeypatch.setattr(metadata_service, "_enqueue_fetch", queued.append)
    monkeypatch.setattr(import_service, "_enqueue", lambda job, **kw: runs.append(job))
    job = services.import_start(
        user=user,
        uploaded_file=_upload("gr.csv", _goodreads_rows(60)),
        file_name="gr.csv",
    )
    with django_capture_on_commit_callbacks(execute=True):
        # Out of time after its first chunk: the run hands the rest on.
        job = services.import_run(user_id=user.pk, import_id=job.pk, seconds=0)
    assert (job.state, job.next_index, len(runs)) == (ImportState.QUEUED, 40, 1)
    assert [len(keys) for keys in queued] == [25, 15]


def test_a_chunk_the_bulk_path_refuses_is_imported_row_by_row(
    both_modes, user, monkeypatch
):
    from booklibrary.dynamo_utils import ItemTooLarge

    manager = type(UserBook.objects)
    tried = []

    def refuse(self, user, additions):
        tried.append(len(additions))
        raise ItemTooLarge("One of them is too large.")

    single = manager.add

    def refuse_dune(self, user, book, **fields):
        if book.pk == DUNE:
            raise ItemTooLarge("Too large.")
        return single(self, user, book, **fields)

    monkeypatch.setattr(manager, "add_many", refuse)
    monkeypatch.setattr(manager, "add", refuse_dune)
    job = _import(user, "goodreads_23.csv")
    assert tried == [6]
    # The row refused alone is that row's error; the others are imported.
    assert (job.imported, job.already, job.failed) == (5, 0, 2)
    assert [e["line"] for e in job.errors] == [2, 9]
    assert "too large to store" in job.errors[0]["reason"]
    assert DUNE not in _library(user) and len(_library(user)) == 5
    monkeypatch.undo()
    again = _import(user, "goodreads_23.csv")
    assert (again.imported, again.already, again.failed) == (1, 5, 1)


def test_the_failed_rows_come_back_in_the_files_own_format(both_modes, user):
    job = _import(user, "goodreads_resaved.csv")
    assert job.failed == 2
    out = io.BytesIO()
    assert services.import_failed_rows(job=job, out=out) == 2
    again = open_import(io.BytesIO(out.getvalue()))
    assert again.format.key == job.format
    assert again.count() == 2


def test_loans_in_the_file_become_loans(both_modes, user):
    job = _import(user, "librarything.tsv")
    assert job.imported == 5
    loans = [
        loan for key in _library(user) for loan in Loan.objects.for_book(user, key)
    ]
    assert loans
    assert all(loan.user_id == user.pk for loan in loans)


def test_a_bookwyrm_review_in_html_is_kept_as_plain_text(both_modes, user):
    _import(user, "bookwyrm.csv")
    left = _library(user)["9780441478125"]
    assert "Review:\nA winter journey\n\nCold, slow, wonderful." in left.notes
    assert "<p>" not in left.notes


def test_a_calibre_language_code_is_stored_and_shown_as_its_name(
    both_modes, user, user_client
):
    _import(user, "calibre.csv")
    omens = UserBook.objects.get_for_user(user, "9780060853983")
    assert omens.corrections["language"] == "English"  # "eng" in the file
    page = user_client.get(
        reverse("catalog:book-detail", kwargs={"key": omens.book_id})
    ).content.decode()
    assert re.search(r"Language</dt>\s*<dd[^>]*>\s*English\s*</dd>", page)


def test_librarything_read_but_unowned_is_not_owned(both_modes, user):
    _import(user, "librarything.tsv")
    library = _library(user)
    middlemarch = library["9780141439549"]
    assert (middlemarch.status, middlemarch.owned) == ("read", False)
    assert library["9780547928227"].owned is True  # "Your library"


def test_every_reading_in_the_file_is_kept(both_modes, user):
    job = _import(user, "storygraph.csv")
    assert (job.imported, job.failed) == (5, 0)
    record = UserBook.objects.get_for_user(user, "9780316229296")
    assert [
        (r["started_on"], r["finished_on"], r["outcome"]) for r in record.readings
    ] == [
        (None, "2021-09-14", "finished"),
        ("2022-10-29", "2022-11-28", "finished"),
    ]
    assert (record.status, record.started_on, record.finished_on) == (
        "read",
        date(2022, 10, 29),
        date(2022, 11, 28),
    )
    kindred = UserBook.objects.get_for_user(user, "9780807083697")
    assert (kindred.status, kindred.started_on) == ("reading", date(2025, 2, 3))
    beloved = UserBook.objects.get_for_user(user, "9781400033416")
    assert (beloved.status, beloved.readings) == ("want", [])


def test_beat_and_the_worker_function_sweep_stalled_imports(db, settings):
    from booklibrary import celery
    from worker import sqs_handler

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-imports"]
    assert entry["task"] == celery.sweep_imports.name == "booklibrary.sweep_imports"
    assert 0 < entry["schedule"] <= import_service.STALE_AFTER.total_seconds()
    user = UserFactory()
    job = services.import_start(
        user=user, uploaded_file=_upload("goodreads_23.csv"), file_name="g.csv"
    )
    stale = ImportJob.objects.get_for_user(user.pk, job.pk)
    stale.heartbeat_at -= import_service.STALE_AFTER * 2
    assert ImportJob.objects.save_progress(stale, version=stale.version)
    celery.sweep_imports()  # what the worker runs when beat sends it
    assert ImportJob.objects.get_for_user(user.pk, job.pk).state == "done"
    assert sqs_handler.sweep_imports({}, None) == {"requeued": []}


SAMPLES = [
    "booklibrary_v1.json",
    "bookwyrm.csv",
    "calibre.csv",
    "isbns.txt",
    "libib.csv",
    "librarything_cp1252.tsv",
    "goodreads_31.csv",
    "truncated_quoted.csv",
    "field_2mb.csv",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_imports_all_its_readable_rows_once(both_modes, user, name):
    from catalog.imports import RowError
    from tests.imports.helpers import rows_of

    refused = {r.line for r in rows_of(name) if isinstance(r, RowError)}
    job = _import(user, name)
    assert job.state == ImportState.DONE
    assert {e["line"] for e in job.errors} == refused
    assert job.imported + job.duplicate + job.failed == job.total
    assert job.imported == len(_library(user)) > 0
    again = _import(user, name)
    assert (again.imported, again.already) == (0, job.imported)


def test_a_readers_imports_and_their_files_go_with_them(both_modes, user):
    job = _import(user, "goodreads_23.csv")
    assert default_storage.exists(job.stored_name)
    assert services.imports_remove_all(user=user) == 1
    assert not default_storage.exists(job.stored_name)
    assert ImportJob.objects.for_user(user) == []
