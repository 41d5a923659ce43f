"""The formats an import reads, and how a file's format is told from its header."""

import csv

from catalog.imports.formats import (
    bookwyrm,
    calibre,
    goodreads,
    isbnlist,
    libib,
    librarything,
    native,
    storygraph,
)
from catalog.imports.formats.base import JSON, LINES, TABLE, Cells, Format, column_key
from catalog.imports.rows import ImportFileError

# Tables in the order they are tried: the most specific signatures first.
TABLES = (
    goodreads.FORMAT,
    storygraph.FORMAT,
    librarything.FORMAT,
    libib.FORMAT,
    bookwyrm.FORMAT,
    calibre.FORMAT,
)
FORMATS = {f.key: f for f in (*TABLES, isbnlist.FORMAT, native.FORMAT)}
DELIMITERS = (",", "\t", ";")

__all__ = [
    "FORMATS",
    "JSON",
    "LINES",
    "TABLE",
    "TABLES",
    "Cells",
    "Format",
    "column_key",
    "get",
    "header_cells",
    "match_table",
]


def get(key: str) -> Format:
    """Return the format named ``key`` or raise ImportFileError listing the choices."""
    try:
        return FORMATS[key]
    except KeyError:
        choices = ", ".join(f"{f.key} ({f.label})" for f in FORMATS.values())
        raise ImportFileError(
            f"Unknown format “{key}”; choose one of {choices}."
        ) from None


def header_cells(line: str, delimiter: str, quoting: bool) -> list[str]:
    """Return the names in a header line, split on ``delimiter``."""
    line = line.rstrip("\r\n")
    if not quoting:
        return line.split(delimiter)
    return next(csv.reader([line], delimiter=delimiter, strict=False), [])


def _keys(names: list[str]) -> set[str]:
    return {column_key(n) for n in names}


def match_table(
    line: str, chosen: Format | None = None
) -> tuple[Format, str, list[str]]:
    """Return the table format, delimiter and names of a header line.

    With ``chosen`` (a reader's override) only the delimiter is found. Raises
    ImportFileError naming the missing columns, or saying the file is unknown.
    """
    candidates = [chosen] if chosen else list(TABLES)
    best: tuple[float, Format, str, list[str]] | None = None
    for fmt in candidates:
        for delimiter in DELIMITERS:
            quoting = fmt.quoting or delimiter != fmt.delimiter
            names = header_cells(line, delimiter, quoting)
            keys = _keys(names)
            if fmt.matches(keys) and not fmt.missing(keys) and chosen is None:
                return fmt, delimiter, names
            score = fmt.closeness(keys) + (1 if fmt.matches(keys) else 0)
            if best is None or score > best[0]:
                best = (score, fmt, delimiter, names)
    assert best is not None
    score, fmt, delimiter, names = best
    missing = fmt.missing(_keys(names))
    if chosen and not missing:
        return fmt, delimiter, names
    if missing and (chosen or score >= 0.5):
        raise ImportFileError(
            f"This {fmt.label} lacks the column{'s' if len(missing) > 1 else ''} "
            f"{_and(missing)}, which an import needs. Export the file again, or "
            "put back the missing columns with their names in the first line."
        )
    raise ImportFileError(
        f"The columns of this file ({_shown(names)}) are not those of any export "
        "this app reads: Goodreads, StoryGraph, LibraryThing, Libib, BookWyrm, a "
        "Calibre CSV catalog, a list of ISBNs, or this app's JSON export. If you "
        "know which it is, choose its format and upload again."
    )


def _and(names: list[str]) -> str:
    quoted = [f"“{n}”" for n in names]
    return (
        quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    )


def _shown(names: list[str]) -> str:
    names = [n.strip("\ufeff ")[:40] for n in names if n.strip()]
    return ", ".join(names[:6]) + (", …" if len(names) > 6 else "") or "none"
