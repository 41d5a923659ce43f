"""Calibre's CSV catalog (any columns, any order; a UTF-8 BOM)."""

from catalog.imports import values
from catalog.imports.formats.base import TABLE, Cells, Format
from catalog.imports.rows import WANT, ImportRow, SeriesEntry

# Calibre writes an unknown publication date as the year 101.
_NO_DATE = "0101-01-01"


def read_row(cells: Cells) -> ImportRow:
    series = cells.text("series")
    published = cells.text("pubdate")
    return cells.row(
        isbn13=_isbn(cells),
        title=cells.text("title"),
        authors=values.names(cells.text("authors"), " & "),
        status=WANT,
        rating=cells.rating("rating"),
        tags=values.tag_list(cells.text("tags"), ", "),
        series=[SeriesEntry(series, values.position(cells.text("series_index")))]
        if series
        else [],
        added_on=cells.day("timestamp"),
        publisher=cells.text("publisher"),
        published="" if published.startswith(_NO_DATE) else published[:10],
        language=values.first_language(
            cells.text("languages"), cells.name("languages"), cells.warnings
        ),
        description=values.html_text(cells.text("comments")),  # Calibre's HTML
    )


def _isbn(cells: Cells) -> str | None:
    # identifiers: "isbn:9780441172719,goodreads:234225,amazon:B00B7NPRY8"
    pairs = [
        (cells.name("identifiers"), value)
        for kind, _, value in (
            part.strip().partition(":") for part in cells.raw("identifiers").split(",")
        )
        if kind.casefold() == "isbn"
    ]
    if cells.has("isbn"):
        pairs.append((cells.name("isbn"), cells.raw("isbn")))
    return values.first_isbn13(pairs, cells.warnings)


FORMAT = Format(
    key="calibre",
    label="Calibre CSV catalog",
    kind=TABLE,
    read_row=read_row,
    signature=("title", "authors"),
    hints=("author_sort", "title_sort", "uuid", "identifiers", "series_index"),
    required=("title", "authors"),
)
