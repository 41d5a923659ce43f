"""The promises of "How an import behaves" that no other test held, both backends."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import services
from catalog.models import MANUAL_KEY_PREFIX, Book, ImportJob, MetadataStatus, UserBook
from catalog.services import imports as import_service
from tests.imports.helpers import fixture_bytes
from tests.test_import_page_calls import _isbn

pytestmark = pytest.mark.django_db

LIMIT = 50 * 1024 * 1024


def _import(user, name: str, data: bytes | None = None) -> ImportJob:
    upload = SimpleUploadedFile(name, fixture_bytes(name) if data is None else data)
    job = services.import_start(user=user, uploaded_file=upload, file_name=name)
    return services.import_run(user_id=user.pk, import_id=job.pk)


def _library(user) -> dict[str, UserBook]:
    page = UserBook.objects.page_for_user(user, limit=100)
    return {record.book_id: record for record in page.items}


class _Sized(io.BytesIO):
    """An upload that says its size (as Django's do) without holding that much."""

    def __init__(self, data: bytes, size: int):
        super().__init__(data)
        self.size = size


def test_a_file_of_50_mb_is_taken_and_one_byte_more_refused(both_modes, user):
    data = fixture_bytes("isbns.txt")
    with pytest.raises(ValidationError, match="larger than 50 MB"):
        services.import_start(
            user=user, uploaded_file=_Sized(data, LIMIT + 1), file_name="big.txt"
        )
    assert ImportJob.objects.for_user(user) == []
    assert not default_storage.exists(f"private/{user.pk}/imports")
    job = services.import_start(
        user=user, uploaded_file=_Sized(data, LIMIT), file_name="big.txt"
    )
    assert job.state == "queued"


def test_a_file_over_50_mb_uploaded_to_storage_is_refused_and_deleted(
    both_modes, user, monkeypatch
):
    name = default_storage.save(
        f"private/{user.pk}/uploads/abc/list.txt",
        io.BytesIO(fixture_bytes("isbns.txt")),
    )
    monkeypatch.setattr(default_storage, "size", lambda stored: LIMIT + 1)
    with pytest.raises(ValidationError, match="larger than 50 MB"):
        services.import_start_stored(user=user, name=name, file_name="list.txt")
    monkeypatch.undo()
    assert not default_storage.exists(name)
    assert ImportJob.objects.for_user(user) == []


class _Killed(Exception):
    pass


def test_a_worker_killed_between_a_row_and_its_repeat_keeps_the_first(
    both_modes, user, monkeypatch
):
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 2)
    header, dune = fixture_bytes("goodreads_23.csv").decode().splitlines()[:2]
    rows = [dune]
    for n in range(2):
        rows.append(
            dune.replace('"=""9780441172719"""', f'"=""{_isbn(n)}"""')
            .replace('"=""0441172717"""', '"="""""')
            .replace('"Dune (Dune, #1)"', f'"Book {n}"')
        )
    rows.append(dune.replace(",5,", ",2,", 1))  # Dune again, rated 2
    data = "\n".join([header, *rows]) + "\n"
    job = services.import_start(
        user=user,
        uploaded_file=SimpleUploadedFile("g.csv", data.encode()),
        file_name="g.csv",
    )
    manager = type(ImportJob.objects)
    real = manager.save_progress

    def dying(self, job, *, version):
        if job.next_index == 4:  # chunk two's write: Book 1 and Dune again
            raise _Killed
        return real(self, job, version=version)

    monkeypatch.setattr(manager, "save_progress", dying)
    with pytest.raises(_Killed):
        services.import_run(user_id=user.pk, import_id=job.pk)
    monkeypatch.setattr(manager, "save_progress", real)
    assert ImportJob.objects.get_for_user(user.pk, job.pk).next_index == 2

    done = services.import_run(user_id=user.pk, import_id=job.pk, takeover=True)
    assert (done.state, done.imported, done.duplicate) == ("done", 3, 1)
    assert [w["line"] for w in done.warnings] == [5]
    assert "the same book as line 2" in done.warnings[0]["reason"]
    library = _library(user)
    assert len(library) == 3
    assert str(library["9780441172719"].rating) == "5.0"


def test_edits_to_a_book_without_an_isbn_survive_importing_again(both_modes, user):
    first = _import(user, "goodreads_23.csv")
    (wind,) = [r for k, r in _library(user).items() if k.startswith(MANUAL_KEY_PREFIX)]
    corrected = services.userbook_correct(
        user=user,
        book_key=wind.book_id,
        version=wind.version,
        loaded=dict(wind.corrections),
        corrections={**wind.corrections, "title": "The Name of the Wind (my copy)"},
    ).record
    edited = services.userbook_update(
        user=user,
        book_key=wind.book_id,
        version=corrected.version,
        changes={"notes": "Mine now"},
    )
    again = _import(user, "goodreads_23.csv")
    assert (again.imported, again.already) == (0, first.imported)
    kept = UserBook.objects.get_for_user(user, wind.book_id)
    assert (kept.version, kept.notes) == (edited.version, "Mine now")
    assert kept.shown.title == "The Name of the Wind (my copy)"
    assert len(_library(user)) == first.imported


def test_the_import_never_waits_for_metadata(
    both_modes, user, monkeypatch, django_capture_on_commit_callbacks
):
    """New books are only queued for their details, 25 a job; none is fetched."""
    import worker.tasks

    queued: list[list[str]] = []

    class Recorder:
        @staticmethod
        def enqueue(keys, *args):
            queued.append(list(keys))

    monkeypatch.setattr(worker.tasks, "fetch_metadata", Recorder)
    monkeypatch.setattr(import_service, "_enqueue", lambda job, **kw: None)
    isbns = [_isbn(n) for n in range(60)]
    upload = SimpleUploadedFile("list.txt", ("\n".join(isbns) + "\n").encode())
    job = services.import_start(user=user, uploaded_file=upload, file_name="list.txt")
    with django_capture_on_commit_callbacks(execute=True):
        done = services.import_run(user_id=user.pk, import_id=job.pk)
    assert (done.state, done.imported) == ("done", 60)
    assert [len(batch) for batch in queued] == [25, 25, 10]
    assert sorted(key for batch in queued for key in batch) == sorted(isbns)
    books = Book.objects.get_many(isbns)
    assert {b.metadata_status for b in books.values()} == {MetadataStatus.PENDING}
