"""A record's readings: every time the book was read, and how each one ended.

A reading is a plain dict, stored as a JSON list on the record, oldest first::

    {"id": 2, "started_on": "2025-03-01", "finished_on": None,
     "outcome": "reading", "progress_page": 120, "progress_percent": None}

The record's ``status``, ``started_on`` and ``finished_on`` are derived from
the latest reading (``derive``) and stored beside it, so listings, the status
filter and counters read them as before. "Want to read" is a record with no
readings, or one whose reader wants to read it again after a closed reading.
A record stored before readings existed has none: ``history`` reads it as if
migrated. Both backends use these rules through the services.
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog.models import ReadingStatus

READING, FINISHED, DNF = "reading", "finished", "dnf"
OUTCOMES = {
    READING: "Still reading",
    FINISHED: "Finished",
    DNF: "Did not finish",
}
STATUS_OF = {
    READING: ReadingStatus.READING,
    FINISHED: ReadingStatus.READ,
    DNF: ReadingStatus.DNF,
}
OUTCOME_OF = {status: outcome for outcome, status in STATUS_OF.items()}
# Enough for a lifetime's rereadings, and a bounded share of a DynamoDB item
# (about 130 bytes each).
MAX_READINGS = 100
MAX_PAGE = 100_000
KEYS = ("id", "started_on", "finished_on", "outcome")
PROGRESS = ("progress_page", "progress_percent")

_PERCENT = re.compile(r"^\s*(\d{1,3}(?:[.,]\d+)?)\s*%\s*$")
_PAGE = re.compile(r"^\s*(?:p(?:age|\.)?\s*)?(\d{1,6})\s*$", re.IGNORECASE)


def new(
    number: int,
    outcome: str,
    started_on: date | None = None,
    finished_on: date | None = None,
) -> dict[str, Any]:
    """Return a reading with these values and no progress."""
    return {
        "id": number,
        "started_on": iso_date(started_on),
        "finished_on": iso_date(finished_on),
        "outcome": outcome,
        "progress_page": None,
        "progress_percent": None,
    }


def from_status(
    status: str, started_on: date | None, finished_on: date | None
) -> list[dict[str, Any]]:
    """Return the readings a record stored before readings existed stands for.

    "Want to read" with dates kept them from an earlier reading: that reading
    is kept, closed (finished if it has a finish date), and the reader still
    wants to read the book.
    """
    if status in OUTCOME_OF:
        return [new(1, OUTCOME_OF[status], started_on, finished_on)]
    if started_on or finished_on:
        return [new(1, FINISHED if finished_on else DNF, started_on, finished_on)]
    return []


def history(record: Any) -> list[dict[str, Any]]:
    """Return the record's readings, oldest first (copies, safe to change)."""
    stored = record.readings or []
    if stored:
        return [dict(reading) for reading in stored]
    return from_status(record.status, record.started_on, record.finished_on)


def stored_as_derived(record: Any) -> bool:
    """Tell whether the record has no readings stored, only derived ones."""
    return not record.readings and bool(history(record))


def latest(readings: list[dict[str, Any]]) -> dict[str, Any] | None:
    return readings[-1] if readings else None


def is_open(reading: dict[str, Any] | None) -> bool:
    return bool(reading) and reading["outcome"] == READING


def derive(readings: list[dict[str, Any]], status: str) -> dict[str, Any]:
    """Return the status and dates the record shows for these readings.

    ``status`` is the status asked for: "want to read" stays so over a closed
    reading (the reader wants to read it again); otherwise the latest
    reading's outcome decides.
    """
    last = latest(readings)
    dates = {
        "started_on": as_date(last["started_on"]) if last else None,
        "finished_on": as_date(last["finished_on"]) if last else None,
    }
    if last is None or (status == ReadingStatus.WANT and not is_open(last)):
        return {"status": ReadingStatus.WANT, **dates}
    return {"status": STATUS_OF[last["outcome"]], **dates}


def next_id(readings: list[dict[str, Any]]) -> int:
    return max((int(r["id"]) for r in readings), default=0) + 1


