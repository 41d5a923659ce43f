"""Importing this app's export ZIP, on both backends (photos on disk, or in S3)."""

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog import exporting, services
from catalog.models import ImportState
from catalog.services import import_covers
from tests.catalog.test_export import stored_photo
from tests.catalog.test_export_views import s3_media  # noqa: F401  (the fixture)
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
AT = "2026-11-29T21:00:00+00:00"


@pytest.fixture
def media(both_modes, request):
    if both_modes == "dynamodb":
        return request.getfixturevalue("s3_media")
    return None


def _record(title: str, cover: str | None) -> dict:
    return {
        "isbn13": None,
        "title": title,
        "authors": ["Ann Author"],
        "status": "want",
        "cover": cover,
    }


def _zip(records: list[dict], **members: bytes) -> bytes:
    document = {"format": "booklibrary", "version": 1, "exported_at": AT}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("library.json", json.dumps({**document, "records": records}))
    return buffer.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (1200, 1800), (10, 120, 200, 255)).save(out, "PNG")
    return out.getvalue()


def _import(user, data: bytes, name: str = "booklibrary.zip", **options):
    job = services.import_start(
        user=user, uploaded_file=SimpleUploadedFile(name, data), file_name=name
    )
    return services.import_run(user_id=user.pk, import_id=job.pk, **options)


def _covers(user) -> dict[str, str]:
    return {
        r.shown.title: r.corrections.get("cover", "")
        for r in exporting.user_records(user)
    }


def test_photos_are_restored_and_bad_ones_are_warnings(media):
    reader = UserFactory()
    data = _zip(
        [
            _record("As stored", "covers/a.jpg"),
            _record("A PNG", "covers/b.png"),
            _record("Not an image", "covers/c.jpg"),
            _record("Outside", "../../etc/passwd"),
            _record("Missing", "covers/d.jpg"),
            _record("No photo", None),
        ],
        **{
            "covers/a.jpg": stored_photo(),
            "covers/b.png": _png(),
            "covers/c.jpg": b"\xff\xd8\xff\xe0 not really a JPEG",
            "covers/unused.jpg": b"never read",
        },
    )
    job = _import(reader, data)
    # Every record is imported; a photo left out is a warning, not a failure.
    assert (job.state, job.imported, job.failed) == (ImportState.DONE, 6, 0)
    assert (job.errors, job.warned) == ([], 3)
    warnings = {e["index"]: e["reason"] for e in job.warnings}
    assert sorted(warnings) == [2, 3, 4]
    assert warnings[2].startswith("imported without its photo: covers/c.jpg: ")
    assert "not a photo of this export" in warnings[3]
    assert "covers/d.jpg is not in the ZIP" in warnings[4]
    covers = _covers(reader)
    assert sorted(t for t, c in covers.items() if c) == ["A PNG", "As stored"]
    with default_storage.open(covers["As stored"], "rb") as stored:
        assert stored.read() == stored_photo()  # already as stored: kept as it is
    with default_storage.open(covers["A PNG"], "rb") as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert (image.format, image.size) == ("JPEG", (600, 900))  # as an upload
    # Nothing for the failed rows' file; the page lists the warnings.
    assert services.import_failed_rows(job=job, out=io.BytesIO()) == 0


def test_the_import_page_lists_the_photos_left_out(client):
    reader = UserFactory()
    job = _import(reader, _zip([_record("Dune", "covers/x.jpg")]))
    client.force_login(reader)
    page = client.get(reverse("catalog:import", args=[job.pk])).content.decode()
    assert 'id="import-warnings-title">Warnings</h2>' in page
    assert "covers/x.jpg is not in the ZIP" in page
    assert "Rows that could not be imported" not in page


def test_a_book_already_in_the_library_keeps_its_look(media):
    reader = UserFactory()
    record = UserBookFactory(
        user=reader, book=BookFactory(title="Dune", authors=["Ann Author"])
    )
    data = _zip(
        [{**_record("Dune", "covers/a.jpg"), "isbn13": record.book.isbn13}],
        **{"covers/a.jpg": stored_photo()},
    )
    job = _import(reader, data)
    assert (job.imported, job.already, job.errors) == (0, 1, [])
    assert _covers(reader) == {"Dune": ""}


def test_a_run_stopped_before_its_photos_restores_them_when_resumed(media, monkeypatch):
    reader = UserFactory()
    data = _zip(
        [_record("Dune", "covers/a.jpg"), _record("Emma", "covers/b.jpg")],
        **{"covers/a.jpg": stored_photo(), "covers/b.jpg": stored_photo((1, 2, 3))},
    )
    restore = import_covers.restore_covers

    def stopped(**kwargs):
        raise SystemExit("the worker is stopped")

    monkeypatch.setattr(import_covers, "restore_covers", stopped)
    job = services.import_start(
        user=reader,
        uploaded_file=SimpleUploadedFile("export.zip", data),
        file_name="export.zip",
    )
    with pytest.raises(SystemExit):
        services.import_run(user_id=reader.pk, import_id=job.pk)
    monkeypatch.setattr(import_covers, "restore_covers", restore)
    job = services.import_run(user_id=reader.pk, import_id=job.pk, takeover=True)
    assert (job.state, job.imported, job.errors) == (ImportState.DONE, 2, [])
    assert all(_covers(reader).values())


def test_the_failed_records_of_a_zip_download_as_json(client):
    reader = UserFactory()
    bad = {**_record("Emma", None), "status": "finished"}
    job = _import(reader, _zip([_record("Dune", None), bad]))
    assert (job.imported, job.failed) == (1, 1)
    client.force_login(reader)
    response = client.get(reverse("catalog:import-failed", args=[job.pk]))
    assert response["Content-Disposition"].endswith('.json"')
    assert response["Content-Type"].startswith("application/json")
    [record] = json.loads(response.content)["records"]
    assert record["title"] == "Emma"
