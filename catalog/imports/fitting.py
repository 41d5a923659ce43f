"""Fit a row to the rules a record keeps, so that no value a file gives fails it.

What a file gives may break a rule the reader's forms enforce: a "|" in a
Goodreads shelf (a tag cannot hold one), a tag or a series name too long, more
tags than a book keeps, a reading dated 1850, a review longer than the notes
hold. Where the row can be made to fit by cleaning a value (a character
replaced, text cut at its limit, a date left out) it is, and each cleaning is
a warning on the row saying what was changed; the row is then imported. Rules
no cleaning can meet without a guess (an ISBN that fails its check digit)
stay the row's error, raised where the value is read.

The limits are the app's own (``catalog.tags``, ``catalog.series``,
``catalog.records``, ``catalog.readings``, ``catalog.services.limits``), read
when a row is fitted so that this layer loads no models on import.
"""

from dataclasses import replace
from datetime import date

from django.utils import timezone

from catalog import series as series_rules
from catalog import tags as tag_rules
from catalog.imports.rows import ImportRow, Reading, SeriesEntry

# What a file may hold that a tag or series name cannot, and what replaces it.
_REPLACED = {"|": "/", "\t": " ", "\x00": ""}
# How the services join the review to the notes ("Review:" on its own line).
REVIEW_HEADING = "Review:\n"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cleaned(value: str, what: str, limit: int, warnings: list[str]) -> str:
    """Return a name with forbidden characters replaced, tidied and within limit."""
    fixed = value
    for character, replacement in _REPLACED.items():
        fixed = fixed.replace(character, replacement)
    fixed = " ".join(fixed.split())
    if fixed != " ".join(value.split()):
        held = " or ".join(
            f"“{c}”" if c != "\t" else "a tab"
            for c in _REPLACED
            if c in value and c != "\x00"
        )
        held = held or "null characters"
        if not any(c not in _REPLACED for c in "".join(value.split())):
            warnings.append(
                f"{what} “{_short(value)}” holds nothing but {held}, which a book "
                "cannot keep: it was left out."
            )
            return ""
        warnings.append(
            f"{what} “{_short(value)}” holds {held}, which a "
            f"book cannot keep: imported as “{_short(fixed)}”."
        )
    if len(fixed) > limit:
        cut = fixed[:limit].rstrip()
        warnings.append(
            f"{what} “{_short(fixed)}” is {len(fixed)} characters, over the "
            f"{limit} a book keeps: cut to “{_short(cut)}”."
        )
        fixed = cut
    return fixed


def _tags(row: ImportRow) -> list[str]:
    fitted = [
        _cleaned(tag, "tag", tag_rules.TAG_MAX_CHARS, row.warnings) for tag in row.tags
    ]
    fitted = tag_rules.unique(t for t in fitted if t)
    if len(fitted) > tag_rules.MAX_TAGS:
        row.warnings.append(
            f"{len(fitted)} tags, over the {tag_rules.MAX_TAGS} a book keeps: the "
            f"first {tag_rules.MAX_TAGS} were kept."
        )
        fitted = fitted[: tag_rules.MAX_TAGS]
    return fitted


def _series(row: ImportRow) -> list[SeriesEntry]:
    fitted: dict[str, SeriesEntry] = {}
    for entry in row.series:
        name = _cleaned(entry.name, "series", series_rules.NAME_MAX_CHARS, row.warnings)
        if not name:
            continue
        position = entry.position
        try:
            series_rules.parse_position(position)
        except ValueError:
            row.warnings.append(
                f"“{_short(position)}” is not a position in a series (a number, "
                f"2.5 or 1-3): “{_short(name)}” was imported without one."
            )
            position = ""
        fitted.setdefault(series_rules.series_key(name), SeriesEntry(name, position))
    entries = list(fitted.values())
    if len(entries) > series_rules.MAX_SERIES:
        row.warnings.append(
            f"{len(entries)} series, over the {series_rules.MAX_SERIES} a book can "
            f"be in: the first {series_rules.MAX_SERIES} were kept."
        )
        entries = entries[: series_rules.MAX_SERIES]
    return entries


def _text(value: str, what: str, limit: int, warnings: list[str]) -> str:
    """Return text without null characters, cut at its limit (warned)."""
    value = value.replace("\x00", "")
    if len(value) <= limit:
        return value
    warnings.append(
        f"{what} is {len(value):,} characters, over the {limit:,} a book keeps: "
        f"the first {limit:,} were kept."
    )
    return value[:limit].rstrip()


