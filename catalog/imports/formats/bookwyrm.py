"""BookWyrm's CSV export."""

from catalog.imports import values
from catalog.imports.formats.base import TABLE, Cells, Format
from catalog.imports.rows import DNF, READ, READING, WANT, ImportRow, Reading

SHELVES = {
    "to-read": WANT,
    "reading": READING,
    "read": READ,
    "stopped-reading": DNF,
}


def read_row(cells: Cells) -> ImportRow:
    shelf = cells.text("shelf")
    status = SHELVES.get(shelf.casefold(), WANT)
    tags = []
    if shelf and shelf.casefold() not in SHELVES:
        tags.append(cells.text("shelf_name") or shelf)  # a reader's own shelf
        cells.warnings.append(
            f"shelf “{tags[-1]}” is not a reading status: kept as a tag, the "
            "book as want to read."
        )
    started, finished = cells.day("start_date"), cells.day("finish_date")
    stopped = cells.day("stopped_date")
    review = "\n\n".join(
        part
        for part in (
            cells.text("review_name"),
            values.html_text(cells.text("review_content")),  # BookWyrm's HTML
        )
        if part
    )
    return cells.row(
        isbn13=cells.isbn13("isbn_13", "isbn_10"),
        title=cells.text("title"),
        authors=values.names(cells.text("author_text")),
        status=status,
        rating=cells.rating("rating"),
        readings=_readings(status, started, finished, stopped),
        tags=values.tag_list(",".join(tags)),
        review=review,
        added_on=cells.day("shelf_date"),
        pages=cells.count("pages") or None,
    )


def _readings(status: str, started, finished, stopped) -> list[Reading]:
    if stopped or status == DNF:
        return [Reading(started, stopped or finished, DNF)]
    if finished or status == READ:
        return [Reading(started, finished, READ)]
    if started or status == READING:
        return [Reading(started, None, READING)]
    return []


FORMAT = Format(
    key="bookwyrm",
    label="BookWyrm export",
    kind=TABLE,
    read_row=read_row,
    signature=("author_text", "remote_id"),
    required=("title", "author_text"),
)
