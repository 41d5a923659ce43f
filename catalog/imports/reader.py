"""Open an uploaded file, tell its format, and read its rows one at a time."""

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import BinaryIO

from catalog.imports import decoding, fitting, formats, records
from catalog.imports.formats import (
    JSON,
    LINES,
    Cells,
    Format,
    isbnlist,
    native,
    native_export,
)
from catalog.imports.rows import ImportFileError, ImportRow, RowError, RowProblem, Span

Result = ImportRow | RowError


class ImportFile:
    """A file ready to read: its format, encoding and header.

    ``rows(start)`` reads from the row of index ``start`` on (a job resumes
    there); each row comes as an ImportRow or a RowError with its line.
    """

    def __init__(
        self,
        decoded: decoding.Decoded,
        fmt: Format,
        delimiter: str = ",",
        names: list[str] | None = None,
        header_lines: tuple[int, int] = (0, 0),
    ):
        self._decoded = decoded
        self.format = fmt
        self.delimiter = delimiter
        self.columns = list(names or [])
        self.header_lines = header_lines
        self._index = {}
        for position, name in enumerate(self.columns):
            self._index.setdefault(formats.column_key(name), position)
        self.quoting = fmt.quoting or delimiter != fmt.delimiter
        self.variant = fmt.variants(set(self._index))

    @property
    def encoding(self) -> str:
        return self._decoded.encoding

    def rows(self, start: int = 0) -> Iterator[Result]:
        """Yield each row from index ``start`` on, read or refused."""
        if self.format.kind == JSON:
            return self._json_rows(start)
        if self.format.kind == LINES:
            return self._list_rows(start)
        return self._table_rows(start)

    @property
    def has_photos(self) -> bool:
        """Whether the file is an export ZIP, which may hold cover photos."""
        return self._decoded.bundle is not None

    def photo(self, name: str) -> bytes:
        """Return a cover photo a record names, from the export ZIP.

        Raises RowProblem saying why it cannot be had (no ZIP, not in it,
        damaged, too large...).
        """
        if self._decoded.bundle is None:
            raise RowProblem(
                f"cover {name[:80]} not restored: the photos come with the ZIP "
                "export; import the ZIP itself to have them"
            )
        return self._decoded.bundle.photo(name)

    def count(self) -> int:
        """Return how many rows the file has (a fast pass that reads no values)."""
        return sum(1 for _ in self._spans())

    def _spans(self) -> Iterator[object]:
        if self.format.kind == JSON:
            return native.items(decoding.text_chunks(self._decoded))
        if self.format.kind == LINES:
            return _list_lines(decoding.text_lines(self._decoded))
        return self._data_records()

    def _data_records(self) -> Iterator[records.Record]:
        scanned = records.scan(
            decoding.text_lines(self._decoded), self.delimiter, self.quoting
        )
        for record in scanned:
            if record.line > self.header_lines[1] and not records.is_blank(record):
                yield record

    def _table_rows(self, start: int) -> Iterator[Result]:
        for index, record in enumerate(self._data_records()):
            if index >= start:
                yield self._table_row(record, Span(index, record.line, record.end_line))

    def _table_row(self, record: records.Record, span: Span) -> Result:
        try:
            values = self._cells(record)
            row = self.format.read_row(Cells(self._index, self.columns, values, span))
            return fitting.fit(row)
        except RowProblem as problem:
            return RowError(span.index, span.line, span.end_line, str(problem))

    def _cells(self, record: records.Record) -> list[str]:
        # The reason follows the row's line numbers ("Lines 4 to 5: ..."):
        # it does not name them again.
        if record.too_large:
            raise RowProblem(
                f"row too large: over {records.MAX_ROW_CHARS:,} characters; "
                "shorten its longest field"
            )
        if record.cut:
            raise RowProblem(
                "row cut short inside a quoted field: the file ends before the "
                "field closes, as if it was truncated"
            )
        try:
            values = records.cells(record, self.delimiter, self.quoting)
        except csv.Error:
            values = None
        if values is None or any(len(v) > records.MAX_FIELD_CHARS for v in values):
            raise RowProblem(self._too_long(values))
        if len(values) < len(self.columns):
            raise RowProblem(
                f"row cut short: {len(values)} of {len(self.columns)} columns"
            )
        if len(values) > len(self.columns):
            raise RowProblem(
                f"row has {len(values)} columns but the header has "
                f"{len(self.columns)}: a stray separator or quote"
            )
        return values

    def _too_long(self, values: list[str] | None) -> str:
        for position, value in enumerate(values or []):
            if len(value) > records.MAX_FIELD_CHARS:
                name = (
                    self.columns[position]
                    if position < len(self.columns)
                    else "a field"
                )
                return (
                    f"field too large: {name} holds {len(value):,} characters, "
                    f"over the {records.MAX_FIELD_CHARS:,} one field may hold"
                )
        return (
            f"field too large: a field holds over {records.MAX_FIELD_CHARS:,} "
            "characters"
        )

    def _list_rows(self, start: int) -> Iterator[Result]:
        for index, (number, text) in enumerate(
            _list_lines(decoding.text_lines(self._decoded))
        ):
            if index < start:
                continue
            span = Span(index, number, number)
            try:
                yield fitting.fit(isbnlist.read_line(text, span))
            except RowProblem as problem:
                yield RowError(index, number, number, str(problem))

    def _json_rows(self, start: int) -> Iterator[Result]:
        for item in islice(
            native.items(decoding.text_chunks(self._decoded)), start, None
        ):
            if item.problem:
                yield RowError(item.index, item.line, item.end_line, item.problem)
                continue
            try:
                yield fitting.fit(native.read_record(item))
            except RowProblem as problem:
                yield RowError(item.index, item.line, item.end_line, str(problem))

    def write_failed(self, spans: Iterable[Span], out: BinaryIO) -> int:
        """Write the given rows as the source wrote them, after its header.

        Same encoding, delimiter, quoting and line endings, each row's own text,
        so the reader can fix them and upload the file again. Returns how many
        rows were written.
        """
        wanted = sorted(spans, key=lambda s: s.index)
        writer = io.TextIOWrapper(out, encoding=self.encoding, newline="")
        try:
            if self.format.kind == JSON:
                return self._write_json(wanted, writer)
            return _copy_lines(
                decoding.text_lines(self._decoded), wanted, self.header_lines, writer
            )
        finally:
            writer.flush()
            writer.detach()

    def _write_json(self, wanted: list[Span], writer: io.TextIOWrapper) -> int:
        indexes = {s.index for s in wanted}
        envelope: dict = {}
        chunks = decoding.text_chunks(self._decoded)
        texts = (
            item.text
            for item in native.items(chunks, envelope)
            if item.index in indexes and item.text
        )
        # The envelope is read before the first record, so it is known by then.
        first = next(texts, None)
        if first is None:
            return native_export.write(
                [], writer, exported_at=envelope.get("exported_at", "")
            )
        return native_export.write(
            _chain(first, texts), writer, exported_at=envelope.get("exported_at", "")
        )


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _list_lines(
    pieces: Iterable[str], *, skip_header: bool = True
) -> Iterator[tuple[int, str]]:
    seen_content = continuing = False
    for number, line, ends in records.numbered(pieces):
        skip, continuing = continuing, not ends
        text = isbnlist.content(line)
        if skip or not text:
            continue  # a blank line, a comment, or the rest of a long line
        if skip_header and not seen_content and isbnlist.is_header(text):
            seen_content = True
            continue
        seen_content = True
        yield number, text[:100]  # an ISBN is far shorter


