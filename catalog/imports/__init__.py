"""Reading an import file: from uploaded bytes to normalised rows.

This layer has no database and no Django models: the import job opens the
stored file with ``open_import`` and reads ``rows()`` (from a resume index),
each an ``ImportRow`` to add through the services or a ``RowError`` to record;
``DuplicateFinder`` tells rows of the same book apart, and
``ImportFile.write_failed`` writes the failed rows back in the source's format.
"""

from catalog.imports.duplicates import DuplicateFinder, title_key
from catalog.imports.formats import FORMATS
from catalog.imports.reader import ImportFile, open_import
from catalog.imports.rows import (
    BORROWED,
    DNF,
    LENT,
    OUTCOMES,
    READ,
    READING,
    STATUSES,
    WANT,
    ImportFileError,
    ImportLoan,
    ImportRow,
    Reading,
    RowError,
    RowProblem,
    SeriesEntry,
    Span,
)

__all__ = [
    "BORROWED",
    "DNF",
    "FORMATS",
    "LENT",
    "OUTCOMES",
    "READ",
    "READING",
    "STATUSES",
    "WANT",
    "DuplicateFinder",
    "ImportFile",
    "ImportFileError",
    "ImportLoan",
    "ImportRow",
    "Reading",
    "RowError",
    "RowProblem",
    "SeriesEntry",
    "Span",
    "open_import",
    "title_key",
]
