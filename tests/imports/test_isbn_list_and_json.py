"""A plain list of ISBNs, and this app's own JSON export."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from catalog.imports import ImportFileError, ImportRow, open_import
from catalog.imports.formats import native_export
from tests.imports.helpers import by_title, errors, open_fixture, open_text, rows_of


def test_isbn_list_hyphens_spaces_comments_and_blank_lines():
    opened = open_fixture("isbns.txt")
    assert opened.format.key == "isbns"
    rows = list(opened.rows())
    isbns = [r.isbn13 for r in rows if isinstance(r, ImportRow)]
    assert isbns == [
        "9780441172719",
        "9780441172719",  # its ISBN-10: the same book (a duplicate, see below)
        "9780316229296",
        "9780316556347",
        "9780060512750",  # a lower-case x
        "9780143111580",
        "9780553293357",
    ]
    [error] = errors(rows)
    assert (error.line, error.reason) == (
        10,
        "ISBN 9780441172718 fails its check digit in the list",
    )


def test_isbn_list_with_a_header_line():
    rows = list(open_text("ISBN\n9780441172719\n").rows())
    assert [r.isbn13 for r in rows] == ["9780441172719"]


def test_isbn_list_of_comments_only_is_refused():
    with pytest.raises(ImportFileError, match="no ISBNs"):
        open_text("# nothing yet\n\n", format="isbns")


def test_isbn_list_text_that_is_not_an_isbn():
    rows = list(
        open_text("9780441172719\nDune by Frank Herbert\n", format="isbns").rows()
    )
    reason = errors(rows)[0].reason
    assert reason.startswith("“Dune by Frank Herbert” in the list is not an ISBN")


def test_own_json_export_reads_every_field():
    opened = open_fixture("booklibrary_v1.json")
    assert opened.format.key == "booklibrary"
    rows = list(opened.rows())
    dune = by_title(rows)["Dune"]
    assert dune.line == 2
    assert native_export.record_json(dune) == {
        "isbn13": "9780441172719",
        "title": "Dune",
        "subtitle": "",
        "authors": ["Frank Herbert"],
        "publisher": "Ace Books",
        "published": "1990",
        "pages": 604,
        "language": "en",
        "description": "",
        "status": "read",
        "rating": Decimal("4.5"),
        "owned": True,
        "location": "Living room, top shelf",
        "notes": "Lent the old copy to Sam.\nGot it back.",
        "review": "The spice must flow.",
        "tags": ["sci-fi", "favourites"],
        "series": [{"name": "Dune", "position": "1"}],
        "readings": [
            {
                "started_on": "2019-07-02",
                "finished_on": "2019-08-01",
                "outcome": "read",
                "progress_page": None,
                "progress_percent": None,
            },
            {
                "started_on": "2021-02-20",
                "finished_on": "2021-03-14",
                "outcome": "read",
                "progress_page": None,
                "progress_percent": None,
            },
        ],
        "loans": [
            {
                "direction": "lent",
                "person": "Sam",
                "email": "sam@example.com",
                "lent_on": "2024-01-02",
                "due_on": "2024-02-02",
                "returned_on": "2024-01-30",
                "note": "",
                "remind_person": False,
            }
        ],
        "added_on": "2019-07-02",
    }
    recipes = by_title(rows)["Grandmother's recipes"]
    assert recipes.isbn13 is None and recipes.owned is False
    assert recipes.loans[0].direction == "borrowed"
    anathem = by_title(rows)["Anathem"]
    assert (anathem.rating, anathem.status) == (Decimal("2.0"), "dnf")


def _record(**fields) -> str:
    record = {"isbn13": None, "title": "Dune", "status": "reading", **fields}
    return (
        '{"format": "booklibrary", "version": 1, "exported_at": "", "records": [\n'
        + json.dumps(record)
        + "\n]}\n"
    )


def test_own_json_reads_reading_progress_and_loan_reminders():
    reading = {"started_on": "2025-01-01", "finished_on": None, "outcome": "reading"}
    loan = {"direction": "lent", "person": "Sam", "remind_person": True}
    [row] = open_text(
        _record(
            readings=[{**reading, "progress_percent": 40}],
            loans=[loan],
            cover="covers/x.jpg",
        )
    ).rows()
    assert (row.readings[0].progress_page, row.readings[0].progress_percent) == (
        None,
        40,
    )
    assert row.loans[0].remind_person is True and row.cover == "covers/x.jpg"
    [row] = open_text(_record(readings=[{**reading, "progress_page": 120}])).rows()
    assert row.readings[0].progress_page == 120
    for progress, reason in (
        ({"progress_page": 1, "progress_percent": 2}, "a page or a percent, not both"),
        ({"progress_percent": 101}, "a percent from 0 to 100"),
        ({"progress_page": "12"}, "“progress_page” must be a whole number"),
    ):
        [error] = open_text(_record(readings=[{**reading, **progress}])).rows()
        assert reason in error.reason
    [error] = open_text(_record(loans=[{**loan, "remind_person": "yes"}])).rows()
    assert error.reason == "“remind_person” must be true or false"


def test_own_json_refuses_bad_values_row_by_row():
    reasons = [e.reason for e in errors(rows_of("booklibrary_v1.json"))]
    assert reasons == [
        "status “finished” is not one of want, reading, read, dnf",
        "rating 3.3 is not a half star from 0.5 to 5",
    ]


def _write(rows, **options) -> bytes:
    out = io.StringIO()
    native_export.write(
        [native_export.record_json(r) for r in rows], out, exported_at="now"
    )
    return out.getvalue().encode()


def test_own_json_round_trip_is_lossless_in_any_layout():
    rows = [r for r in rows_of("booklibrary_v1.json") if isinstance(r, ImportRow)]
    written = _write(rows)
    again = list(open_import(io.BytesIO(written)).rows())
    assert [native_export.record_json(r) for r in again] == [
        native_export.record_json(r) for r in rows
    ]
    # Minified on one line, or pretty-printed: the same records.
    import json

    document = json.loads(written)
    for layout in (json.dumps(document), json.dumps(document, indent=4)):
        reread = list(open_import(io.BytesIO(layout.encode())).rows())
        assert [native_export.record_json(r) for r in reread] == [
            native_export.record_json(r) for r in rows
        ]


def test_own_json_newer_version_and_other_json_are_refused():
    newer = b'{"format": "booklibrary", "version": 2, "records": []}'
    with pytest.raises(ImportFileError, match="version 2, made by a newer"):
        open_import(io.BytesIO(newer))
    with pytest.raises(ImportFileError, match="not a Book Library export"):
        open_import(io.BytesIO(b'[{"title": "Dune"}]'))
    with pytest.raises(ImportFileError, match="not a Book Library export"):
        open_import(io.BytesIO(b'{"format": "other", "version": 1, "records": []}'))


def test_own_json_cut_short_is_an_error_row_never_a_silent_stop():
    data = (
        b'{"format": "booklibrary", "version": 1, "records": [\n'
        b'{"isbn13": "9780441172719", "title": "Dune", "status": "read"},\n'
        b'{"isbn13": "9780316229296", "title": "The Fif'
    )
    rows = list(open_import(io.BytesIO(data)).rows())
    assert rows[0].title == "Dune"
    assert rows[1].line == 3
    assert "cut short" in rows[1].reason


def test_own_json_dates_are_iso():
    data = (
        b'{"format": "booklibrary", "version": 1, "records": [\n'
        b'{"title": "Dune", "added_on": "02/07/2019"}\n]}'
    )
    [error] = list(open_import(io.BytesIO(data)).rows())
    assert error.reason.startswith("unreadable date “02/07/2019” in added_on")
    ok = data.replace(b"02/07/2019", b"2019-07-02")
    [row] = list(open_import(io.BytesIO(ok)).rows())
    assert row.added_on == date(2019, 7, 2)


def test_the_readme_example_of_the_export_reads():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index('```json\n{"format": "booklibrary"') + len("```json\n")
    example = readme[start : readme.index("```", start)]
    [row] = list(open_import(io.BytesIO(example.encode())).rows())
    assert (row.title, row.rating, row.readings[0].outcome) == (
        "Dune",
        Decimal("4.5"),
        "read",
    )
