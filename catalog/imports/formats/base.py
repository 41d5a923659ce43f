"""What every format shares: how it is named, recognised, and reads one row."""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.imports import values
from catalog.imports.rows import ImportRow, RowProblem, Span

TABLE = "table"
LINES = "lines"
JSON = "json"


@functools.lru_cache(maxsize=4096)
def column_key(name: str) -> str:
    """Return how a header name is compared: case, spacing and a BOM ignored."""
    return " ".join(name.replace("\ufeff", "").split()).casefold()


class Cells:
    """One row's cells by header name; a column the file lacks reads as empty."""

    def __init__(
        self,
        columns: dict[str, int],
        names: Sequence[str],
        row: Sequence[str],
        span: Span,
    ) -> None:
        self._columns = columns
        self._names = names
        self._row = row
        self.span = span
        self.warnings: list[str] = []

    def without_formula_escapes(self) -> "Cells":
        """The same cells with the apostrophe of a formula escape taken off."""
        cells = [values.formula_unescaped(value) for value in self._row]
        return Cells(self._columns, self._names, cells, self.span)

    def has(self, name: str) -> bool:
        return column_key(name) in self._columns

    def raw(self, name: str) -> str:
        position = self._columns.get(column_key(name))
        return "" if position is None else self._row[position]

    def name(self, name: str) -> str:
        """Return the column's name as the file writes it, for messages."""
        position = self._columns.get(column_key(name))
        return name if position is None else self._names[position].strip("\ufeff ")

    def _value(self, name: str) -> tuple[str, str]:
        position = self._columns.get(column_key(name))
        if position is None:
            return "", name
        return self._row[position], self._names[position].strip("\ufeff ")

    def text(self, name: str) -> str:
        raw, column = self._value(name)
        return values.text(raw, column, self.warnings) if raw else ""

    def day(self, name: str):
        raw, column = self._value(name)
        return values.day(raw, column) if raw else None

    def rating(self, name: str):
        raw, column = self._value(name)
        return values.rating(raw, column, self.warnings) if raw else None

    def count(self, name: str) -> int | None:
        raw, column = self._value(name)
        return values.count(raw, column) if raw else None

    def isbn13(self, *names: str) -> str | None:
        pairs = [(self.name(n), self.raw(n)) for n in names if self.has(n)]
        return values.first_isbn13(pairs, self.warnings)

    def row(self, **fields: Any) -> ImportRow:
        """Return the ImportRow of these cells; a row needs a title or an ISBN."""
        if not fields.get("title") and not fields.get("isbn13"):
            raise RowProblem("no title and no ISBN: nothing to say which book it is")
        return ImportRow(
            index=self.span.index,
            line=self.span.line,
            end_line=self.span.end_line,
            warnings=self.warnings,
            **fields,
        )


@dataclass(frozen=True)
class Format:
    """A file format: how to split it, how to know it, how to read a row.

    A table is recognised when its header has every ``signature`` column and,
    if ``hints`` are given, at least one of them; ``required`` columns must be
    there for an import to start (named when missing).
    """

    key: str
    label: str
    kind: str
    read_row: Callable[[Cells], ImportRow] | None = None
    signature: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    delimiter: str = ","
    quoting: bool = True
    variants: Callable[[set[str]], str] = field(default=lambda keys: "")

    def matches(self, keys: set[str]) -> bool:
        if not self.signature:
            return False
        if not all(column_key(c) in keys for c in self.signature):
            return False
        return not self.hints or any(column_key(c) in keys for c in self.hints)

    def closeness(self, keys: set[str]) -> float:
        wanted = self.signature + self.required
        if not wanted:
            return 0.0
        return sum(column_key(c) in keys for c in wanted) / len(wanted)

    def missing(self, keys: set[str]) -> list[str]:
        return [c for c in self.required if column_key(c) not in keys]
