"""Series: how a book's series and its position in them are read, ordered and stored.

A book's series are a list of ``{"name": ..., "position": ...}`` maps: the
name as given, the position as text ("2", "2.5", "1-3" for an omnibus, "" when
unknown). Series are compared ignoring case but keeping accents, like tags
(``series_key``). A record stores the keys of the series it is shown in between
bars (``UserBook.series_keys``, "|dune chronicles|") and a sort value (series,
then position, then title) that the library's "Series" order reads.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

MAX_SERIES = 10
NAME_MAX_CHARS = 100
POSITION_MAX = Decimal(100_000)
# The bar separates keys in storage and the tab the parts of a sort value.
_FORBIDDEN = ("|", "\t", "\x00")
# Sorts after every series name: books without a series come last.
NO_SERIES = "\uffff"

_NUMBER = r"\d+(?:[.,]\d+)?"
_POSITION = re.compile(
    rf"^\s*(?:#|no\.?\s*|book\s+|vol(?:ume)?\.?\s*)?\s*({_NUMBER})"
    rf"(?:\s*[-\u2013\u2014]\s*({_NUMBER}))?\s*$",
    re.IGNORECASE,
)
# "Dune Chronicles #1", "Discworld -- 5", "Series, Book 3", "Series ; 2"
_ENTRY = re.compile(
    rf"^(?P<name>.+?)\s*(?:,|;|--|\u2013|\u2014|#|\s)\s*"
    rf"(?P<position>(?:#|no\.?\s*|book\s+|vol(?:ume)?\.?\s*)?\s*{_NUMBER}"
    rf"(?:\s*[-\u2013\u2014]\s*{_NUMBER})?)\s*$",
    re.IGNORECASE,
)
# A title ending with "(Series, #1)", "(Series #2.5)" or "(Series, Book 3)".
_TITLE = re.compile(
    rf"\((?P<name>[^()]+?),?\s+(?P<position>(?:#|book\s+|no\.?\s*){_NUMBER}"
    rf"(?:\s*[-\u2013]\s*{_NUMBER})?)\)\s*$",
    re.IGNORECASE,
)


def tidy(name: str) -> str:
    """Return a series name as stored: trimmed, its inner spaces made single."""
    return " ".join(str(name).split())


def series_key(name: str) -> str:
    """Return the key series equal to ``name`` share (case ignored, accents kept)."""
    return tidy(name).casefold()


@dataclass(frozen=True)
class Position:
    """Where a book stands in a series: one number, or a range for an omnibus."""

    start: Decimal
    end: Decimal

    @property
    def text(self) -> str:
        """The position as stored: "2", "2.5" or "1-3"."""
        first = _number_text(self.start)
        return first if self.end == self.start else f"{first}-{_number_text(self.end)}"

    @property
    def whole_numbers(self) -> range:
        """The whole numbers this position covers (none for 2.5)."""
        low = int(self.start) if self.start == int(self.start) else int(self.start) + 1
        return range(low, int(self.end) + 1)


def _number_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def parse_position(text: Any) -> Position | None:
    """Return the position in ``text`` ("2", "#4", "2.5", "1-3", "1–3").

    None for empty text; raises ``ValueError`` for text that is no position.
    """
    text = str(text or "").strip()
    if not text:
        return None
    found = _POSITION.match(text)
    if not found:
        raise ValueError(f"“{text}” is not a position in a series.")
    try:
        start = _number(found.group(1))
        end = _number(found.group(2)) if found.group(2) else start
    except InvalidOperation:
        raise ValueError(f"“{text}” is not a position in a series.") from None
    if end < start or end > POSITION_MAX:
        raise ValueError(f"“{text}” is not a position in a series.")
    return Position(start, end)


def position_text(text: Any) -> str:
    """Return a position as stored ("#4" is "4"), or "" when it is none."""
    try:
        position = parse_position(text)
    except ValueError:
        return ""
    return position.text if position else ""


def order_key(text: Any) -> str:
    """Return a value that sorts positions by number: "2" before "10".

    A range sorts by its start, then its end; no position sorts last.
    """
    try:
        position = parse_position(text)
    except ValueError:
        position = None
    if position is None:
        return "~"
    return f"{_fixed(position.start)}-{_fixed(position.end)}"


def _fixed(value: Decimal) -> str:
    return f"{value:014.4f}"


def entry(name: str, position: Any = "") -> dict[str, str]:
    """Return one series as stored: its name tidied, its position normalised."""
    return {"name": tidy(name), "position": position_text(position)}


def parse_entry(text: str) -> dict[str, str] | None:
    """Return the series in text such as "Dune Chronicles #1" or "Discworld -- 5".

    Text with no position is a series without one; empty text is None.
    """
    text = tidy(text or "")
    if not text:
        return None
    found = _ENTRY.match(text)
    if found and tidy(found.group("name").rstrip(",;#-")):
        try:
            parse_position(found.group("position"))
        except ValueError:
            pass
        else:
            name = tidy(found.group("name").rstrip(",;#-\u2013\u2014"))
            return entry(name, found.group("position"))
    return entry(text)


def parse_line(text: str) -> dict[str, str] | None:
    """Return the series a reader typed on one line: "Dune Chronicles #1".

    Only "#" sets a position off, so a name such as "Catch 22" stays whole.
    """
    text = tidy(text or "")
    if not text:
        return None
    name, hash_sign, position = text.rpartition("#")
    if hash_sign and tidy(name):
        try:
            parse_position(position)
        except ValueError:
            pass
        else:
            return entry(name, position)
    return entry(text)


def suggest(title: str) -> list[dict[str, str]]:
    """Return the series a title names, as in "Dune (Dune Chronicles, #1)"."""
    found = _TITLE.search(title or "")
    if not found:
        return []
    name = tidy(found.group("name").rstrip(","))
    try:
        parse_position(found.group("position"))
    except ValueError:
        return []
    if not name or any(c in name for c in _FORBIDDEN):
        return []
    return [entry(name, found.group("position"))]


def unique(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    """Return the series once each (by key), in order, each as first given."""
    seen: dict[str, dict[str, str]] = {}
    for one in entries:
        if one.get("name"):
            seen.setdefault(series_key(one["name"]), one)
    return list(seen.values())


def from_stored(value: Any) -> list[dict[str, str]]:
    """Return stored series as a list of entries, ignoring malformed ones."""
    if not isinstance(value, list):
        return []
    return unique(
        [
            entry(one.get("name", ""), one.get("position", ""))
            for one in value
            if isinstance(one, dict) and isinstance(one.get("name"), str)
        ]
    )


def check_name(name: str) -> str | None:
    """Return what is wrong with one series name, or None."""
    if any(c in name for c in _FORBIDDEN):
        return f"A series name cannot hold “|” or tabs: “{name[:40]}”."
    if len(name) > NAME_MAX_CHARS:
        return (
            f"A series name is at most {NAME_MAX_CHARS} characters; "
            f"“{name[:20]}…” is {len(name)}."
        )
    return None


def clean(value: Any) -> list[dict[str, str]]:
    """Return series a reader gave, checked, or raise ``ValidationError``.

    ``value`` is a list of entries or text with one series per line
    ("Dune Chronicles #1").
    """
    if isinstance(value, str):
        value = [parse_line(text) for text in value.splitlines()]
        value = [one for one in value if one]
    if not isinstance(value, list | tuple) or not all(
        isinstance(one, dict) for one in value
    ):
        raise ValidationError("Series are a list, one per line.")
    cleaned = []
    for one in value:
        name = tidy(one.get("name") or "")
        if not name:
            continue
        message = check_name(name)
        if message:
            raise ValidationError(message)
        try:
            parse_position(one.get("position"))
        except ValueError as exc:
            raise ValidationError(
                f"{exc} Write a number (2), a decimal (2.5) or a range (1-3)."
            ) from None
        cleaned.append(entry(name, one.get("position")))
    cleaned = unique(cleaned)
    if len(cleaned) > MAX_SERIES:
        raise ValidationError(
            f"A book can be in at most {MAX_SERIES} series; this is {len(cleaned)}."
        )
    return cleaned


def line(one: dict[str, str]) -> str:
    """Return one series as a reader reads and types it: "Dune Chronicles #1"."""
    return f"{one['name']} #{one['position']}" if one.get("position") else one["name"]


def as_text(entries: list[dict[str, str]]) -> str:
    """Return series one per line, as the correction form shows them."""
    return "\n".join(line(one) for one in entries)


def keys_text(entries: list[dict[str, str]]) -> str:
    """Return the stored keys of these series: "|a|b|", or "" for none."""
    keys = list(dict.fromkeys(series_key(one["name"]) for one in entries))
    return f"|{'|'.join(keys)}|" if keys else ""


def sort_value(entries: list[dict[str, str]], title: str) -> str:
    """Return the record's "Series" sort value: first series, position, title."""
    if not entries:
        return f"{NO_SERIES}\t{title}"
    first = entries[0]
    return f"{series_key(first['name'])}\t{order_key(first['position'])}\t{title}"