def with_status(
    readings: list[dict[str, Any]],
    status_was: str,
    status: str,
    *,
    started_on: date | None = None,
    finished_on: date | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Return the readings after a change of status (from a form, tap or bulk).

    Reading starts a new reading unless one is going; Read and Did not finish
    close the one going (or, from a closed one, change how it ended; from want
    to read, add a closed one). Dates not given are today where a status
    implies one, unless today would come before a date the reader gave.
    Want to read keeps every past reading; a reading going is kept as not
    finished, unless it holds nothing but what a tap gives (started today or
    never, no progress) and the change gives it no date of its own, which is
    dropped (dates typed with the change are that reading's, never an older
    one's).
    """
    today = today or timezone.localdate()
    readings = [dict(r) for r in readings]
    last = latest(readings)
    wanted = status_was == ReadingStatus.WANT or last is None
    if status == ReadingStatus.WANT:
        if is_open(last):
            dated = finished_on is not None or started_on not in (
                None,
                as_date(last["started_on"]),
            )
            if _only_a_tap(last, today) and not dated:
                readings.pop()
            else:
                last["outcome"] = DNF
        return readings
    if status == ReadingStatus.READING:
        if not is_open(last):
            start = started_on or today
            if finished_on and finished_on < start:
                start = None
            readings.append(new(next_id(readings), READING, start))
        return readings
    outcome = OUTCOME_OF[status]
    if wanted and not is_open(last):
        readings.append(new(next_id(readings), outcome, started_on, None))
        last = readings[-1]
    last["outcome"] = outcome
    if last["finished_on"] is None:
        start = as_date(last["started_on"])
        end = finished_on or today
        if finished_on or not (start and today < start):
            last["finished_on"] = iso_date(end)
    return readings


def _only_a_tap(reading: dict[str, Any], today: date) -> bool:
    return (
        reading["started_on"] in (None, today.isoformat())
        and reading["finished_on"] is None
        and not any(reading.get(name) is not None for name in PROGRESS)
    )


def with_dates(readings: list[dict[str, Any]], **dates: date | None) -> list:
    """Return the readings with the latest one's dates changed.

    A book to read with no reading yet gets a closed one for the dates (as
    ``from_status`` reads such a record): the reader still wants to read it.
    """
    readings = [dict(r) for r in readings]
    if not readings:
        closed = FINISHED if dates.get("finished_on") else DNF
        readings.append(new(1, closed))
    for name, value in dates.items():
        readings[-1][name] = iso_date(value)
    return readings


def check(readings: list[dict[str, Any]], *, pages: int | None = None) -> None:
    """Refuse readings that break a rule (``ValidationError`` on ``readings``)."""
    if len(readings) > MAX_READINGS:
        raise ValidationError(
            {
                "readings": [
                    f"A book keeps at most {MAX_READINGS} readings; delete an old "
                    "one first."
                ]
            }
        )
    ids = set()
    for n, reading in enumerate(readings):
        errors = reading_errors(reading, last=n == len(readings) - 1, pages=pages)
        if reading.get("id") in ids:
            errors.append("Each reading needs its own id.")
        ids.add(reading.get("id"))
        if errors:
            raise ValidationError({"readings": errors})


def reading_errors(reading: Any, *, last: bool, pages: int | None = None) -> list[str]:
    """Return what is wrong with one reading (empty when it is fine)."""
    if not isinstance(reading, dict) or set(reading) != set(KEYS + PROGRESS):
        return [
            "A reading has an id, started_on, finished_on, outcome, progress_page "
            "and progress_percent."
        ]
    errors = []
    if not isinstance(reading["id"], int) or isinstance(reading["id"], bool):
        errors.append("A reading's id is a whole number.")
    if reading["outcome"] not in OUTCOMES:
        errors.append("A reading ended as still reading, finished or did not finish.")
    dates = {}
    for name in ("started_on", "finished_on"):
        try:
            dates[name] = as_date(reading[name])
        except (TypeError, ValueError):
            errors.append(f"Give {name} as a date (YYYY-MM-DD), or leave it empty.")
            continue
        error = date_error(dates[name])
        if error:
            errors.append(error)
    start, end = dates.get("started_on"), dates.get("finished_on")
    if start and end and end < start:
        errors.append("A reading's finish date is before its start date.")
    if reading["outcome"] == READING and not last:
        errors.append("Only the latest reading can still be going.")
    errors += progress_errors(
        reading["progress_page"], reading["progress_percent"], pages
    )
    return errors


def date_error(value: date | None) -> str | None:
    """The rule for a reading's date: a year from 1900 to next year."""
    from catalog.records import MIN_YEAR

    if value is None:
        return None
    last = timezone.localdate().year + 1
    if not MIN_YEAR <= value.year <= last:
        return f"Give a year from {MIN_YEAR} to {last}."
    return None


def progress_errors(page: Any, percent: Any, pages: int | None) -> list[str]:
    """Return what is wrong with a reading's progress (empty when fine)."""
    for value in (page, percent):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int)
        ):
            return ["Progress is a whole page number or percent."]
    if page is not None and percent is not None:
        return ["Give the progress as a page or a percent, not both."]
    if percent is not None and not 0 <= percent <= 100:
        return ["A percent is from 0 to 100."]
    if page is not None:
        if page < 0 or page > MAX_PAGE:
            return ["Give a page number from 0."]
        if pages and page > pages:
            return [f"This book has {pages} pages: give a page up to {pages}."]
    return []


