"""Rows of one file that name the same book: the first occurrence wins."""

import re

from catalog.imports.rows import ImportRow
from catalog.search import fold

_NOT_WORD = re.compile(r"[\W_]+")


def title_key(title: str, authors: list[str]) -> str:
    """Return how a title and its authors are compared: folded, punctuation ignored."""
    words = _NOT_WORD.sub(" ", fold(title)).strip()
    if not words:
        return ""
    people = sorted(_NOT_WORD.sub(" ", fold(a)).strip() for a in authors)
    return words + "|" + "|".join(p for p in people if p)


class DuplicateFinder:
    """Remembers the rows seen so far, by ISBN-13 and by title and authors.

    A row with an ISBN is the same book as an earlier row with that ISBN (an
    ISBN-10 and an ISBN-13 of one book are one ISBN-13); a row without one is
    the same book as an earlier row with its title and authors. A job resuming
    part way through feeds it the rows before the resume point first.
    """

    def __init__(self) -> None:
        self._isbns: dict[str, int] = {}
        self._titles: dict[str, int] = {}

    def first_line(self, row: ImportRow) -> int | None:
        """Return the line of an earlier row for the same book, or None.

        A row seen for the first time is remembered.
        """
        key = title_key(row.title, row.authors)
        if row.isbn13:
            earlier = self._isbns.get(row.isbn13)
        else:
            earlier = self._titles.get(key) if key else None
        if earlier is not None:
            return earlier
        if row.isbn13:
            self._isbns[row.isbn13] = row.line
        if key:
            self._titles.setdefault(key, row.line)
        return None
