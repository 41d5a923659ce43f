"""The StoryGraph's export."""

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
)

STATUSES = {
    "read": READ,
    "currently-reading": READING,
    "paused": READING,
    "to-read": WANT,
    "did-not-finish": DNF,
}


def read_row(cells: Cells) -> ImportRow:
    raw_status = cells.text("Read Status").casefold()
    status = STATUSES.get(raw_status)
    if status is None:
        if raw_status:
            raise RowProblem(
                f"unknown Read Status “{cells.text('Read Status')}”; the export "
                "writes read, currently-reading, paused, to-read or did-not-finish"
            )
        status = WANT
    owned = cells.text("Owned?").casefold()
    return cells.row(
        isbn13=cells.isbn13("ISBN/UID"),
        title=cells.text("Title"),
        # Contributors ("Name (Illustrator)") are not authors.
        authors=values.names(cells.text("Authors")),
        status=status,
        rating=cells.rating("Star Rating"),
        readings=_readings(cells, status),
        owned=True if owned in ("yes", "true") else None,
        tags=values.tag_list(cells.text("Tags")),
        review=values.html_text(cells.text("Review")),
        added_on=cells.day("Date Added"),
    )


def _readings(cells: Cells, status: str) -> list[Reading]:
    # "2022/10/29-2022/11/28, 2021/09/14": newest first; a bare date is a finish.
    column = cells.name("Dates Read")
    readings = []
    for part in cells.text("Dates Read").split(","):
        if not part.strip():
            continue
        start, dash, end = part.partition("-")
        if dash:
            begun = values.day(start, column)
            ended = values.day(end, column) if end.strip() else None
        else:
            begun, ended = None, values.day(start, column)
        readings.append(Reading(begun, ended, READ if ended else READING))
    readings.reverse()
    if not readings and (last := cells.day("Last Date Read")):
        readings.append(Reading(None, last, READ))
    times = cells.count("Read Count") or 0
    if status == READ and len(readings) < times:
        readings = [Reading(None, None, READ)] * (times - len(readings)) + readings
    if status == READ and not readings:
        readings.append(Reading(None, None, READ))
    return _end_with(readings, status)


def _end_with(readings: list[Reading], status: str) -> list[Reading]:
    """Make the latest reading agree with a status of reading or did not finish."""
    latest = readings[-1] if readings else None
    if status == DNF:
        if latest is None:
            return [Reading(None, None, DNF)]
        return [*readings[:-1], Reading(latest.started_on, latest.finished_on, DNF)]
    if status == READING and (latest is None or latest.outcome != READING):
        return [*readings, Reading(None, None, READING)]
    return readings


FORMAT = Format(
    key="storygraph",
    label="StoryGraph export",
    kind=TABLE,
    read_row=read_row,
    signature=("ISBN/UID", "Read Status", "Star Rating"),
    required=("Title", "Authors", "ISBN/UID", "Read Status"),
)
