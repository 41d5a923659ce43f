"""The whole round trip, on both backends: export, import into an empty
account, export again: the same library apart from ids and the export time."""

import io
import json
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from catalog import exporting, services
from catalog.models import ImportState
from tests.catalog.test_export import library  # noqa: F401  (the fixture)
from tests.catalog.test_export_views import BUCKET, s3_media  # noqa: F401
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
AT = "2026-11-29T21:00:00+00:00"


@pytest.fixture
def reader():
    return UserFactory()


def _export(user) -> dict:
    return json.loads("".join(exporting.json_chunks(user, at=AT)))


def _import(user, data: bytes, name: str):
    job = services.import_start(
        user=user,
        uploaded_file=SimpleUploadedFile(name, data),
        file_name=name,
    )
    return services.import_run(user_id=user.pk, import_id=job.pk)


def _by_book(document: dict) -> list[dict]:
    return sorted(document["records"], key=lambda r: (r["isbn13"] or "", r["title"]))


def test_export_import_export_gives_the_same_library(reader, library):  # noqa: F811
    first = _export(reader)
    assert len(first["records"]) == 4
    newcomer = UserFactory()
    job = _import(newcomer, json.dumps(first).encode(), "booklibrary.json")
    assert job.state == ImportState.DONE
    assert (job.imported, job.failed) == (4, 0), job.errors
    second = _export(newcomer)
    assert {k: v for k, v in second.items() if k != "records"} == {
        k: v for k, v in first.items() if k != "records"
    }
    assert _by_book(second) == _by_book(first)


def test_importing_the_export_again_adds_and_changes_nothing(reader, library):  # noqa: F811
    first = _export(reader)
    newcomer = UserFactory()
    data = json.dumps(first).encode()
    _import(newcomer, data, "booklibrary.json")
    again = _import(newcomer, data, "booklibrary.json")
    assert (again.imported, again.already, again.failed) == (0, 4, 0)
    assert _by_book(_export(newcomer)) == _by_book(first)


@pytest.fixture
def media(both_modes, request):
    """The reader's files where each mode keeps them: on disk, or in S3 (moto)."""
    if both_modes == "dynamodb":
        return request.getfixturevalue("s3_media")
    return None


def _zip(user) -> bytes:
    out = io.BytesIO()
    exporting.write_zip(user, out, at=AT)
    return out.getvalue()


def _zip_records(data: bytes) -> list[dict]:
    """The ZIP's records, each photo's name replaced by its decoded pixels.

    A photo's name holds the book's key, an id like any other.
    """
    archive = zipfile.ZipFile(io.BytesIO(data))
    records = json.loads(archive.read("library.json"))["records"]
    for record in records:
        if record["cover"]:
            raw = archive.read(record["cover"])
            with Image.open(io.BytesIO(raw)) as image:
                record["cover"] = (image.format, image.size, image.tobytes(), raw)
    return _by_book({"records": records})


def _photo(colour) -> Image.Image:
    image = Image.new("RGB", (300, 450), colour)
    ImageDraw.Draw(image).ellipse((40, 60, 260, 400), fill=(20, 20, 90))
    return image


def test_the_zip_round_trip_brings_back_the_same_photos(reader, library, media):  # noqa: F811
    for name, colour in (("dune", (200, 160, 40)), ("wish", (30, 140, 70))):
        services.userbook_set_cover_photo(
            user=reader, book_key=library[name].book_id, image=_photo(colour)
        )
    first = _zip(reader)
    newcomer = UserFactory()
    job = _import(newcomer, first, "booklibrary.zip")
    assert (job.state, job.imported, job.failed, job.errors) == (
        ImportState.DONE,
        4,
        0,
        [],
    )
    second = _zip(newcomer)
    before, after = _zip_records(first), _zip_records(second)
    assert [bool(r["cover"]) for r in after] == [bool(r["cover"]) for r in before]
    assert sum(1 for r in after if r["cover"]) == 2
    # The same JSON, the same photos byte for byte.
    assert after == before
    # Each photo is the newcomer's own, stored as an upload is: two sizes.
    for record in exporting.user_records(newcomer):
        own = record.corrections.get("cover")
        if own:
            assert own.startswith(f"private/{newcomer.pk}/covers/")
            thumb = record.corrections["cover_thumb"]
            with default_storage.open(thumb, "rb") as stored:
                assert Image.open(stored).size == (200, 300)
    if media is not None:
        keys = [
            o["Key"]
            for o in media.list_objects_v2(Bucket=BUCKET)["Contents"]
            if o["Key"].startswith(f"media/private/{newcomer.pk}/covers/")
        ]
        assert len(keys) == 4  # two photos at two sizes, in S3
    # Importing the ZIP again adds and changes nothing, photos included.
    again = _import(newcomer, first, "booklibrary.zip")
    assert (again.imported, again.already, again.errors) == (0, 4, [])
    assert _zip_records(_zip(newcomer)) == before


def test_the_zip_imports_as_the_same_library(reader, library):  # noqa: F811
    out = io.BytesIO()
    exporting.write_zip(reader, out, at=AT)
    newcomer = UserFactory()
    job = _import(newcomer, out.getvalue(), "booklibrary.zip")
    assert (job.state, job.imported, job.failed) == (ImportState.DONE, 4, 0)
    assert _by_book(_export(newcomer)) == _by_book(_export(reader))


def test_the_goodreads_csv_imports_back_without_its_formula_escapes(reader, library):  # noqa: F811
    text = "".join(exporting.csv_chunks(reader))
    assert "'@home" in text and "'-5 stars? +1" in text
    newcomer = UserFactory()
    job = _import(newcomer, text.encode(), "goodreads_library_export.csv")
    assert (job.state, job.imported, job.failed) == (ImportState.DONE, 4, 0)
    records = {r.shown.title: r for r in exporting.user_records(newcomer)}
    assert records["@home"].notes == "-5 stars? +1"
    # Not owned stays not owned (the wishlist shelf), and is no tag.
    before = {r.shown.title: r.owned for r in exporting.user_records(reader)}
    assert {title: r.owned for title, r in records.items()} == before
    assert list(before.values()).count(False) == 2
    assert (records["@home"].owned, records["@home"].tags) == (False, [])
    assert (records["Anathem"].owned, records["Anathem"].status) == (False, "reading")
