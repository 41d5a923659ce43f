"""A plain list of ISBNs: one a line, # comments and blank lines ignored."""

import re

from catalog import isbn
from catalog.imports import values
from catalog.imports.formats.base import LINES, Format
from catalog.imports.rows import WANT, ImportRow, RowProblem, Span

# A first line that only names the column.
_HEADER = re.compile(r"(?:isbn(?:[ _-]?1[03])?s?|ean)", re.IGNORECASE)
_ISBN_LIKE = re.compile(r"[0-9][0-9 \-‐]{7,20}[0-9Xx]|[0-9]{9,13}")


def content(line: str) -> str:
    """Return a line without its # comment and surrounding spaces."""
    return line.split("#", 1)[0].strip()


def is_header(text: str) -> bool:
    return _HEADER.fullmatch(text.strip(" \t\"'")) is not None


def looks_like(text: str) -> bool:
    """Tell whether a line looks like an ISBN (right or wrong), for detection."""
    value = text.strip().strip("\"'")
    return bool(_ISBN_LIKE.fullmatch(value)) or isbn.is_valid(value)


def read_line(text: str, span: Span) -> ImportRow:
    warnings: list[str] = []
    value = text.strip().strip("\"'")
    found = values.isbn13(value, "the list", warnings)
    if found is None:
        raise RowProblem(f"“{value}” is not an ISBN")
    return ImportRow(
        index=span.index,
        line=span.line,
        end_line=span.end_line,
        isbn13=found,
        title="",
        authors=[],
        status=WANT,
        warnings=warnings,
    )


FORMAT = Format(key="isbns", label="List of ISBNs", kind=LINES)
