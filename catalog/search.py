"""Search words: one normalisation for what a record stores and what is typed.

A record keeps its book's searchable text as words (``search_key``): folded
(case and accents, as ``fold``), digits of any script read as ASCII,
apostrophes dropped ("Hitchhiker’s" is "hitchhikers"), any other punctuation a
break, and a word that punctuation joins kept both split and joined ("Sci-Fi"
is "sci fi scifi", "J.R.R." is "j r r jrr", "Dr." is "dr"). The ISBN is there
as ISBN-13 and, for a 978 ISBN, as ISBN-10.

A query goes through the same steps (``search_words``), except that an ISBN
typed in any form (ISBN-10 or ISBN-13, hyphens or spaces, a final x, an "ISBN"
label) becomes its ISBN-13, and a word joined by punctuation is only split.
Each query word must appear somewhere in the search text, so "sci fi",
"sci-fi" and "scifi" all find "Sci-Fi".

Characters are told apart by their Unicode category, never by ASCII ranges:
letters, marks, digits and symbols of every script are words, so CJK,
Cyrillic, Arabic and emoji text is found by itself.
"""

import re
import unicodedata
from collections.abc import Iterable

from catalog import isbn

# Dropped, so that the two halves stay one word: "Hitchhiker's", "Hitchhiker’s"
# (typographic), "Hawaiʻi". Before folding, which would make "´" a space.
_APOSTROPHES = re.compile("['\u2018\u2019\u201b\u02bc\u02bb`\u00b4\u2032\uff07]")
# Variation selectors: "❤️" and "❤" are the same word.
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# What the tokens of a typed ISBN leave once ``isbn.clean`` has read them.
_ISBN_CHARACTERS = re.compile(r"[0-9]*X?")
# An ISBN with a typo: one word, so that its pieces do not find other books.
_ISBN_SHAPED = re.compile(r"[0-9]{9}[0-9X]|[0-9]{13}")
_ISBN_LENGTHS = (10, 13)
# The most tokens one typed ISBN spreads over: a label, then a digit apiece.
_ISBN_MAX_TOKENS = 14
# Where punctuation was: a control character, so never one of a word's.
_BREAK = "\x00"
_TABLE_MAX = 20_000


def fold(text: str) -> str:
    """Lower-case and strip accents, so "García" is found by "garcia"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _normal(char: str) -> str:
    """Return what a folded character becomes: itself, its digit, a break or none."""
    category = unicodedata.category(char)
    if category == "Cf" or _VARIATION_SELECTORS.match(char):
        return ""  # invisible: zero-width joiners and spaces, variation selectors
    if category[0] == "Z" or category == "Cc":
        return " "
    if category[0] == "P":
        return _BREAK
    # Letters, marks, digits, symbols (emoji), and code points this Python
    # does not know yet (newer emoji): all of them are words. A digit of any
    # script is its ASCII digit, as in ISBNs.
    digit = unicodedata.decimal(char, None)
    return char if digit is None else str(digit)


class _Normalisation(dict):
    """``str.translate``'s table, each character worked out the first time seen."""

    def __missing__(self, code: int) -> str:
        normal = _normal(chr(code))
        if len(self) < _TABLE_MAX:  # however many characters are thrown at it
            self[code] = normal
        return normal


_TABLE = _Normalisation()


def _chunks(text: str) -> list[list[str]]:
    """Return the normalised text as chunks (between spaces) of parts."""
    normal = fold(_APOSTROPHES.sub("", text or "")).translate(_TABLE)
    chunks = []
    for chunk in normal.split():
        parts = [part for part in chunk.split(_BREAK) if part]
        if parts:
            chunks.append(parts)
    return chunks


def search_key(texts: Iterable[str], *, limit: int) -> str:
    """Return the stored search text of these texts: every word, split and joined.

    At most ``limit`` characters: the texts are read in order, and reading
    stops once that many are kept.
    """
    words: dict[str, None] = {}
    size = 0
    for text in texts:
        for parts in _chunks(text):
            for word in parts + (["".join(parts)] if len(parts) > 1 else []):
                if word not in words:
                    words[word] = None
                    size += len(word) + 1
            if size > limit:
                return " ".join(words)[:limit]
    return " ".join(words)[:limit]


def isbn_words(isbn13: str) -> list[str]:
    """Return an ISBN-13 and, for a 978 one, its ISBN-10: what a record indexes."""
    if not isbn13:
        return []
    try:
        isbn10 = isbn.to_isbn10(isbn13)
    except isbn.InvalidISBN:
        return [isbn13]
    return [isbn13, isbn10] if isbn10 else [isbn13]


def _typed_isbn(tokens: list[str], start: int) -> tuple[str, int] | None:
    """Return the ISBN-13 that tokens from ``start`` spell and where it ends."""
    digits, found = "", None
    for end in range(start, min(len(tokens), start + _ISBN_MAX_TOKENS)):
        digits += isbn.clean(tokens[end])
        if len(digits) > max(_ISBN_LENGTHS) or not _ISBN_CHARACTERS.fullmatch(digits):
            break
        if len(digits) in _ISBN_LENGTHS and isbn.is_valid(digits):
            found = (isbn.to_isbn13(digits), end + 1)
    return found


def search_words(query: str) -> list[str]:
    """Return the words a query searches for; each must be in the search text.

    An ISBN is read on the raw query, before punctuation breaks words, so
    "978-0-441-17271-9", "978 0 441 17271 9" and "0441172717" are one word:
    the ISBN-13. One with a wrong check digit stays one word too.
    """
    tokens = (query or "").split()
    words: list[str] = []
    at = 0
    while at < len(tokens):
        typed = _typed_isbn(tokens, at)
        if typed:
            words.append(typed[0])
            at = typed[1]
            continue
        cleaned = isbn.clean(tokens[at])
        if _ISBN_SHAPED.fullmatch(cleaned):
            words.append(cleaned.casefold())
        else:
            words += [part for parts in _chunks(tokens[at]) for part in parts]
        at += 1
    return list(dict.fromkeys(words))
