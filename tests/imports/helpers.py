"""Reading the sample files in tests/fixtures/imports."""

import io
from pathlib import Path

from catalog.imports import ImportRow, RowError, open_import

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def open_fixture(name: str, **options):
    return open_import(io.BytesIO(fixture_bytes(name)), **options)


def open_text(text: str, encoding: str = "utf-8", **options):
    return open_import(io.BytesIO(text.encode(encoding)), **options)


def rows_of(name: str, **options) -> list[ImportRow | RowError]:
    return list(open_fixture(name, **options).rows())


def by_title(rows) -> dict[str, ImportRow]:
    return {r.title: r for r in rows if isinstance(r, ImportRow)}


def errors(rows) -> list[RowError]:
    return [r for r in rows if isinstance(r, RowError)]
