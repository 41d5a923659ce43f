"""Goodreads' library export (23, 24 or 31 columns over the years)."""

import re

from catalog.imports import values
from catalog.imports.formats.base import TABLE, Cells, Format, column_key
from catalog.imports.rows import (
    DNF,
    READ,
    READING,
    WANT,
    ImportRow,
    Reading,
    SeriesEntry,
)

SHELVES = {
    "read": READ,
    "currently-reading": READING,
    "to-read": WANT,
    "did-not-finish": DNF,
    "dnf": DNF,
    "abandoned": DNF,
}
# Shelves that say the reader wants the book but does not own it.
WISHLIST = {"wishlist", "wish-list", "wish list"}
# "Dune (Dune Chronicles, #1)": Goodreads writes the series into the title.
_SERIES = re.compile(r"\s*\(([^()]+?),?\s+#([0-9][0-9.\-–]*)\)\s*$")


def _variant(keys: set[str]) -> str:
    if column_key("Recommended For") in keys:
        return "31 columns, before October 2022"
    if column_key("Average Rating") in keys:
        return "24 columns, 2022 to 2026"
    return "23 columns"


def is_wishlist(shelf: str) -> bool:
    """True for a shelf named "wishlist", "wish-list" or "wish list"."""
    return " ".join(shelf.split()).casefold() in WISHLIST


def read_row(cells: Cells) -> ImportRow:
    # This app's own Goodreads-layout export escapes formula signs.
    cells = cells.without_formula_escapes()
    title, series = split_series(cells.text("Title"))
    shelf = cells.text("Exclusive Shelf").casefold()
    status = SHELVES.get(shelf, WANT)
    copies = cells.count("Owned Copies")
    shelves = values.tag_list(cells.text("Bookshelves"))
    # Goodreads writes 0 copies for most books: only a wishlist shelf says a
    # book is not owned. It is no tag, unless copies say the book is owned.
    wished = not copies and (is_wishlist(shelf) or any(map(is_wishlist, shelves)))
    tags = [
        t
        for t in shelves
        if t.casefold() not in SHELVES
        and t.casefold() != shelf
        and not (wished and is_wishlist(t))
    ]
    if shelf and shelf not in SHELVES and not (wished and is_wishlist(shelf)):
        tags.insert(0, cells.text("Exclusive Shelf"))
        cells.warnings.append(
            f"shelf “{cells.text('Exclusive Shelf')}” is not a reading status: "
            "kept as a tag, the book as want to read."
        )
    authors = values.names(cells.text("Author"))
    authors += [
        a for a in values.names(cells.text("Additional Authors")) if a not in authors
    ]
    return cells.row(
        isbn13=cells.isbn13("ISBN13", "ISBN"),
        title=title,
        authors=authors,
        status=status,
        rating=cells.rating("My Rating"),
        readings=_readings(cells, status),
        owned=True if copies else False if wished else None,
        tags=tags,
        series=series,
        notes=cells.text("Private Notes"),
        review=values.html_text(cells.text("My Review")),
        added_on=cells.day("Date Added"),
        publisher=cells.text("Publisher"),
        published=cells.text("Year Published")
        or cells.text("Original Publication Year"),
        pages=cells.count("Number of Pages") or None,
    )


def split_series(title: str) -> tuple[str, list[SeriesEntry]]:
    """Split "Dune (Dune Chronicles, #1)" into its title and its series."""
    match = _SERIES.search(title)
    if not match or match.start() == 0:
        return title, []
    return title[: match.start()], [SeriesEntry(match[1].strip(), match[2])]


def _readings(cells: Cells, status: str) -> list[Reading]:
    # Only the latest reading has a date; Read Count tells how many there were.
    finished = cells.day("Date Read")
    times = cells.count("Read Count") or 0
    if status == READ:
        earlier = [Reading(None, None, READ)] * max(times - 1, 0)
        return [*earlier, Reading(None, finished, READ)]
    if status == DNF:
        return [Reading(None, finished, DNF)]
    readings = [Reading(None, finished, READ)] if finished else []
    if status == READING:
        readings.append(Reading(None, None, READING))
    return readings


FORMAT = Format(
    key="goodreads",
    label="Goodreads library export",
    kind=TABLE,
    read_row=read_row,
    signature=("Book Id", "Exclusive Shelf", "My Rating", "Bookshelves"),
    required=("Title", "Author", "ISBN13", "Exclusive Shelf"),
    variants=_variant,
)
