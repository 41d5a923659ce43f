"""ISBN parsing: one place that accepts, checks and converts ISBNs.

Accepts ISBN-10 (with a final X) and ISBN-13, with or without hyphens and
spaces, and returns the canonical ISBN-13. Every rejection says what is wrong.

Digits may be typed in any script (Arabic-Indic, Devanagari, full-width,
superscript...): they are read as the ASCII digits they stand for, so one
edition always has one key, whatever keyboard typed it.
"""

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_ASCII_DIGITS = re.compile(r"[0-9]+")
ISBN13_PREFIXES = ("978", "979")


class InvalidISBN(ValueError):
    """Raised with a message a person can act on."""


def _isbn10_check_digit(first9: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check_digit(first12: str) -> str:
    total = sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def _ascii_digit(char: str) -> str:
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


def clean(raw: str) -> str:
    """Strip separators and an "ISBN" label; read any script's digits as ASCII.

    NFKC first turns compatibility forms (full-width, superscript, circled)
    into plain ones; then every decimal digit of any script becomes its ASCII
    digit. Anything else is left for the checks to refuse with a message.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = "".join(_ascii_digit(char) for char in text)
    text = re.sub(r"^isbn(?:-1[03])?:?", "", text, flags=re.IGNORECASE)
    return _SEPARATORS.sub("", text).upper()


def _is_digits(text: str) -> bool:
    # str.isdigit() accepts "²" and other digits int() cannot always read.
    return _ASCII_DIGITS.fullmatch(text) is not None


def to_isbn13(raw: str) -> str:
    """Return the ISBN-13 for an ISBN-10 or ISBN-13, or raise InvalidISBN."""
    digits = clean(raw)
    if not digits:
        raise InvalidISBN("Enter an ISBN: 10 or 13 digits, found on the back cover.")
    if len(digits) == 10:
        return _from_isbn10(digits)
    if len(digits) == 13:
        return _check_isbn13(digits)
    bad = re.sub(r"[0-9X]", "", digits)
    if bad:
        raise InvalidISBN(
            "An ISBN has only the digits 0-9 (and a final X on ISBN-10); "
            f"found {bad[:10]!r}."
        )
    raise InvalidISBN(
        f"An ISBN has 10 or 13 digits; this one has {len(digits)}. "
        "Check for a missing or extra digit."
    )


def _from_isbn10(digits: str) -> str:
    body, check = digits[:9], digits[9]
    if not _is_digits(body) or not (_is_digits(check) or check == "X"):
        raise InvalidISBN(
            f"An ISBN-10 has nine digits followed by a digit or X; {digits!r} does not."
        )
    expected = _isbn10_check_digit(body)
    if check != expected:
        raise InvalidISBN(
            f"This ISBN-10's checksum digit should be {expected}, not {check}. "
            "Check the digits for a typo."
        )
    first12 = "978" + body
    return first12 + _isbn13_check_digit(first12)


def _check_isbn13(digits: str) -> str:
    if not _is_digits(digits):
        raise InvalidISBN(f"An ISBN-13 has only digits; {digits!r} does not.")
    if not digits.startswith(ISBN13_PREFIXES):
        raise InvalidISBN(
            f"An ISBN-13 starts with 978 or 979; this starts with {digits[:3]}. "
            "It may be another kind of barcode (a product EAN, not a book)."
        )
    expected = _isbn13_check_digit(digits[:12])
    if digits[12] != expected:
        raise InvalidISBN(
            f"This ISBN-13's checksum digit should be {expected}, not {digits[12]}. "
            "Check the digits for a typo."
        )
    return digits


def to_isbn10(isbn13: str) -> str | None:
    """Return the ISBN-10 form of a 978 ISBN-13, or None (979 has none)."""
    digits = to_isbn13(isbn13)
    if not digits.startswith("978"):
        return None
    body = digits[3:12]
    return body + _isbn10_check_digit(body)


def is_valid(raw: str) -> bool:
    """Tell whether the text is a valid ISBN-10 or ISBN-13."""
    try:
        to_isbn13(raw)
    except InvalidISBN:
        return False
    return True
