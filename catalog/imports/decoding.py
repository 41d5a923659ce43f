"""From uploaded bytes to text: refuse what is not text, find the encoding.

Text is UTF-8 (with or without a byte-order mark), UTF-16 with its mark, or,
when it is not UTF-8, Windows-1252 (old LibraryThing exports). Checking the
encoding reads the whole file once, a chunk at a time, before any row is read:
a file is never half read in one encoding. What would decode only as garbled
text is refused, never read as mojibake.
"""

import codecs
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from catalog.imports.bundle import ExportZip, open_export
from catalog.imports.rows import ImportFileError

CHUNK_BYTES = 1 << 20
HEAD_BYTES = 8192
PIECE_CHARS = 1 << 16

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SIGNATURES = (
    (
        b"\xd0\xcf\x11\xe0",
        "an old Excel workbook (.xls): save it as CSV and upload that",
    ),
    (
        b"SQLite format 3\x00",
        "a database, such as Calibre's metadata.db: in Calibre, create a "
        "catalog in CSV format (Convert books, Create a catalog) and upload that",
    ),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a compressed (gzip) file: decompress it and upload the file inside"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF8", "an image"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
NOT_TEXT = (
    "This is not a text file. Upload the CSV or TSV your other app exported, "
    "this app's JSON export, or a list of ISBNs, one a line."
)
# Runs of bytes above 127 and UTF-8 sequences: in a real Windows-1252 file
# accented letters stand mostly alone ("café", "Größe"); long runs mean another
# single-byte script (Cyrillic, Greek) and sequences mean mixed-in UTF-8.
_HIGH = re.compile(rb"[\x80-\xff]")
_HIGH_RUN = re.compile(rb"[\x80-\xff]{3,}")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


@dataclass(frozen=True)
class Decoded:
    """How to read a file: its encoding, and the stream to read it from."""

    encoding: str
    stream: BinaryIO
    # The export ZIP the text comes from, for the photos it holds.
    bundle: ExportZip | None = None


def decode(data: BinaryIO, *, in_zip: bool = False) -> Decoded:
    """Return how to read ``data`` as text, or raise ImportFileError saying why not.

    ``in_zip``: ``data`` is the JSON of an export ZIP, which is never a ZIP.
    """
    data.seek(0)
    head = data.read(HEAD_BYTES)
    if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE):
        raise ImportFileError(
            "The file is empty. Export your library again and upload the file it gives."
        )
    if head.startswith(_ZIP_MAGIC) and in_zip:
        raise ImportFileError(
            "This ZIP holds another ZIP, not the JSON this app exports. Upload "
            "the ZIP the Export page gave you."
        )
    if head.startswith(_ZIP_MAGIC):
        bundle = _from_zip(data)
        inner = decode(bundle.json(), in_zip=True)
        return Decoded(inner.encoding, inner.stream, bundle)
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            raise ImportFileError(f"This is {what}, not a text file.")
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            _check(data, encoding)
            return Decoded(encoding, data)
    if b"\x00" in head:
        raise ImportFileError(NOT_TEXT)
    encoding = _utf8_or_cp1252(data)
    return Decoded(encoding, data)


def text_lines(decoded: Decoded) -> Iterator[str]:
    """Yield the file's lines with their endings (CRLF, LF or CR) as written.

    A line longer than ``PIECE_CHARS`` comes in pieces (only its last piece
    ends with the line ending), so that no line is ever held whole.
    """
    decoded.stream.seek(0)
    wrapper = io.TextIOWrapper(decoded.stream, encoding=decoded.encoding, newline="")
    try:
        while piece := wrapper.readline(PIECE_CHARS):
            yield piece
    finally:
        wrapper.detach()


def _check(data: BinaryIO, encoding: str) -> None:
    if not _decodes(data, encoding):
        raise ImportFileError(
            "This file starts as Unicode text but has bytes that are not. Open it "
            "in a spreadsheet or text editor, save it as UTF-8 and upload again."
        )


def _decodes(data: BinaryIO, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    data.seek(0)
    try:
        while chunk := data.read(CHUNK_BYTES):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_or_cp1252(data: BinaryIO) -> str:
    if _decodes(data, "utf-8"):
        return "utf-8"
    if not _decodes(data, "cp1252") or _garbled_as_cp1252(data):
        raise ImportFileError(
            "This file is not UTF-8, and read as Windows-1252 its text would come "
            "out garbled. Open it in a spreadsheet or text editor, save it as "
            "UTF-8 and upload again."
        )
    return "cp1252"


def _garbled_as_cp1252(data: BinaryIO) -> bool:
    high = in_runs = sequences = 0
    data.seek(0)
    while chunk := data.read(CHUNK_BYTES):
        high += len(_HIGH.findall(chunk))
        in_runs += sum(len(run) for run in _HIGH_RUN.findall(chunk))
        sequences += len(_UTF8_SEQUENCE.findall(chunk))
    return sequences > 0 or in_runs * 2 > high


def _from_zip(data: BinaryIO) -> ExportZip:
    """Return this app's export ZIP, or raise ImportFileError saying what to do."""
    try:
        archive = zipfile.ZipFile(data)
        names = [n for n in archive.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise ImportFileError(
            "This is a damaged ZIP archive. Upload the CSV file itself."
        ) from error
    bundle = open_export(archive)
    if bundle is not None:
        return bundle
    lower = [n.lower() for n in names]
    if "[content_types].xml" in lower or "mimetype" in lower:
        raise ImportFileError(
            "This is a spreadsheet workbook, not a CSV file. In the spreadsheet, "
            "save it as CSV (UTF-8) and upload that."
        )
    if any(n.endswith(".json") for n in lower):
        raise ImportFileError(
            "This ZIP of JSON files is an account data export (Goodreads makes one "
            "from Settings), which does not hold your shelves in a form that can "
            "be imported. Export your library instead: on Goodreads, My Books, "
            "Import and export, Export Library; then upload the "
            "goodreads_library_export.csv it gives."
        )
    inside = next((n for n in names if n.lower().endswith((".csv", ".tsv"))), "")
    if inside:
        raise ImportFileError(
            f"This is a ZIP archive holding {inside}: unzip it and upload that file."
        )
    raise ImportFileError(
        "This is a ZIP archive. Unzip it and upload the CSV or TSV file inside."
    )


def text_chunks(decoded: Decoded, size: int = 1 << 16) -> Iterator[str]:
    """Yield the file's text in pieces of ``size`` characters, endings as written."""
    decoded.stream.seek(0)
    wrapper = io.TextIOWrapper(decoded.stream, encoding=decoded.encoding, newline="")
    try:
        while piece := wrapper.read(size):
            yield piece
    finally:
        wrapper.detach()
