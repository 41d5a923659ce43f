"""Libib's export (30 columns; its import template names two dates differently)."""

from catalog.imports import values
from catalog.imports.formats.base import TABLE, Cells, Format
from catalog.imports.rows import (
    DNF,
    READ,
    READING,
    WANT,
    ImportRow,
    Reading,
    RowProblem,
    SeriesEntry,
)

STATUSES = {
    "completed": READ,
    "in progress": READING,
    "not begun": WANT,
    "abandoned": DNF,
}


def _either(cells: Cells, name: str) -> str:
    return name if cells.has(name) else f"{name}_date"


def read_row(cells: Cells) -> ImportRow:
    kind = cells.text("item_type").casefold()
    if kind and kind != "book":
        raise RowProblem(f"a {kind}, not a book: only books are imported")
    raw_status = cells.text("status")
    status = STATUSES.get(raw_status.casefold())
    if status is None and raw_status:
        raise RowProblem(
            f"unknown status “{raw_status}”; Libib writes Completed, In progress, "
            "Not begun or Abandoned"
        )
    began = cells.day(_either(cells, "began"))
    completed = cells.day(_either(cells, "completed"))
    status = status or (READ if completed else READING if began else WANT)
    copies = cells.count("copies")
    group = cells.text("group")
    return cells.row(
        isbn13=cells.isbn13("ean_isbn13", "upc_isbn10"),
        title=cells.text("title"),
        authors=values.names(cells.text("creators")),
        status=status,
        rating=cells.rating("rating"),
        readings=_readings(status, began, completed),
        owned=True if copies else None,
        tags=values.tag_list(cells.text("tags")),
        series=[SeriesEntry(group)] if group else [],
        notes=cells.text("notes"),
        review=cells.text("review"),
        added_on=cells.day("added"),
        publisher=cells.text("publisher"),
        published=cells.text("publish_date"),
        pages=cells.count("length") or None,
        description=cells.text("description"),
    )


def _readings(status: str, began, completed) -> list[Reading]:
    if status in (READ, DNF):
        return [Reading(began, completed, status)]
    if status == READING:
        return [Reading(began, None, READING)]
    return []


FORMAT = Format(
    key="libib",
    label="Libib export",
    kind=TABLE,
    read_row=read_row,
    signature=("ean_isbn13", "creators"),
    hints=("item_type", "upc_isbn10"),
    required=("title", "creators", "ean_isbn13"),
)
