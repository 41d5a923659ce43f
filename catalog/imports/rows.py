"""What reading an import file gives: one normalised row, or one row's error.

These are plain values (no database): the import job turns an ``ImportRow``
into a reader's record through the services, and keeps a ``RowError`` as that
row's result, with its line so the reader can find and fix it.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# The reading statuses, as catalog.models.ReadingStatus stores them.
WANT = "want"
READING = "reading"
READ = "read"
DNF = "dnf"
STATUSES = (WANT, READING, READ, DNF)

# A reading's outcome is the status it gives the book: finished ("read"),
# given up ("dnf") or still going ("reading").
OUTCOMES = (READ, DNF, READING)

LENT = "lent"
BORROWED = "borrowed"


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says what to do."""


class RowProblem(ValueError):
    """One row cannot be read; the message says why, for that row's result."""


@dataclass(frozen=True)
class Span:
    """Where a row is: its index among the file's rows and its lines."""

    index: int
    line: int
    end_line: int


@dataclass(frozen=True)
class Reading:
    """One reading of a book; either date may be unknown."""

    started_on: date | None
    finished_on: date | None
    outcome: str
    progress_page: int | None = None
    progress_percent: int | None = None


@dataclass(frozen=True)
class SeriesEntry:
    """A series the book belongs to, and its position as written ("1", "2.5")."""

    name: str
    position: str = ""


@dataclass(frozen=True)
class ImportLoan:
    """A copy lent out, or a book borrowed; ``lent_on`` may be unknown."""

    direction: str
    person: str
    lent_on: date | None = None
    due_on: date | None = None
    returned_on: date | None = None
    email: str = ""
    note: str = ""
    remind_person: bool = False


@dataclass
class ImportRow:
    """One book as the file gives it, in the app's terms.

    ``owned`` is None when the file does not say; ``readings`` run oldest
    first; ``status`` is what the file says now (a reading's outcome need not
    agree with it). Empty text means the file left the field empty.
    """

    index: int
    line: int
    end_line: int
    isbn13: str | None
    title: str
    authors: list[str]
    status: str = WANT
    rating: Decimal | None = None
    readings: list[Reading] = field(default_factory=list)
    owned: bool | None = None
    tags: list[str] = field(default_factory=list)
    series: list[SeriesEntry] = field(default_factory=list)
    notes: str = ""
    review: str = ""
    location: str = ""
    loans: list[ImportLoan] = field(default_factory=list)
    added_on: date | None = None
    subtitle: str = ""
    publisher: str = ""
    published: str = ""
    pages: int | None = None
    language: str = ""
    description: str = ""
    warnings: list[str] = field(default_factory=list)
    # The reader's own cover photo: its member in this app's export ZIP.
    cover: str = ""

    @property
    def span(self) -> Span:
        return Span(self.index, self.line, self.end_line)


@dataclass(frozen=True)
class RowError:
    """A row that cannot be imported, and why, in words a person understands."""

    index: int
    line: int
    end_line: int
    reason: str

    @property
    def span(self) -> Span:
        return Span(self.index, self.line, self.end_line)
