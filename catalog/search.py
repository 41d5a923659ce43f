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
# (typographic), "Hawaiʻi".
_APOSTROPHES = frozenset("'\u2018\u2019\u201b\u02bc\u02bb\u0060\u00b4\u2032\uff07")
# Variation selectors: "❤️" and "❤" are the same word.
_INVISIBLE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# What the tokens of a typed ISBN leave once ``isbn.clean`` has read them.
_ISBN_CHARACTERS = re.compile(r"[0-9]*X?")
# An ISBN with a typo: one word, so that its pieces do not find other books.
_ISBN_SHAPED = re.compile(r"[0-9]{9}[0-9X]|[0-9]{13}")
_ISBN_LENGTHS = (10, 13)


def fold(text: str) -> str:
    """Lower-case and strip accents, so "García" is found by "garcia"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _kind(char: str) -> str:
    """Return "space", "break" (punctuation) or "word" for a folded character."""
    category = unicodedata.category(char)
    if category[0] == "Z" or category == "Cc":
        return "space"
    if category[0] == "P":
        return "break"
    # Letters, marks, digits, symbols (emoji), and code points this Python
    # does not know yet (newer emoji): all of them are words.
    return "word"


def _chunks(text: str) -> list[list[str]]:
    """Return the normalised text as chunks (between spaces) of parts."""
    kept = "".join(
        c
        for c in _INVISIBLE.sub("", text or "")
        if c not in _APOSTROPHES and unicodedata.category(c) != "Cf"
    )
    chunks: list[list[str]] = []
    parts: list[str] = []
    part: list[str] = []
    for char in isbn.ascii_digits(fold(kept)):
        kind = _kind(char)
        if kind == "word":
            part.append(char)
            continue
        if part:
            parts.append("".join(part))
            part = []
        if kind == "space" and parts:
            chunks.append(parts)
            parts = []
    if part:
        parts.append("".join(part))
    if parts:
        chunks.append(parts)
    return chunks


def search_key(texts: Iterable[str]) -> str:
    """Return the stored search text of these texts: every word, split and joined."""
    words: list[str] = []
    for text in texts:
        for parts in _chunks(text):
            words += parts
            if len(parts) > 1:
                words.append("".join(parts))
    return " ".join(dict.fromkeys(words))


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
    for end in range(start, len(tokens)):
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
