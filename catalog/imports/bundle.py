"""This app's export ZIP: its JSON, and the reader's cover photos, read safely.

The ZIP is never unpacked to disk: the JSON is read as a stream from its
member, and a photo is read only when a record names it (``covers/<name>``,
an image's name, in the ZIP). What a member may expand to is checked from its
declared size before it is read, and reading stops at that size whatever the
member claims, so a ZIP bomb costs at most these limits.
"""

import re
import zipfile
import zlib
from typing import BinaryIO

from catalog.imports.rows import ImportFileError, RowProblem

JSON_MEMBER = "library.json"
# The JSON of a very large library is a few hundred MB at most.
MAX_JSON_BYTES = 512 * 1024 * 1024
# A stored cover is a JPEG of 600 x 900 pixels (some 100 KB); a photo the
# reader uploaded is refused over 10 MB.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
# The export holds the JSON and a photo per record at most.
MAX_MEMBERS = 200_000
# A photo's name as the export writes it: no folders but ``covers/``, no "..".
_PHOTO_NAME = re.compile(
    r"covers/[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(?:jpe?g|png)", re.IGNORECASE
)
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    RuntimeError,  # an encrypted member
    NotImplementedError,  # a compression method Python does not read
    ValueError,
)


class ExportZip:
    """The export ZIP an import reads: ``json()`` and ``photo(name)``."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self._used: set[str] = set()

    def json(self) -> BinaryIO:
        """Return the JSON member as a stream, or raise ImportFileError."""
        info = self.archive.getinfo(JSON_MEMBER)
        if info.file_size > MAX_JSON_BYTES:
            raise ImportFileError(
                f"The {JSON_MEMBER} in this ZIP would be over "
                f"{MAX_JSON_BYTES // (1024 * 1024)} MB: it is not one this app "
                "exported."
            )
        if info.flag_bits & 0x1:
            raise ImportFileError(
                f"The {JSON_MEMBER} in this ZIP is encrypted: export your library "
                "again and upload the ZIP as it is."
            )
        try:
            return self.archive.open(info)
        except _READ_ERRORS as error:
            raise ImportFileError(
                f"The {JSON_MEMBER} in this ZIP cannot be read: the archive is "
                "damaged. Export your library again."
            ) from error

    def photo(self, name: str) -> bytes:
        """Return the bytes of the photo a record names; RowProblem if it cannot.

        A photo is given once: a second record naming the same one gets none.
        """
        if not _PHOTO_NAME.fullmatch(name):
            raise RowProblem(
                f"cover “{name[:80]}” is not a photo of this export (a JPEG or "
                "PNG file in its covers folder)"
            )
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise RowProblem(f"cover {name} is not in the ZIP") from None
        if name in self._used:
            raise RowProblem(f"cover {name} is used by an earlier record")
        self._used.add(name)
        limit = MAX_PHOTO_BYTES // (1024 * 1024)
        if info.file_size > MAX_PHOTO_BYTES:
            raise RowProblem(f"cover {name} is over {limit} MB")
        if info.flag_bits & 0x1:
            raise RowProblem(f"cover {name} is encrypted")
        try:
            with self.archive.open(info) as member:
                data = member.read(MAX_PHOTO_BYTES + 1)
        except _READ_ERRORS:
            raise RowProblem(f"cover {name} cannot be read: it is damaged") from None
        if len(data) > MAX_PHOTO_BYTES:
            raise RowProblem(f"cover {name} is over {limit} MB")
        return data


def open_export(archive: zipfile.ZipFile) -> ExportZip | None:
    """Return the archive as this app's export ZIP, or None when it is not one."""
    names = archive.namelist()
    if JSON_MEMBER not in names:
        return None
    if len(names) > MAX_MEMBERS:
        raise ImportFileError(
            f"This ZIP holds {len(names):,} files: more than an export of this "
            "app does. Upload the ZIP the Export page gave you."
        )
    return ExportZip(archive)
