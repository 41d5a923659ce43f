"""The whole round trip, on both backends: export, import into an empty
account, export again: the same library apart from ids and the export time."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import exporting, services
from catalog.models import ImportState
from tests.catalog.test_export import library  # noqa: F401  (the fixture)
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


def test_the_zip_imports_as_the_same_library(reader, library):  # noqa: F811
    import io

    out = io.BytesIO()
    exporting.write_zip(reader, out, at=AT)
    newcomer = UserFactory()
    job = _import(newcomer, out.getvalue(), "booklibrary.zip")
    assert (job.state, job.imported, job.failed) == (ImportState.DONE, 4, 0)
    assert _by_book(_export(newcomer)) == _by_book(_export(reader))