def _notes(row: ImportRow, limit: int) -> tuple[str, str]:
    """Return the notes and review cut so that, joined as stored, they fit."""
    notes = row.notes.replace("\x00", "").strip()
    review = row.review.replace("\x00", "").strip()
    joiner = len("\n\n") if notes and review else 0
    heading = len(REVIEW_HEADING) if review else 0
    over = len(notes) + joiner + heading + len(review) - limit
    if over <= 0:
        return notes, review
    if review:
        kept = max(len(review) - over, 0)
        row.warnings.append(
            f"the review is {len(review):,} characters; with the notes it is over "
            f"the {limit:,} a book's notes hold: "
            + (f"its first {kept:,} were kept." if kept else "it was left out.")
        )
        review = review[:kept].rstrip()
        if review:
            return notes, review
    row.warnings.append(
        f"the notes are {len(notes):,} characters, over the {limit:,} a book "
        f"keeps: the first {limit:,} were kept."
    )
    return notes[:limit].rstrip(), ""


def _day(value: date | None, what: str, row: ImportRow) -> date | None:
    from catalog.records import MIN_YEAR

    last = timezone.localdate().year + 1
    if value is not None and not MIN_YEAR <= value.year <= last:
        row.warnings.append(
            f"{what} {value.isoformat()} is outside the years a reading can "
            f"have ({MIN_YEAR} to {last}): it was left out."
        )
        return None
    return value


def _readings(row: ImportRow) -> list[Reading]:
    from catalog.readings import MAX_PAGE, MAX_READINGS

    fitted = []
    for reading in row.readings:
        started = _day(reading.started_on, "the start date", row)
        finished = _day(reading.finished_on, "the finish date", row)
        if started and finished and finished < started:
            row.warnings.append(
                f"a reading finished on {finished.isoformat()}, before its start "
                f"on {started.isoformat()}: the start date was left out."
            )
            started = None
        page, percent = reading.progress_page, reading.progress_percent
        if page is not None and not 0 <= page <= (row.pages or MAX_PAGE):
            row.warnings.append(
                f"a reading's progress, page {page}, is not a page of this book: "
                "it was left out."
            )
            page = None
        if percent is not None and not 0 <= percent <= 100:
            row.warnings.append(
                f"a reading's progress, {percent}%, is not from 0 to 100: it was "
                "left out."
            )
            percent = None
        fitted.append(
            replace(
                reading,
                started_on=started,
                finished_on=finished,
                progress_page=page,
                progress_percent=percent,
            )
        )
    if len(fitted) > MAX_READINGS:
        row.warnings.append(
            f"{len(fitted)} readings, over the {MAX_READINGS} a book keeps: the "
            f"latest {MAX_READINGS} were kept."
        )
        fitted = fitted[-MAX_READINGS:]
    return fitted


def _details(row: ImportRow) -> dict:
    from catalog.services.limits import (
        AUTHOR_LIMIT,
        AUTHORS_MAX,
        PAGES_RANGE,
        TEXT_LIMITS,
    )

    warnings = row.warnings
    fitted = {
        "title": _text(row.title, "the title", TEXT_LIMITS["title"], warnings),
        "subtitle": _text(
            row.subtitle, "the subtitle", TEXT_LIMITS["subtitle"], warnings
        ),
        "publisher": _text(
            row.publisher, "the publisher", TEXT_LIMITS["publisher"], warnings
        ),
        "published": _text(
            row.published, "the publication date", TEXT_LIMITS["publish_date"], warnings
        ),
        "language": _text(
            row.language, "the language", TEXT_LIMITS["language"], warnings
        ),
        "description": _text(
            row.description, "the description", TEXT_LIMITS["description"], warnings
        ),
    }
    authors = [
        _text(name, f"the author “{_short(name)}”", AUTHOR_LIMIT, warnings)
        for name in row.authors
    ]
    if len(authors) > AUTHORS_MAX:
        warnings.append(
            f"{len(authors)} authors, over the {AUTHORS_MAX} a book keeps: the "
            f"first {AUTHORS_MAX} were kept."
        )
        authors = authors[:AUTHORS_MAX]
    fitted["authors"] = [a for a in authors if a.strip()]
    low, high = PAGES_RANGE
    if row.pages is not None and not low <= row.pages <= high:
        warnings.append(
            f"{row.pages:,} pages is not a number of pages a book has "
            f"({low} to {high:,}): left out."
        )
        fitted["pages"] = None
    return fitted


def fit(row: ImportRow) -> ImportRow:
    """Return the row with every value a record could not keep cleaned, warned."""
    from catalog.records import LOCATION_MAX_CHARS, NOTES_MAX_CHARS

    notes, review = _notes(row, NOTES_MAX_CHARS)
    return replace(
        row,
        tags=_tags(row),
        series=_series(row),
        location=_text(row.location, "the location", LOCATION_MAX_CHARS, row.warnings),
        notes=notes,
        review=review,
        readings=_readings(row),
        **_details(row),
    )
