"""Sort decoded barcode texts into ISBN-13s and other product codes."""

from catalog import isbn

# A price add-on (EAN-2 or EAN-5) read together with its EAN-13 or UPC-A comes
# back glued on: 13 + 2, 13 + 5, 12 + 2 or 12 + 5 digits.
_ADDON_LENGTHS = {15: 13, 18: 13, 14: 12, 17: 12}


def strip_addon(text: str) -> str:
    """Return the main code of a barcode text, without a price add-on."""
    words = text.strip().upper().split()
    code = words[0] if words else ""
    if code.isdigit() and len(code) in _ADDON_LENGTHS:
        code = code[: _ADDON_LENGTHS[len(code)]]
    return code


def classify(text: str) -> tuple[str | None, str | None]:
    """Return (ISBN-13, None) for a book, (None, code) for other products.

    Codes that are neither (misreads, ISBNs with a wrong check digit) give
    (None, None): the user is better served by another try than by a wrong book.
    """
    code = strip_addon(text)
    if len(code) == 10:
        return _as_isbn(code)
    if not code.isdigit():
        return None, None
    if len(code) == 13 and code.startswith(isbn.ISBN13_PREFIXES):
        return _as_isbn(code)
    if len(code) == 13 and code.startswith("0"):
        # An EAN-13 starting with 0 is a UPC-A; show the 12 digits printed under it.
        return None, code[1:]
    if len(code) in (8, 12, 13):
        # EAN-8, UPC-E, UPC-A or a non-book EAN-13: real barcodes, not books.
        return None, code
    return None, None


def _as_isbn(code: str) -> tuple[str | None, str | None]:
    try:
        return isbn.to_isbn13(code), None
    except isbn.InvalidISBN:
        return None, None
