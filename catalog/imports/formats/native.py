"""This app's own JSON export, version 1: read a record at a time, losslessly.

The file is one object: ``format`` ("booklibrary"), ``version`` (1),
``exported_at``, then ``records``, a list with one object per record (the
fields are listed in the README). The export writes one record a line; the
reader takes any layout, keeping at most one record in memory at a time, and
ignores fields it does not know (a later version may add some).
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from catalog import isbn
from catalog.imports.formats.base import JSON, Format
from catalog.imports.records import MAX_ROW_CHARS
from catalog.imports.rows import (
    BORROWED,
    LENT,
    OUTCOMES,
    STATUSES,
    ImportFileError,
    ImportLoan,
    ImportRow,
    Reading,
    RowProblem,
    SeriesEntry,
    Span,
)

FORMAT_NAME = "booklibrary"
VERSION = 1
RATINGS = tuple(Decimal(half) / 2 for half in range(1, 11))
_RECORDS = re.compile(r'"records"\s*:\s*\[')
_DECODER = json.JSONDecoder(parse_float=Decimal)
_SKIP = re.compile(r"[ \t\r\n,]*")
HEAD_CHARS = 1 << 20
NOT_OURS = (
    "This JSON file is not a Book Library export. Upload the JSON this app "
    "exported, or your other app's CSV export."
)


@dataclass
class Item:
    """One element of ``records``: its value and text, or why it is unreadable."""

    index: int
    line: int
    end_line: int
    value: Any = None
    text: str = ""
    problem: str = ""


def _head(chunks: Iterator[str]) -> tuple[dict, str, int]:
    buffer = ""
    while (found := _RECORDS.search(buffer)) is None:
        piece = next(chunks, None)
        if piece is None or len(buffer) > HEAD_CHARS:
            raise ImportFileError(NOT_OURS)
        buffer += piece
    start = buffer[: found.start()].strip().rstrip(",")
    try:
        envelope = json.loads(start + "}")
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT_NAME:
        raise ImportFileError(NOT_OURS)
    version = envelope.get("version")
    if version != VERSION:
        if isinstance(version, int) and version > VERSION:
            raise ImportFileError(
                f"This export is version {version}, made by a newer Book Library; "
                f"this one reads version {VERSION}. Update it, then import again."
            )
        raise ImportFileError(f"This export's version ({version!r}) is unknown.")
    return envelope, buffer, found.end()


def items(chunks: Iterator[str], envelope: dict | None = None) -> Iterator[Item]:
    """Yield the export's records one by one; a broken record ends the reading.

    ``envelope``, when given, receives the fields written before the records.
    """
    head, buffer, pos = _head(chunks)
    if envelope is not None:
        envelope.update(head)
    line = 1 + buffer.count("\n", 0, pos)
    index = 0
    done = False
    while True:
        while True:
            skipped = _SKIP.match(buffer, pos).end()
            line += buffer.count("\n", pos, skipped)
            pos = skipped
            if pos < len(buffer) or done:
                break
            piece = next(chunks, None)
            buffer, pos, done = buffer[pos:] + (piece or ""), 0, piece is None
        if pos >= len(buffer):
            yield Item(
                index,
                line,
                line,
                problem="the file ends before its list of "
                "records closes: it was cut short",
            )
            return
        if buffer[pos] == "]":
            return
        try:
            value, end = _DECODER.raw_decode(buffer, pos)
        except ValueError:
            if not done and len(buffer) - pos < MAX_ROW_CHARS:
                piece = next(chunks, None)
                buffer, pos, done = buffer[pos:] + (piece or ""), 0, piece is None
                continue
            reason = (
                "the file ends inside this record: it was cut short"
                if done
                else "this record is not valid JSON"
            )
            yield Item(
                index, line, line, problem=reason + "; nothing after it could be read"
            )
            return
        text = buffer[pos:end]
        end_line = line + text.count("\n")
        yield Item(index, line, end_line, value=value, text=text)
        line, pos, index = end_line, end, index + 1


def read_record(item: Item) -> ImportRow:
    """Return the ImportRow of one record, or raise RowProblem."""
    record = item.value
    if not isinstance(record, dict):
        raise RowProblem("a record must be a JSON object")
    status = _text(record, "status") or "want"
    if status not in STATUSES:
        raise RowProblem(f"status “{status}” is not one of {', '.join(STATUSES)}")
    span = Span(item.index, item.line, item.end_line)
    return ImportRow(
        index=span.index,
        line=span.line,
        end_line=span.end_line,
        isbn13=_isbn(record),
        title=_text(record, "title"),
        subtitle=_text(record, "subtitle"),
        authors=_texts(record, "authors"),
        publisher=_text(record, "publisher"),
        published=_text(record, "published"),
        pages=_number(record, "pages"),
        language=_text(record, "language"),
        description=_text(record, "description"),
        status=status,
        rating=_rating(record),
        owned=_owned(record),
        location=_text(record, "location"),
        notes=_text(record, "notes"),
        review=_text(record, "review"),
        tags=_texts(record, "tags"),
        series=[
            SeriesEntry(_text(s, "name"), _text(s, "position"))
            for s in _objects(record, "series")
        ],
        readings=[_reading(r) for r in _objects(record, "readings")],
        loans=[_loan(loan) for loan in _objects(record, "loans")],
        added_on=_date(record, "added_on"),
        cover=_text(record, "cover"),
    )


def _text(record: dict, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowProblem(f"“{key}” must be text")
    return value


def _texts(record: dict, key: str) -> list[str]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RowProblem(f"“{key}” must be a list of text")
    return value


def _objects(record: dict, key: str) -> list[dict]:
    value = record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RowProblem(f"“{key}” must be a list of objects")
    return value


def _number(record: dict, key: str) -> int | None:
    value = record.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise RowProblem(f"“{key}” must be a whole number or null")


def _date(record: dict, key: str) -> date | None:
    value = record.get(key)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RowProblem(
            f"unreadable date “{value}” in {key}; write it as YYYY-MM-DD"
        ) from None


def _isbn(record: dict) -> str | None:
    value = _text(record, "isbn13")
    if not value:
        return None
    try:
        return isbn.to_isbn13(value)
    except isbn.InvalidISBN as error:
        raise RowProblem(f"isbn13 “{value}”: {error}") from error


def _rating(record: dict) -> Decimal | None:
    value = record.get("rating")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise RowProblem("“rating” must be a number or null")
    rating = Decimal(value)
    if rating not in RATINGS:
        raise RowProblem(f"rating {value} is not a half star from 0.5 to 5")
    return rating.quantize(Decimal("0.1"))


def _owned(record: dict) -> bool | None:
    value = record.get("owned")
    if value is None or isinstance(value, bool):
        return value
    raise RowProblem("“owned” must be true or false")


def _reading(value: dict) -> Reading:
    outcome = _text(value, "outcome")
    if outcome not in OUTCOMES:
        raise RowProblem(
            f"reading outcome “{outcome}” is not one of {', '.join(OUTCOMES)}"
        )
    page = _number(value, "progress_page")
    percent = _number(value, "progress_percent")
    if page is not None and percent is not None:
        raise RowProblem("a reading's progress is a page or a percent, not both")
    if (page is not None and page < 0) or (
        percent is not None and not 0 <= percent <= 100
    ):
        raise RowProblem(
            "a reading's progress is a page from 0 or a percent from 0 to 100"
        )
    return Reading(
        _date(value, "started_on"),
        _date(value, "finished_on"),
        outcome,
        progress_page=page,
        progress_percent=percent,
    )


def _loan(value: dict) -> ImportLoan:
    direction = _text(value, "direction")
    if direction not in (LENT, BORROWED):
        raise RowProblem(f"loan direction “{direction}” is not lent or borrowed")
    return ImportLoan(
        direction=direction,
        person=_text(value, "person"),
        email=_text(value, "email"),
        lent_on=_date(value, "lent_on"),
        due_on=_date(value, "due_on"),
        returned_on=_date(value, "returned_on"),
        note=_text(value, "note"),
        remind_person=_flag(value, "remind_person"),
    )


def _flag(record: dict, key: str) -> bool:
    value = record.get(key, False)
    if not isinstance(value, bool):
        raise RowProblem(f"“{key}” must be true or false")
    return value


FORMAT = Format(key="booklibrary", label="Book Library JSON export", kind=JSON)
