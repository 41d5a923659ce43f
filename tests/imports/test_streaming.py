"""A large file is read a row at a time: memory stays far below its size."""

import io
import tracemalloc

from catalog.imports import ImportRow, open_import
from catalog.imports.formats import native_export
from tests.imports.helpers import fixture_bytes

TARGET_BYTES = 20 * 1024 * 1024
# Far below the file: the scanner, one row and the decoder's buffers.
PEAK_LIMIT = 3 * 1024 * 1024


def _goodreads_file(path) -> int:
    header = fixture_bytes("goodreads_23.csv").decode().splitlines()[0]
    # Written inside a quoted field: the doubled quotes are one quote each.
    review = 'A review with a comma, a ""quote"" and<br/>a line break. ' * 150
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\n")
        while out.tell() < TARGET_BYTES:
            rows += 1
            out.write(
                f'{rows},"Book {rows}, a novel",Ann Author,"Author, Ann",,'
                f'"=""""","=""""",4,Press,Paperback,300,2020,2020,2021/03/14,'
                f'2020/01/01,"shelf-a, shelf-b",,read,"{review}",,'
                f'"Notes for {rows}\nover two lines",1,1\n'
            )
    return rows


def _peak_while_reading(opened) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(isinstance(row, ImportRow) for row in opened.rows())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_a_20_mb_goodreads_file_is_read_with_bounded_memory(tmp_path):
    path = tmp_path / "large.csv"
    rows = _goodreads_file(path)
    with open(path, "rb") as data:
        opened = open_import(data)
        count, peak = _peak_while_reading(opened)
    assert count == rows > 2_000
    assert peak < PEAK_LIMIT, f"peak {peak:,} bytes reading {TARGET_BYTES:,}"


def test_a_20_mb_json_export_is_read_with_bounded_memory(tmp_path):
    path = tmp_path / "large.json"
    record = {
        "isbn13": None,
        "title": "A book",
        "authors": ["Ann Author"],
        "status": "read",
        "notes": 'Some notes, with a line break\n and a "quote". ' * 200,
        "tags": ["a", "b"],
        "readings": [
            {"started_on": None, "finished_on": "2020-01-01", "outcome": "read"}
        ],
    }
    written = 0

    def records():
        nonlocal written
        while True:
            written += 1
            yield {**record, "title": f"Book {written}"}
            if out.tell() > TARGET_BYTES:
                return

    with open(path, "w", encoding="utf-8") as out:
        native_export.write(records(), out, exported_at="2026-01-01T00:00:00+00:00")
    with open(path, "rb") as data:
        count, peak = _peak_while_reading(open_import(data))
    assert count == written > 2_000
    assert peak < PEAK_LIMIT, f"peak {peak:,} bytes reading {TARGET_BYTES:,}"


def test_minified_json_is_read_in_pieces_not_as_one_line():
    # One line of JSON: reading by lines would hold it whole.
    body = ",".join(f'{{"title": "Book {i}", "status": "want"}}' for i in range(3000))
    data = f'{{"format":"booklibrary","version":1,"records":[{body}]}}'.encode()
    rows = list(open_import(io.BytesIO(data)).rows())
    assert len(rows) == 3000 and rows[-1].title == "Book 2999"
    assert {row.line for row in rows} == {1}


def test_a_single_line_of_20_mb_is_never_held_whole(tmp_path):
    header = fixture_bytes("goodreads_23.csv").decode().splitlines()[0]
    path = tmp_path / "one-line.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\n1,Dune,Frank Herbert,,,,,5,,,,,,,,,,read,")
        for _ in range(TARGET_BYTES // 65536):
            out.write("z" * 65536)
        out.write(",,,1,1\n2,Emma,Jane Austen,,,,,0,,,,,,,,,,to-read,,,,0,0\n")
    with open(path, "rb") as data:
        opened = open_import(data)
        tracemalloc.start()
        try:
            rows = list(opened.rows())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert rows[0].reason.startswith("row too large: over 1,000,000")
    assert rows[1].title == "Emma" and rows[1].line == 3
    assert peak < PEAK_LIMIT, f"peak {peak:,} bytes"


def test_a_list_with_a_huge_line_reports_it_once():
    data = "9780441172719\n" + "9" * 200_000 + "\n9780316229296\n"
    rows = list(open_import(io.BytesIO(data.encode())).rows())
    assert [r.line for r in rows] == [1, 2, 3]
    assert rows[1].reason.startswith("“9999")
    assert len(rows[1].reason) < 300
