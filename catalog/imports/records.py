"""Split text into records: a header's cells, then each row's cells and lines.

A CSV record may span lines (a quoted field holding line breaks). The scanner
follows the quoting exactly as Python's csv module reads it, so it knows where
each record starts and ends without the csv module's field size limit (a
process-wide setting) deciding for it: a record past ``MAX_ROW_CHARS`` is kept
only as its line numbers, a row cut inside a quoted field is reported as cut,
and reading goes on with the next record either way.
"""

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# The most text one row may hold, and one field. A reader's notes hold at most
# 50,000 characters; a row past these is an error, never cut short silently.
MAX_ROW_CHARS = 1_000_000
MAX_FIELD_CHARS = 100_000
# The csv module refuses a field over its limit (131,072 by default); rows
# are parsed one at a time and a refusal there is that row's error.

_QUOTED_RUN = re.compile(r'[^"]*(?:""[^"]*)*')


@dataclass
class Record:
    """One record: its lines, its text (None when too large) and its cells."""

    line: int
    end_line: int
    text: str | None
    cut: bool = False

    @property
    def too_large(self) -> bool:
        return self.text is None


def numbered(pieces: Iterable[str]) -> Iterator[tuple[int, str, bool]]:
    """Yield each piece of text with its line number and whether it ends the line."""
    number = 1
    for piece in pieces:
        ends = piece.endswith(("\n", "\r"))
        yield number, piece, ends
        number += ends


def scan(pieces: Iterable[str], delimiter: str, quoting: bool) -> Iterator[Record]:
    """Yield the records of the text; with no quoting, a record is one line."""
    start, parts, size, quoted = 0, [], 0, False
    number = 0
    for number, piece, ends in numbered(pieces):
        start = start or number
        size += len(piece)
        if size <= MAX_ROW_CHARS:
            parts.append(piece)
        if quoting and (quoted or '"' in piece):
            quoted = _ends_quoted(piece, delimiter, quoted=quoted)
        if ends and not quoted:
            yield Record(
                start, number, "".join(parts) if size <= MAX_ROW_CHARS else None
            )
            start, parts, size = 0, [], 0
    if start:
        text = "".join(parts) if size <= MAX_ROW_CHARS else None
        yield Record(start, number, text, cut=quoted)


def _ends_quoted(line: str, delimiter: str, *, quoted: bool) -> bool:
    """Tell whether ``line`` ends inside a quoted field (csv's own rules)."""
    pos, end = 0, len(line)
    while True:
        if quoted:
            pos = _QUOTED_RUN.match(line, pos).end()
            if pos >= end:
                return True
            quoted = False  # the closing quote; what follows it is plain text
            pos += 1
        elif pos < end and line[pos] == '"':
            quoted = True
            pos += 1
            continue
        found = line.find(delimiter, pos)
        if found < 0:
            return False
        pos = found + 1


def cells(record: Record, delimiter: str, quoting: bool) -> list[str]:
    """Return the fields of a record that is neither cut nor too large."""
    text = record.text or ""
    if not quoting or '"' not in text:
        return text.rstrip("\r\n").split(delimiter)
    reader = csv.reader([text], delimiter=delimiter, strict=False)
    return next(reader, [])


def is_blank(record: Record) -> bool:
    return record.text is not None and not record.text.strip()
