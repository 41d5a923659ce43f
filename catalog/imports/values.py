"""Read one cell as the formats write it: ISBNs, dates, ratings, names, tags, text.

Each reader raises RowProblem with a reason a person understands when a value
cannot be read; a value is never guessed. Lossless clean-ups that still
change what the file says (an ASIN dropped, a rating rounded) add a warning.
"""

import html
import re
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from catalog import isbn, tags
from catalog.imports.rows import RowProblem
from catalog.languages import language_name

_SPREADSHEET_FORMULA = re.compile(r'="(.*)"', re.DOTALL)
_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]*)?[eE][+-]?[0-9]+")
_ASIN = re.compile(r"B[0-9A-Z]{9}")
_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})(?:[T ][0-9:.+\-Z ]*)?")
_BREAK = re.compile(r"<br\s*/?>|<li\b[^<>]*>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</?(?:p|div|blockquote|h[1-6]|ul|ol)\b[^<>]*>", re.IGNORECASE)
# A tag starts with a letter ("<3" and "a < b" are text), or is a comment.
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
_BLANK_LINES = re.compile(r"[ \t]*\n(?:[ \t]*\n)+[ \t]*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REPLACEMENT = "\ufffd"
# What a spreadsheet may read as a formula at the start of a cell (OWASP): our
# Goodreads-layout export puts an apostrophe before such a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# UTF-8 once read as Windows-1252 ("rÃ©gional", "Itâ€™s"), as LibraryThing
# sometimes exports: a lead byte's character, then continuation bytes' ones.
_CONTINUATION = (
    "[\u00a0-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030"
    "\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014"
    "\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]"
)
_MOJIBAKE = re.compile(
    f"[\u00c2-\u00df]{_CONTINUATION}|[\u00e0-\u00ef]{_CONTINUATION}{{2}}"
)
HALF = Decimal("0.5")


def unwrap(raw: str) -> str:
    """Return a cell without a spreadsheet's ="..." or LibraryThing's [...]."""
    text = raw.strip()
    formula = _SPREADSHEET_FORMULA.fullmatch(text)
    if formula:
        text = formula.group(1).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1].strip()
    return text


def text(raw: str, column: str, warnings: list[str]) -> str:
    """Return a cell's text: line breaks as LF, no control characters, no U+FFFD."""
    value = raw.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    value = _repaired(value, column, warnings)
    if REPLACEMENT in value:
        value = value.replace(REPLACEMENT, "")
        warnings.append(
            f"{column} held a character lost before this file was made (shown "
            "as �); it was left out."
        )
    return value.strip()


def _repaired(value: str, column: str, warnings: list[str]) -> str:
    """Undo UTF-8 read as Windows-1252, when every accented letter agrees."""
    repaired = value
    for _ in range(3):  # some files were garbled twice ("reÃÂ©gional")
        if not _MOJIBAKE.search(repaired):
            break
        try:
            repaired = repaired.encode("cp1252").decode("utf-8")
        except UnicodeError:
            return value
    if repaired != value:
        warnings.append(f"{column} had garbled accents, repaired: “{repaired[:80]}”.")
    return repaired


def formula_escaped(value: str) -> str:
    """Return a cell a spreadsheet will not run: an apostrophe before a formula sign.

    A value that already starts with apostrophes before such a sign gets one
    more, so that ``formula_unescaped`` gives back exactly what was written.
    """
    return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value


def formula_unescaped(raw: str) -> str:
    """Undo ``formula_escaped``: one apostrophe before a formula sign goes.

    An apostrophe before anything else is the text's own ("'Salem's Lot").
    """
    if raw.startswith("'") and raw.lstrip("'").startswith(FORMULA_STARTS):
        return raw[1:]
    return raw


def html_text(value: str) -> str:
    """Return the plain text of a review written in HTML.

    Paragraphs (``<p>``, ``<div>``...) are set apart by a blank line, ``<br>``
    and list items start a line, other tags are dropped and entities
    (``&amp;``) read; text without tags or entities is left as it is.
    """
    if "<" not in value and "&" not in value:
        return value
    value = _BREAK.sub("\n", value)
    value = _PARAGRAPH.sub("\n\n", value)
    value = html.unescape(_TAG.sub("", value))
    return _BLANK_LINES.sub("\n\n", value).strip()


def isbn13(raw: str, column: str, warnings: list[str]) -> str | None:
    """Return the ISBN-13 a cell holds, None for none, or raise RowProblem."""
    value = unwrap(raw)
    if not value:
        return None
    if _SCIENTIFIC.fullmatch(value):
        raise RowProblem(
            f"ISBN written by a spreadsheet as {value} in {column}; type it in full"
        )
    if _ASIN.fullmatch(value.upper()):
        warnings.append(
            f"{value} in {column} is an Amazon ASIN, not an ISBN: the book is "
            "imported by its title and authors."
        )
        return None
    try:
        return isbn.to_isbn13(value)
    except isbn.InvalidISBN as error:
        return _lost_zero(value, column, warnings, error)