def parse_progress(text: Any, *, pages: int | None) -> dict[str, int | None]:
    """Return the progress typed as "120", "p. 120" or "45%", checked.

    An empty text clears it. Raises ``ValidationError`` on ``progress``.
    """
    text = text if isinstance(text, str) else ""
    if not text.strip():
        return {"progress_page": None, "progress_percent": None}
    if found := _PERCENT.match(text):
        number = float(found.group(1).replace(",", "."))
        progress = {"progress_page": None, "progress_percent": round(number)}
    elif found := _PAGE.match(text):
        progress = {"progress_page": int(found.group(1)), "progress_percent": None}
    else:
        raise ValidationError(
            {"progress": ["Give a page number (like 120) or a percent (like 45%)."]}
        )
    errors = progress_errors(*progress.values(), pages)
    if errors:
        raise ValidationError({"progress": errors})
    return progress


def progress_input(reading: dict[str, Any] | None) -> str:
    """The progress as the form shows it: "120", "45%" or ""."""
    if not reading:
        return ""
    if reading.get("progress_percent") is not None:
        return f"{reading['progress_percent']}%"
    if reading.get("progress_page") is not None:
        return str(reading["progress_page"])
    return ""


@dataclass(frozen=True)
class Progress:
    """How far into the current reading: text to show and a percent for a bar."""

    text: str
    percent: int | None


def progress(reading: dict[str, Any] | None, pages: int | None) -> Progress | None:
    """Return "p. 120 of 412" (or "p. 120", or "45%") with its percent, or None."""
    if not reading:
        return None
    percent = reading.get("progress_percent")
    if percent is not None:
        return Progress(f"{percent}%", percent)
    page = reading.get("progress_page")
    if page is None:
        return None
    if pages:
        return Progress(f"p. {page} of {pages}", min(100, round(100 * page / pages)))
    return Progress(f"p. {page}", None)


@dataclass(frozen=True)
class Shown:
    """A reading as a page shows it."""

    id: int
    number: int
    started_on: date | None
    finished_on: date | None
    outcome: str
    outcome_label: str
    progress: Progress | None
    is_latest: bool


def shown(readings: list[dict[str, Any]], pages: int | None) -> list[Shown]:
    """Return the readings newest first, numbered from the first."""
    count = len(readings)
    return [
        Shown(
            id=reading["id"],
            number=n + 1,
            started_on=as_date(reading["started_on"]),
            finished_on=as_date(reading["finished_on"]),
            outcome=reading["outcome"],
            outcome_label=OUTCOMES.get(reading["outcome"], reading["outcome"]),
            progress=progress(reading, pages),
            is_latest=n == count - 1,
        )
        for n, reading in reversed(list(enumerate(readings)))
    ]


def pages_of(record: Any) -> int | None:
    """The book's number of pages as the reader sees it, when known."""
    try:
        pages = int(record.shown.pages or 0)
    except (TypeError, ValueError):
        return None
    return pages if pages > 0 else None


def find(readings: list[dict[str, Any]], reading_id: int) -> dict[str, Any] | None:
    return next((r for r in readings if r["id"] == reading_id), None)


def editable(reading: dict[str, Any]) -> dict[str, Any]:
    """The values a reading's own form edits, as dates."""
    return {
        "started_on": as_date(reading["started_on"]),
        "finished_on": as_date(reading["finished_on"]),
        "outcome": reading["outcome"],
    }


def iso_date(value: date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    return value.isoformat()


def as_date(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)