def position_in(entries: list[dict[str, str]], key: str) -> str:
    """Return the position a book has in the series with this key ("" if none)."""
    for one in entries:
        if series_key(one["name"]) == key:
            return one.get("position", "")
    return ""


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}\u2013{high}"


def gaps_before(positions: list[str]) -> list[str]:
    """Return, for each position in order, the whole positions missing before it.

    Each gap is "3" or "5–7", counted from 1; decimal positions (2.5) and
    books without one neither fill nor open a gap.
    """
    gaps, reached = [], 0
    for text in positions:
        try:
            position = parse_position(text)
        except ValueError:
            position = None
        numbers = position.whole_numbers if position else range(0)
        if not numbers:
            gaps.append("")
            continue
        gaps.append(
            _span(reached + 1, numbers.start - 1) if numbers.start > reached + 1 else ""
        )
        reached = max(reached, numbers.stop - 1)
    return gaps


def missing(positions: list[str]) -> list[str]:
    """Return the whole positions missing from these, as "3" or "5–7" spans."""
    return [gap for gap in gaps_before(sorted(positions, key=order_key)) if gap]


def held_text(positions: list[str]) -> str:
    """Return "1, 2 and 4": the positions held, in order, as a sentence."""
    shown = [p for p in sorted(set(positions), key=order_key) if p]
    if not shown:
        return ""
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"
