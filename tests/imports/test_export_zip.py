"""This app's export ZIP read safely: the JSON, and only the photos it names."""

import io
import json
import random
import zipfile

import pytest

from catalog.imports import ImportFileError, RowProblem, bundle, open_import


def _record(title: str, cover: str | None) -> dict:
    return {"isbn13": None, "title": title, "status": "want", "cover": cover}


def _zip(records: list[dict], **members: bytes) -> io.BytesIO:
    document = {
        "format": "booklibrary",
        "version": 1,
        "exported_at": "",
        "records": records,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("library.json", json.dumps(document))
    buffer.seek(0)
    return buffer


def test_the_photo_a_record_names_is_read():
    opened = open_import(
        _zip([_record("Dune", "covers/M1.jpg")], **{"covers/M1.jpg": b"x"})
    )
    [row] = opened.rows()
    assert row.cover == "covers/M1.jpg" and opened.has_photos
    assert opened.photo(row.cover) == b"x"


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "covers/../library.json",
        "/covers/a.jpg",
        "covers\\a.jpg",
        "covers/a/b.jpg",
        "library.json",
        "covers/a.exe",
        "covers/.jpg",
    ],
)
def test_a_name_outside_the_covers_or_not_an_image_is_refused(name):
    members = {} if name == "library.json" else {name.lstrip("/"): b"x"}
    opened = open_import(_zip([_record("Dune", name)], **members))
    with pytest.raises(RowProblem, match="is not a photo of this export"):
        opened.photo(name)


def test_a_photo_missing_or_used_twice_is_a_row_problem():
    opened = open_import(_zip([], **{"covers/a.jpg": b"x"}))
    with pytest.raises(RowProblem, match="not in the ZIP"):
        opened.photo("covers/b.jpg")
    assert opened.photo("covers/a.jpg") == b"x"
    with pytest.raises(RowProblem, match="used by an earlier record"):
        opened.photo("covers/a.jpg")


def test_a_zip_bomb_photo_is_refused_from_its_declared_size():
    huge = b"\0" * (bundle.MAX_PHOTO_BYTES + 1)
    opened = open_import(_zip([], **{"covers/bomb.jpg": huge}))
    with pytest.raises(RowProblem, match="over 10 MB"):
        opened.photo("covers/bomb.jpg")


def test_a_member_that_lies_about_its_size_gives_no_more_than_it_declared():
    opened = open_import(_zip([], **{"covers/a.jpg": b"y" * 50_000}))
    info = opened._decoded.bundle.archive.getinfo("covers/a.jpg")
    info.file_size = 100  # as a crafted archive would declare it
    with pytest.raises(RowProblem, match="cannot be read: it is damaged"):
        opened.photo("covers/a.jpg")


def test_a_damaged_photo_member_is_a_row_problem():
    buffer = _zip([], **{"covers/a.jpg": random.Random(1).randbytes(4000)})
    data = bytearray(buffer.getvalue())
    offset = data.find(b"covers/a.jpg") + len("covers/a.jpg")
    data[offset + 1000 : offset + 1100] = b"\xff" * 100  # its compressed bytes
    opened = open_import(io.BytesIO(bytes(data)))
    with pytest.raises(RowProblem, match="cannot be read: it is damaged"):
        opened.photo("covers/a.jpg")


def test_photos_come_only_with_the_zip():
    text = json.dumps(
        {
            "format": "booklibrary",
            "version": 1,
            "records": [_record("D", "covers/a.jpg")],
        }
    )
    opened = open_import(io.BytesIO(text.encode()))
    assert not opened.has_photos
    with pytest.raises(RowProblem, match="import the ZIP itself"):
        opened.photo("covers/a.jpg")


def test_a_zip_inside_the_export_zip_is_refused():
    inner = _zip([]).getvalue()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("library.json", inner)
    with pytest.raises(ImportFileError, match="holds another ZIP"):
        open_import(io.BytesIO(buffer.getvalue()))


def test_a_json_member_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(bundle, "MAX_JSON_BYTES", 10)
    with pytest.raises(ImportFileError, match=r"library\.json in this ZIP would be"):
        open_import(_zip([_record("Dune", None)]))


def test_a_zip_of_too_many_files_is_refused(monkeypatch):
    monkeypatch.setattr(bundle, "MAX_MEMBERS", 2)
    members = {f"covers/{n}.jpg": b"x" for n in range(3)}
    with pytest.raises(ImportFileError, match="holds 4 files"):
        open_import(_zip([], **members))


def test_other_zips_keep_their_messages():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("user_data/books.json", b"{}")
    with pytest.raises(ImportFileError, match="account data export"):
        open_import(io.BytesIO(buffer.getvalue()))