def _copy_lines(
    pieces: Iterable[str],
    wanted: list[Span],
    header: tuple[int, int],
    writer: io.TextIOWrapper,
) -> int:
    ranges = [(header[0], header[1])] if header[0] else []
    ranges += sorted((s.line, s.end_line) for s in wanted)
    position, ending, ends = 0, "\n", True
    for number, piece, ends in records.numbered(pieces):
        while position < len(ranges) and ranges[position][1] < number:
            position += 1
        if position == len(ranges):
            break
        if ends:
            ending = "\r\n" if piece.endswith("\r\n") else piece[-1]
        if ranges[position][0] <= number:
            writer.write(piece)
    if ranges and not ends:
        writer.write(ending)  # the file's last line had no line ending
    return len(wanted)


def open_import(data: BinaryIO, *, format: str | None = None) -> ImportFile:
    """Open a seekable binary file for import, its format detected or chosen.

    Raises ImportFileError, with a message a person can act on, for a file that
    cannot be imported at all: empty, not text, garbled encoding, an account
    data ZIP, an unknown format or missing columns.
    """
    decoded = decoding.decode(data)
    chosen = formats.get(format) if format else None
    head = next(decoding.text_chunks(decoded, 4096), "").lstrip("\ufeff \t\r\n")
    if (chosen and chosen.kind == JSON) or (not chosen and head[:1] in ("{", "[")):
        return _open_json(decoded)
    first = _first_content(decoded)
    if first is None:
        raise ImportFileError("The file is empty: it holds only blank lines.")
    number, line = first
    listed = next(_list_lines(decoding.text_lines(decoded), skip_header=False), None)
    text = listed[1] if listed else ""
    if (chosen and chosen.kind == LINES) or (
        not chosen and (isbnlist.is_header(text) or isbnlist.looks_like(text))
    ):
        return _open_list(decoded)
    fmt, delimiter, names = formats.match_table(line, chosen)
    opened = ImportFile(decoded, fmt, delimiter, names, (number, number))
    if next(opened._data_records(), None) is None:
        raise ImportFileError(
            f"This {fmt.label} has its header but no books below it. Export it "
            "again, or check that the right file was chosen."
        )
    return opened


def _first_content(decoded: decoding.Decoded) -> tuple[int, str] | None:
    for number, line in enumerate(decoding.text_lines(decoded), start=1):
        if line.strip().strip("\ufeff"):
            return number, line
    return None


def _open_json(decoded: decoding.Decoded) -> ImportFile:
    opened = ImportFile(decoded, native.FORMAT)
    next(native.items(decoding.text_chunks(decoded)), None)  # checks the envelope
    return opened


def _open_list(decoded: decoding.Decoded) -> ImportFile:
    opened = ImportFile(decoded, isbnlist.FORMAT)
    if next(_list_lines(decoding.text_lines(decoded)), None) is None:
        raise ImportFileError("This list holds no ISBNs, only comments or a header.")
    return opened