def _lost_zero(value: str, column: str, warnings: list[str], error) -> str:
    digits = isbn.clean(value)
    if len(digits) == 9 and isbn.is_valid("0" + digits):
        # A spreadsheet read the ISBN-10 as a number; its check digit confirms it.
        warnings.append(
            f"ISBN {digits} in {column} lost its leading zero; read as 0{digits}."
        )
        return isbn.to_isbn13("0" + digits)
    checked = len(digits) == 10 or digits[:3] in isbn.ISBN13_PREFIXES
    if checked and re.fullmatch(r"[0-9]{9}[0-9X]|[0-9]{13}", digits):
        raise RowProblem(f"ISBN {digits} fails its check digit in {column}")
    raise RowProblem(f"“{value}” in {column} is not an ISBN: {error}")


def first_isbn13(cells: Iterable[tuple[str, str]], warnings: list[str]) -> str | None:
    """Return the ISBN-13 of the first (column, value) holding a valid one.

    A bad ISBN (a failed check digit, a spreadsheet's 9.78045E+12) is that
    row's error only when no other cell gives a valid one; otherwise the
    valid one is used and the bad one named in a warning.
    """
    found: list[tuple[str, str]] = []
    problems: list[RowProblem] = []
    for column, raw in cells:
        try:
            value = isbn13(raw, column, warnings)
        except RowProblem as problem:
            problems.append(problem)
            continue
        if value:
            found.append((column, value))
    if not found:
        if problems:
            raise problems[0]
        return None
    first_column, first = found[0]
    for problem in problems:
        warnings.append(f"{problem}; the book was imported by {first_column} {first}.")
    for column, other in found[1:]:
        if other != first:
            warnings.append(
                f"{first_column} and {column} name different books; "
                f"{first_column} ({first}) was used."
            )
    return first


def day(raw: str, column: str) -> date | None:
    """Return the date a cell holds (YYYY-MM-DD or YYYY/MM/DD, maybe bracketed)."""
    value = unwrap(raw)
    if not value:
        return None
    match = _DATE.fullmatch(value)
    if match:
        year, month, day_ = (int(part) for part in match.groups())
        try:
            return date(year, month, day_)
        except ValueError:
            pass
    raise RowProblem(f"unreadable date “{value}” in {column}; write it as YYYY-MM-DD")


def rating(raw: str, column: str, warnings: list[str]) -> Decimal | None:
    """Return a rating in half stars (0.5 to 5.0); 0 or empty is no rating."""
    value = unwrap(raw)
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise RowProblem(f"unreadable rating “{value}” in {column}")
    if number < 0 or number > 5:
        raise RowProblem(f"rating {value} in {column} is not between 0 and 5")
    if number == 0:
        return None
    halves = max((number * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP), 1)
    stars = (halves * HALF).quantize(Decimal("0.1"))
    if stars != number:
        warnings.append(f"rating {value} in {column} rounded to {stars} (half stars).")
    return stars


def count(raw: str, column: str) -> int | None:
    """Return a whole number (copies, pages, read count), or None when empty."""
    value = unwrap(raw)
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise RowProblem(f"unreadable number “{value}” in {column}")
    return int(number)


def names(value: str, separator: str = ",") -> list[str]:
    """Split names on a separator, tidy each, drop empties and repeats."""
    seen: dict[str, str] = {}
    for part in value.split(separator):
        name = " ".join(part.split())
        if name:
            seen.setdefault(name.casefold(), name)
    return list(seen.values())


def first_language(value: str, column: str, warnings: list[str]) -> str:
    """Return the first language a cell names; a record keeps one (warned).

    An ISO 639 code ("eng", "fre", "en") is read as its name ("English").
    """
    languages = names(value)
    if len(languages) > 1:
        warnings.append(
            f"{column} names {len(languages)} languages; a book keeps one, "
            f"the first: {languages[0]}."
        )
    return language_name(languages[0]) if languages else ""


def last_first(name: str) -> str:
    """Turn "Herbert, Frank" into "Frank Herbert"; leave other names alone."""
    last, comma, first = name.partition(",")
    if not comma or not first.strip():
        return name.strip()
    return f"{first.strip()} {last.strip()}"


def tag_list(value: str, separator: str = ",") -> list[str]:
    """Return the tags in a cell, tidied, once each."""
    return tags.unique(t for t in (tags.tidy(p) for p in value.split(separator)) if t)


def position(raw: str) -> str:
    """Return a series position as text: "1.0" is "1", "2.50" is "2.5"."""
    value = raw.strip()
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")
