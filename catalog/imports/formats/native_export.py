"""Write this app's JSON export, version 1: the envelope, then one record a line.

``native`` reads what this writes; the README lists the fields.
"""

import json
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, TextIO

from catalog.imports.formats.native import FORMAT_NAME, VERSION
from catalog.imports.rows import ImportRow


def record_json(row: ImportRow) -> dict[str, Any]:
    """Return a row as an export record (the fields the README lists)."""

    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "isbn13": row.isbn13,
        "title": row.title,
        "subtitle": row.subtitle,
        "authors": list(row.authors),
        "publisher": row.publisher,
        "published": row.published,
        "pages": row.pages,
        "language": row.language,
        "description": row.description,
        "status": row.status,
        "rating": row.rating,
        "owned": row.owned,
        "location": row.location,
        "notes": row.notes,
        "review": row.review,
        "tags": list(row.tags),
        "series": [{"name": s.name, "position": s.position} for s in row.series],
        "readings": [
            {
                "started_on": day(r.started_on),
                "finished_on": day(r.finished_on),
                "outcome": r.outcome,
                "progress_page": r.progress_page,
                "progress_percent": r.progress_percent,
            }
            for r in row.readings
        ],
        "loans": [
            {
                "direction": loan.direction,
                "person": loan.person,
                "email": loan.email,
                "lent_on": day(loan.lent_on),
                "due_on": day(loan.due_on),
                "returned_on": day(loan.returned_on),
                "note": loan.note,
                "remind_person": loan.remind_person,
            }
            for loan in row.loans
        ],
        "added_on": day(row.added_on),
    }


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return float(o)  # ratings are halves: exact as binary fractions
        return super().default(o)


def chunks(
    records: Iterable[dict[str, Any] | str], *, exported_at: str
) -> Iterator[str]:
    """Yield an export's text piece by piece: the envelope, then a record a line.

    A record given as text is written as it is (the failed-rows file keeps a
    record's own text).
    """
    head = {"format": FORMAT_NAME, "version": VERSION, "exported_at": exported_at}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "records": [\n'
    written = 0
    for record in records:
        text = (
            record
            if isinstance(record, str)
            else json.dumps(record, ensure_ascii=False, cls=_Encoder)
        )
        yield (",\n" + text) if written else text
        written += 1
    yield "\n]}\n" if written else "]}\n"


def write(
    records: Iterable[dict[str, Any] | str], out: TextIO, *, exported_at: str
) -> int:
    """Write an export (see ``chunks``) to ``out``; return the count of records."""
    counted = _Counted(records)
    for piece in chunks(counted, exported_at=exported_at):
        out.write(piece)
    return counted.count


class _Counted:
    def __init__(self, records: Iterable[dict[str, Any] | str]):
        self.records = records
        self.count = 0

    def __iter__(self) -> Iterator[dict[str, Any] | str]:
        for record in self.records:
            self.count += 1
            yield record
