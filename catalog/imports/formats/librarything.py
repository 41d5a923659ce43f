"""LibraryThing's tab-separated export (no quoting; 49 columns)."""

from catalog.imports import values
from catalog.imports.formats.base import TABLE, Cells, Format
from catalog.imports.rows import (
    LENT,
    READ,
    READING,
    WANT,
    ImportLoan,
    ImportRow,
    Reading,
)

# LibraryThing's own collections; any other collection becomes a tag.
COLLECTIONS = (
    "your library",
    "wishlist",
    "currently reading",
    "to read",
    "read but unowned",
)

# Collections that say the reader does not own the book.
UNOWNED = {"wishlist", "read but unowned"}


def _text(cells: Cells, name: str) -> str:
    return cells.text(name).replace("[Return]", "\n").strip()


def read_row(cells: Cells) -> ImportRow:
    collections = values.names(cells.text("Collections"))
    keys = {c.casefold() for c in collections}
    started, finished = cells.day("Date Started"), cells.day("Date Read")
    status = _status(keys, started, finished)
    owned = _owned(keys)
    tags = values.tag_list(cells.text("Tags"))
    tags += [c for c in collections if c.casefold() not in COLLECTIONS]
    notes = [_text(cells, "Private Comment"), _text(cells, "Comment")]
    return cells.row(
        isbn13=_isbn(cells),
        title=cells.text("Title"),
        authors=_authors(cells),
        status=status,
        rating=cells.rating("Rating"),
        readings=_readings(status, started, finished),
        owned=owned,
        tags=values.tag_list(",".join(tags)),
        notes="\n\n".join(n for n in notes if n),
        review=values.html_text(_text(cells, "Review")),
        loans=_loans(cells),
        added_on=cells.day("Entry Date"),
        publisher=cells.text("Publication").split(" (")[0].strip(),
        published=cells.text("Date"),
        pages=cells.count("Page Count") or None,
        language=values.first_language(
            cells.text("Languages"), cells.name("Languages"), cells.warnings
        ),
    )


def _isbn(cells: Cells) -> str | None:
    # "ISBN" is "[0547928227]", "ISBNs" "054792822X, 9780547928227": any valid one.
    pairs = [(cells.name("ISBN"), cells.raw("ISBN"))] if cells.has("ISBN") else []
    if cells.has("ISBNs"):
        pairs += [(cells.name("ISBNs"), part) for part in cells.raw("ISBNs").split(",")]
    return values.first_isbn13(pairs, cells.warnings)


def _authors(cells: Cells) -> list[str]:
    authors = [values.last_first(cells.text("Primary Author"))]
    others = cells.text("Secondary Author").split("|")
    roles = cells.text("Secondary Author Role").split("|")
    for position, name in enumerate(others):
        role = roles[position].strip().casefold() if position < len(roles) else ""
        if name.strip() and role in ("", "author"):
            authors.append(values.last_first(name))
    return values.names("|".join(authors), "|")


def _owned(collections: set[str]) -> bool | None:
    """Owned in "Your library"; not in "Read but unowned" or "Wishlist"."""
    if "your library" in collections:
        return True
    if collections & UNOWNED:
        return False
    return None


def _status(collections: set[str], started, finished) -> str:
    if finished:
        return READ
    if started or "currently reading" in collections:
        return READING
    if "read but unowned" in collections:
        return READ
    return WANT


def _readings(status: str, started, finished) -> list[Reading]:
    if finished or status == READ:
        return [Reading(started, finished, READ)]
    if status == READING:
        return [Reading(started, None, READING)]
    return []


def _loans(cells: Cells) -> list[ImportLoan]:
    person = cells.text("Lending Patron")
    if not person:
        return []
    return [
        ImportLoan(
            direction=LENT,
            person=person,
            lent_on=cells.day("Lending Start"),
            returned_on=cells.day("Lending End"),
            note=cells.text("Lending Status"),
        )
    ]


FORMAT = Format(
    key="librarything",
    label="LibraryThing export (tab-separated)",
    kind=TABLE,
    read_row=read_row,
    signature=("Primary Author", "Collections"),
    hints=("Sort Character", "Dewey Decimal", "Lending Patron", "Book Id"),
    required=("Title", "Primary Author", "ISBN"),
    delimiter="\t",
    quoting=False,
)
