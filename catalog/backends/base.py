"""The catalog backend interface and what every backend shares.

A backend stores books and users' records of them. Methods take and return
model instances (never QuerySets), so views and templates are the same
whatever the storage. ``tests/catalog/test_backend_contract.py`` holds the
contract every implementation must pass.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catalog.locations import location_key
from catalog.search import fold, isbn_words, search_key
from catalog.series import from_stored as stored_series
from catalog.series import keys_text as series_keys_text
from catalog.series import series_key
from catalog.series import sort_value as series_sort_value
from catalog.shown import COVER_FIELDS, ShownBook
from catalog.tags import stored_fields as stored_tag_fields
from catalog.tags import tag_key

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import date, datetime

    from accounts.models import User
    from catalog.models import Book, ImportJob, Loan, UserBook

SORTS = {
    "added": "Recently added",
    "title": "Title",
    "author": "Author",
    "rating": "Rating",
    "series": "Series",
}
DEFAULT_SORT = "added"

# The fields of a UserBook that its owner may change.
EDITABLE_FIELDS = frozenset(
    {
        "status",
        "rating",
        "notes",
        "started_on",
        "finished_on",
        "location",
        "owned",
        "tags",
        "readings",
    }
)

# The fields of a loan that may be changed after it is made (by the admin).
LOAN_EDITABLE = frozenset({"person", "email", "remind_person", "due_on", "note"})

_LEADING_ARTICLES = ("the ", "a ", "an ")

# Characters of a record's search text: words are matched in it, so it needs
# no more than a book's title, authors and ISBN (at most 8 KB of UTF-8), and it
# can never crowd a record out of DynamoDB's 400 KB item.
SEARCH_TEXT_MAX = 2_000


class AlreadyInLibrary(Exception):
    """The user already has this book; ``existing`` is their record of it."""

    def __init__(self, existing: "UserBook"):
        super().__init__(f"{existing.book} is already in the library.")
        self.existing = existing


class BookInUse(Exception):
    """The book is in someone's library, so it cannot be deleted."""


class StaleEdit(Exception):
    """The record changed since the editor loaded it; ``current`` is the new state."""

    def __init__(self, current: "UserBook"):
        super().__init__("This book was changed elsewhere.")
        self.current = current


@dataclass
class TagJob:
    """A change of one tag or location across a reader's library, in batches.

    ``kind`` is "rename" or "delete" (a tag) or "location" (a rename);
    ``token`` names this job (a newer one of the reader's replaces it);
    ``cursor`` is where the next batch starts in the listing; ``heartbeat_at``
    moves with every batch saved, and the sweep queues the job again when it
    stops moving.
    """

    user_id: int
    token: str
    kind: str
    old: str
    new: str
    total: int
    created_at: "datetime"
    heartbeat_at: "datetime"
    running: bool = True
    done: int = 0
    changed: int = 0
    skipped: int = 0
    cursor: str = ""
    finished_at: "datetime | None" = None


class TagJobRunning(Exception):
    """The reader has a tag job running; ``job`` is that one."""

    def __init__(self, job: TagJob):
        super().__init__("A change of tags is running already.")
        self.job = job


class LoanAlreadyOpen(Exception):
    """The copy is out already; ``existing`` is its open loan."""

    def __init__(self, existing: "Loan"):
        super().__init__(f"This book is on loan to {existing.person}.")
        self.existing = existing


@dataclass
class HeldRemoval:
    """Records removed together and held, restorable, until ``held_until``.

    ``keys`` and ``titles`` name the removed books in order; ``files`` are the
    private cover files their records use, deleted only once the hold is.
    """

    user_id: int
    token: str
    created_at: "datetime"
    held_until: "datetime"
    keys: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


@dataclass
class Restoring:
    """What putting a held removal back did: records restored, and those kept.

    ``kept`` are the records the reader added again meanwhile (left as they
    are); ``unused_files`` the held cover files no record uses any more.
    """

    restored: list["UserBook"] = field(default_factory=list)
    kept: list["UserBook"] = field(default_factory=list)
    unused_files: list[str] = field(default_factory=list)


@dataclass
class Added:
    """What ``add_userbooks`` did for one book.

    ``record`` is the record added, or the one the library held already when
    ``added`` is False; ``book_created`` tells whether the edition was stored
    by this call (a new edition is stored as given, an existing one is used as
    it is).
    """

    record: "UserBook"
    added: bool
    book_created: bool


@dataclass
class Page:
    """One page of a user's books and the cursors to the pages beside it.

    ``next_cursor`` and ``prev_cursor`` are None at either end; ``offset`` is
    the number of books listed before this page (0 on the first).
    """

    items: list["UserBook"] = field(default_factory=list)
    next_cursor: str | None = None
    prev_cursor: str | None = None
    offset: int = 0


def _surname_first(name: str) -> str:
    name = name.strip()
    if "," in name:
        return name
    parts = name.split()
    return " ".join(parts[-1:] + parts[:-1])


def listing_fields(
    book: "Book",
    corrections: dict[str, Any] | None = None,
    provisional: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Return the sort, search and series keys a UserBook keeps for its book.

    A record's own ``corrections`` (and ``provisional`` values) count the way
    its owner sees them: correction, else fetched, else provisional. A series
    only suggested by the title counts once the reader accepts it.
    """
    book = ShownBook(book, corrections, provisional)
    title = fold(book.display_title)
    for article in _LEADING_ARTICLES:
        if title.startswith(article):
            title = title[len(article) :]
            break
    first_author = fold(_surname_first(book.authors[0])) if book.authors else ""
    # ISBN and title first: a cut never loses what is searched for most.
    # The same normalisation reads queries (``catalog.search.search_words``).
    searchable = [*isbn_words(book.isbn13), book.title, *(book.authors or [])]
    # A model from an older migration has no series yet.
    series = stored_series(
        (corrections or {}).get("series") or getattr(book.book, "series", None)
    )
    return {
        "series_keys": series_keys_text(series),
        "series_names": "|".join(one["name"] for one in series),
        "sort_series": series_sort_value(series, title)[:600],
        "sort_title": title[:500],
        "sort_author": f"{first_author}\t{title}"[:600] if first_author else "\uffff",
        "search_text": search_key([*searchable, book.subtitle], limit=SEARCH_TEXT_MAX),
    }


def with_tag_keys(fields: dict[str, Any]) -> dict[str, Any]:
    """Return record fields with ``tag_keys`` following ``tags`` when given."""
    if "tags" not in fields:
        return dict(fields)
    return {**fields, **stored_tag_fields(fields["tags"] or [])}


@dataclass
class LocationCounts:
    """A reader's locations: (location, key, count) triples, by location.

    ``complete`` is False when the backend counted only the first records it
    could read at a bounded cost (then the page says so).
    """

    locations: list[tuple[str, str, int]]
    complete: bool = True


@dataclass
class SeriesCounts:
    """A reader's series: (shown name, key, count) triples, by name.

    ``complete`` is False when the backend counted only the records it could
    read at a bounded cost (then the page says so).
    """

    series: list[tuple[str, str, int]]
    complete: bool = True


@dataclass
class TagCounts:
    """A reader's tags: (shown form, key, count) triples, by key.

    ``complete`` is False when the backend counted only the first records it
    could read at a bounded cost (then the page says so).
    """

    tags: list[tuple[str, str, int]]
    complete: bool = True


def count_forms(
    forms: dict[str, int], key: "Any" = tag_key
) -> list[tuple[str, str, int]]:
    """Return (shown form, key, count) from counts per form, by key.

    A key is shown in its most used form (the first by name on a tie); forms
    counted down to nothing are left out.
    """
    grouped: dict[str, list[tuple[str, int]]] = {}
    for form, n in forms.items():
        if n > 0 and key(form):
            grouped.setdefault(key(form), []).append((form, n))
    rows = []
    for k, seen in grouped.items():
        shown = min(seen, key=lambda pair: (-pair[1], pair[0]))[0]
        rows.append((shown, k, sum(n for _, n in seen)))
    return sorted(rows, key=lambda row: (row[1], row[0]))


def with_location_key(fields: dict[str, Any]) -> dict[str, Any]:
    """Return record fields with ``location_key`` following ``location`` when given."""
    if "location" not in fields:
        return dict(fields)
    return {**fields, "location_key": location_key(fields["location"] or "")}


def series_filter_key(name: str) -> str:
    """Return the stored-key substring ("|dune|") a series filter looks for."""
    key = series_key(name or "")
    return f"|{key}|" if key else ""


def count_series(rows: "Iterable[str]") -> list[tuple[str, str, int]]:
    """Return (shown name, key, records) for the series of these records, by name.

    ``rows`` are records' ``series_names`` ("Dune|Discworld"). A series named
    in several forms ("Dune chronicles", "Dune Chronicles") is shown in its
    most used one.
    """
    forms: dict[str, Counter] = {}
    for names in rows:
        for name in dict.fromkeys(filter(None, (names or "").split("|"))):
            forms.setdefault(series_key(name), Counter())[name] += 1
    found = []
    for key, seen in forms.items():
        name = min(seen, key=lambda form: (-seen[form], form))
        found.append((name, key, seen.total()))
    return sorted(found, key=lambda row: (row[1], row[0]))


def tag_filter_keys(tags: "list[str] | tuple[str, ...]") -> list[str]:
    """Return the stored-key substrings ("|fantasy|") a tag filter looks for."""
    return [f"|{key}|" for key in dict.fromkeys(tag_key(t) for t in tags) if key]


def count_tags(tag_lists: "Iterable[list[str]]") -> list[tuple[str, str, int]]:
    """Return (shown form, key, records) for the tags in these lists, by name.

    A tag typed in several forms ("Sci fi", "sci fi") is shown in its most
    used form (the first in order of names on a tie).
    """
    forms: Counter = Counter()
    for tags in tag_lists:
        forms.update(dict.fromkeys(tags or [], 1))
    return count_forms(forms)


def record_listing_fields(record: "UserBook") -> dict[str, str]:
    """Return the sort and search keys of one record, its own values counted."""
    return listing_fields(record.book, record.corrections, record.provisional)


def own_cover_files(record: "UserBook") -> list[str]:
    """Return the names of the private cover files a record's corrections use."""
    own = record.corrections or {}
    return [
        own[name]
        for name in COVER_FIELDS
        if isinstance(own.get(name), str) and own[name].startswith("private/")
    ]


def keep(done: Restoring, current: "UserBook", held: "UserBook") -> None:
    """Note a record the reader added again: it stays, the held one's files go."""
    done.kept.append(current)
    used = set(own_cover_files(current))
    done.unused_files += [n for n in own_cover_files(held) if n not in used]


class CatalogBackend:
    """Base class for catalog backends; every method below must be implemented."""

    # Whether records are ORM rows (the admin then uses Django's own machinery).
    uses_orm = False

    # Books ------------------------------------------------------------------

    def get_book(self, key: str) -> "Book":
        """Return the book with this key or raise ``Book.DoesNotExist``."""
        raise NotImplementedError

    def get_books(self, keys: list[str]) -> dict[str, "Book"]:
        """Return the books among these keys, by key (one round trip)."""
        raise NotImplementedError

    def get_or_create_book(self, book: "Book") -> tuple["Book", bool]:
        """Store ``book`` unless one with its key exists; return (book, created)."""
        raise NotImplementedError

    def save_book(self, book: "Book") -> "Book":
        """Write a book's fields and refresh its owners' sort and search keys."""
        raise NotImplementedError

    def mark_metadata_attempt(
        self,
        key: str,
        *,
        status: str,
        error: str | None = None,
        attempts: int | None = None,
        check_at: "datetime | None" = None,
        requested_at: "datetime | None" = None,
        only_if_pending: bool = True,
    ) -> bool:
        """Write only a book's metadata bookkeeping; return whether it was written.

        Sets ``metadata_status`` and those of ``metadata_error``,
        ``metadata_attempts``, ``metadata_check_at`` and
        ``metadata_requested_at`` given (None leaves one as it is), and
        ``updated_at``; never the details, so what a fetch stored meanwhile
        stays. ``check_at`` is required for "pending" (the sweep's order).
        With ``only_if_pending`` nothing is written unless the book is still
        pending at the moment of writing: a fetch that finished wins. A
        missing book is not created. The sweep's pending index follows.
        """
        raise NotImplementedError

    def pending_metadata_books(self, due_by: "datetime", limit: int) -> list["Book"]:
        """Return up to ``limit`` pending books to check by ``due_by``, earliest first.

        A pending book is due when its ``metadata_check_at`` (or, when unset,
        its ``created_at``) is at or before ``due_by``. The sweep's access
        pattern: never a table scan.
        """
        raise NotImplementedError

    # A user's records ---------------------------------------------------------

    def add_userbook(self, user: "User", book: "Book", **fields: Any) -> "UserBook":
        """Add ``book`` to the user's library or raise ``AlreadyInLibrary``."""
        raise NotImplementedError

    def add_userbooks(
        self, user: "User", additions: "list[tuple[Book, dict[str, Any]]]"
    ) -> list[Added]:
        """Add many books to the user's library at once; return one ``Added`` each.

        ``additions`` are (book, fields) pairs as ``add_userbook`` takes them,
        one per book key. A book not stored yet (``book._state.adding``) is
        stored as given, unless one with its key was stored meanwhile: that one
        is used, never overwritten. A record the user has already is left as
        it is. Records are stored as ``add_userbook`` stores them (sort,
        search, series and tag keys, counters). When one pair would be refused
        (``ValueError``, such as ``ItemTooLarge``) nothing is written and the
        error is raised: the caller adds them one by one to learn which.
        """
        raise NotImplementedError

    def get_userbook(self, user: "User", key: str) -> "UserBook":
        """Return the user's record of book ``key`` or raise ``DoesNotExist``."""
        raise NotImplementedError

    def userbooks_for_keys(
        self, user: "User", keys: list[str]
    ) -> dict[str, "UserBook"]:
        """Return the user's records among these book keys, by key (one round trip)."""
        raise NotImplementedError

    def page_for_user(
        self,
        user: "User",
        *,
        status: str | None = None,
        query: str = "",
        tags: "list[str] | tuple[str, ...]" = (),
        location: str = "",
        series: str = "",
        sort: str = DEFAULT_SORT,
        cursor: str | None = None,
        limit: int = 24,
    ) -> Page:
        """Return one page of the user's books, filtered, searched and sorted.

        ``query`` matches title, subtitle, authors or ISBN, ignoring case,
        accents and punctuation, an ISBN in any form (``catalog.search``).
        ``tags`` keeps the records that have every one of them (case ignored).
        ``location`` keeps the records at that location (case ignored).
        ``series`` keeps the records shown in that series (case ignored).
        ``cursor`` comes from another page's ``next_cursor`` or
        ``prev_cursor`` of the same listing; an invalid one raises
        ``booklibrary.cursors.InvalidCursor``. Each page costs the same few
        reads whatever the library's size, forwards or back.
        """
        raise NotImplementedError

    def count_for_user(
        self,
        user: "User",
        *,
        status: str | None = None,
        query: str = "",
        tags: "list[str] | tuple[str, ...]" = (),
        location: str = "",
        series: str = "",
    ) -> int | None:
        """Return how many of the user's books ``page_for_user`` would list.

        None when the number cannot be known at a constant cost (a search or a
        tag filter on DynamoDB would read the whole library): the page then
        says so.
        """
        raise NotImplementedError

    def pages_for_user(self, user: "User", lookups: list[dict[str, Any]]) -> list[Page]:
        """Return several pages at once, one per lookup (``page_for_user``'s keywords).

        For pages that show several lists (the dashboard). This default reads
        them one by one; a backend may batch what they share.
        """
        return [self.page_for_user(user, **lookup) for lookup in lookups]

    def status_counts(self, user: "User") -> dict[str, int]:
        """Return the number of the user's books per status, plus "all"."""
        raise NotImplementedError

    def tag_counts(self, user: "User") -> TagCounts:
        """Return (shown form, key, records) for each of the user's tags, by name."""
        raise NotImplementedError

    def series_counts(self, user: "User") -> "SeriesCounts":
        """Return the user's series with how many records each holds, by name.

        A record counts in the series it is shown in (its own correction, else
        the fetched series); a series only suggested by a title does not.
        A backend that reads records in steps stops after a bounded number of
        calls and says so (``complete`` False).
        """
        raise NotImplementedError

    def counters_built(self, user: "User") -> bool:
        """Tell whether the user's tag and location counts are kept (not read)."""
        raise NotImplementedError

    def rebuild_counters(self, user: "User") -> None:
        """Count the user's tags and locations again from their records."""
        raise NotImplementedError

    def location_counts(
        self, user: "User", *, reads: int | None = None
    ) -> "LocationCounts":
        """Return the user's locations with how many records each holds.

        Locations equal but for case are one, shown as one of its records has
        it; records without a location are not counted. Ordered by location.
        ``reads`` bounds the calls of a backend that reads records in steps
        (a suggestion list needs one); the ORM counts in one query anyway.
        """
        raise NotImplementedError

    def update_userbook(
        self, user: "User", key: str, *, version: int, changes: dict[str, Any]
    ) -> "UserBook":
        """Apply ``changes`` if the record is still at ``version``; bump the version.

        Raises ``StaleEdit`` when the record moved on, ``UserBook.DoesNotExist``
        when it is gone.
        """
        raise NotImplementedError

    def remove_userbook(self, user: "User", key: str) -> None:
        """Remove the user's record of book ``key`` (the book itself stays)."""
        raise NotImplementedError

    # Removals held for undo ---------------------------------------------------

    def hold_and_remove(
        self, user: "User", removal: HeldRemoval, records: list["UserBook"]
    ) -> list["UserBook"]:
        """Remove these records of the user's, holding them under ``removal``.

        Each record is kept, exactly as stored, until the removal is restored
        or dropped; status counts follow at once. A record that is gone
        meanwhile is skipped. Returns the records removed, and sets
        ``removal.keys``, ``titles`` and ``files`` to theirs. Nothing is held
        when nothing was removed.
        """
        raise NotImplementedError

    def get_removal(self, user: "User", token: str) -> HeldRemoval:
        """Return the user's held removal with this token or raise ``LookupError``."""
        raise NotImplementedError

    def restore_removal(self, user: "User", removal: HeldRemoval) -> Restoring:
        """Put the held records back as they were, then drop the hold.

        A book the reader added again meanwhile keeps its new record. Safe to
        run twice or concurrently: each record comes back once.
        """
        raise NotImplementedError

    def expired_removals(self, due_by: "datetime", limit: int) -> list[HeldRemoval]:
        """Return up to ``limit`` removals held until ``due_by`` or before.

        The cleanup's access pattern: never a table scan.
        """
        raise NotImplementedError

    def drop_removal(self, removal: HeldRemoval) -> None:
        """Delete a held removal and its records' data (files are the caller's)."""
        raise NotImplementedError

    # Tag jobs -------------------------------------------------------------------

    def start_tag_job(self, user: "User", job: TagJob) -> TagJob:
        """Store a new job as the reader's, replacing a finished one.

        Raises ``TagJobRunning`` when one of theirs is running.
        """
        raise NotImplementedError

    def get_tag_job(self, user: "User") -> TagJob | None:
        """Return the reader's job (running or the last finished), or None."""
        raise NotImplementedError

    def save_tag_job(self, job: TagJob, *, seen: "datetime") -> bool:
        """Store a job's progress if it is still running with heartbeat ``seen``.

        False when it is not (finished, replaced, or claimed by another run
        since): the caller then stops.
        """
        raise NotImplementedError

    def stalled_tag_jobs(self, beat_before: "datetime", limit: int) -> list[TagJob]:
        """Return running jobs whose heartbeat is older than ``beat_before``."""
        raise NotImplementedError

    # Loans ----------------------------------------------------------------------

    def add_loan(self, user: "User", loan: "Loan") -> "Loan":
        """Store a new open loan of the user's record ``loan.book_key``.

        Raises ``LoanAlreadyOpen`` when that record has an open loan: the
        check and the write are one atomic step.
        """
        raise NotImplementedError

    def open_loan(self, user: "User", key: str) -> "Loan | None":
        """Return the open loan of the user's record of book ``key``, if any."""
        raise NotImplementedError

    def open_loans_for_keys(self, user: "User", keys: list[str]) -> dict[str, "Loan"]:
        """Return the open loans among these book keys, by key (one round trip)."""
        raise NotImplementedError

    def loans_for_book(self, user: "User", key: str) -> list["Loan"]:
        """Return every loan of the user's record of book ``key``, newest first."""
        raise NotImplementedError

    def loans_for_user(self, user: "User") -> "Iterator[Loan]":
        """Yield every loan of the user's, open and returned, by book then age.

        For an export: one Query of the user's loans (read in pages as they
        are yielded), never one per book and never a table scan.
        """
        raise NotImplementedError

    def open_loans(self, user: "User", direction: str, limit: int) -> list["Loan"]:
        """Return up to ``limit`` open loans one way, by due date (none due last).

        Ties go by the day lent, then the book key. One query, whatever the
        number of loans.
        """
        raise NotImplementedError

    def return_loan(self, user: "User", key: str, returned_on: "date") -> "Loan":
        """Close the open loan of the record of book ``key``; return it closed.

        Raises ``Loan.DoesNotExist`` when the record has no open loan.
        """
        raise NotImplementedError

    def update_loan(self, user: "User", loan: "Loan", names: list[str]) -> "Loan":
        """Write these fields of one of the user's loans (open or returned).

        ``names`` are among ``LOAN_EDITABLE``; an open loan's due-date indexes
        follow. Raises ``Loan.DoesNotExist`` when the loan is gone.
        """
        raise NotImplementedError

    def loans_due(self, due_by: "date") -> "Iterator[Loan]":
        """Yield every user's open loans due on ``due_by`` or before, earliest first.

        Only ``user_id`` is set on each loan. The reminders' access pattern:
        never a table scan.
        """
        raise NotImplementedError

    def claim_reminder(self, loan: "Loan", day: "date") -> bool:
        """Note that ``day``'s reminder of this loan is sent; return whether it was.

        One atomic conditional write: True only if the loan is still open and
        no reminder was noted for ``day`` (or later) yet, so of two runs on
        the same day exactly one claims it. Sets ``loan.reminded_on``.
        """
        raise NotImplementedError

    def all_loans(self) -> list["Loan"]:
        """Return every loan of every user (the admin's listing; a Scan on DynamoDB).

        Only ``user_id`` is set on each loan; the caller attaches the users.
        """
        raise NotImplementedError

    # Administration: the Django admin's listings, which may read whole tables --

    def all_books(self) -> list["Book"]:
        """Return every book (the admin's listing; a Scan on DynamoDB)."""
        raise NotImplementedError

    def all_userbooks(self) -> list["UserBook"]:
        """Return every user's records with their books (the admin's listing).

        Only ``user_id`` is set on each record; the caller attaches the users.
        """
        raise NotImplementedError

    def book_owner_ids(self, key: str) -> list[int]:
        """Return the ids of the users who have this book in their library."""
        raise NotImplementedError

    def delete_book(self, key: str) -> None:
        """Delete a book that no library holds; raise ``BookInUse`` if one does."""
        raise NotImplementedError

    def remove_all_for_user(self, user: "User") -> int:
        """Remove every record of the user's library; return how many there were.

        Their loans go too.
        """
        raise NotImplementedError

    def refresh_listings(
        self, *, dry_run: bool = False, batch: int = 100
    ) -> "Iterator[tuple[int, int]]":
        """Recompute every record's sort and search keys, ``batch`` records a step.

        Yields (records read, records rewritten) per step; a record whose
        stored keys are already right is not written, so a second run writes
        nothing. A record that an edit or a book's save moved meanwhile is
        left as that write made it. Reads every record (a Scan on DynamoDB):
        for an operator's command, never a request.
        """
        raise NotImplementedError

    def store_readings(
        self, *, dry_run: bool = False, batch: int = 100
    ) -> "Iterator[tuple[int, int]]":
        """Store the readings of every record stored before readings existed.

        Such a record is read as if it had them (``catalog.readings.history``);
        this writes them, ``batch`` records a step, yielding (records read,
        records written). A record already holding readings is not written,
        nor one an edit changed since it was read (its version moved): a
        second run writes nothing. Reads every record (a Scan on DynamoDB):
        for an operator's command, never a request.
        """
        raise NotImplementedError

    # Imports: a reader's imports and the sweep's unfinished ones --------------

    def add_import(self, job: "ImportJob") -> "ImportJob":
        """Store a new import (its id is new)."""
        raise NotImplementedError

    def get_import(self, user_id: int, import_id: str) -> "ImportJob":
        """Return the user's import with this id or raise ``LookupError``."""
        raise NotImplementedError

    def imports_for_user(self, user: "User", limit: int) -> list["ImportJob"]:
        """Return the user's ``limit`` latest imports, newest first."""
        raise NotImplementedError

    def save_import(self, job: "ImportJob", version: int) -> bool:
        """Write the import's progress if stored at ``version``; say if written.

        One conditional write: state, counts, errors, heartbeat and all. On
        success ``job.version`` is ``version + 1``. A finished import leaves
        the sweep's list.
        """
        raise NotImplementedError

    def delete_imports(self, user: "User") -> list["ImportJob"]:
        """Delete every import of the user; return them (their files go next)."""
        raise NotImplementedError

    def stale_imports(self, before: "datetime", limit: int) -> list["ImportJob"]:
        """Return unfinished imports with a heartbeat before ``before``."""
        raise NotImplementedError

    def all_imports(self) -> list["ImportJob"]:
        """Return every import of every user, newest first (the admin's listing;
        a Scan on DynamoDB)."""
        raise NotImplementedError

    def typed_by_hand(self, user: "User") -> list[tuple[str, str, list[str]]]:
        """Return (key, title, authors) of each of the user's books without an
        ISBN, as the reader sees them, ordered by key (an import matches rows
        without an ISBN against them); never a Scan."""
        raise NotImplementedError


def add_one(
    backend: CatalogBackend, user: "User", book: "Book", fields: dict[str, Any]
) -> Added:
    """Add one book the way ``add_userbooks`` does, with the single-book calls."""
    stored, created = backend.get_or_create_book(book)
    try:
        record = backend.add_userbook(user, stored, **fields)
    except AlreadyInLibrary as exc:
        return Added(exc.existing, added=False, book_created=created)
    return Added(record, added=True, book_created=created)


def metadata_attempt_fields(
    *,
    status: str,
    error: str | None,
    attempts: int | None,
    check_at: "datetime | None",
    requested_at: "datetime | None",
) -> dict[str, Any]:
    """Return the Book fields ``mark_metadata_attempt`` writes (None: left alone)."""
    if status == "pending" and check_at is None:
        raise ValueError("A pending book needs the time its sweep check is due.")
    given = {
        "metadata_status": status,
        "metadata_error": error,
        "metadata_attempts": attempts,
        "metadata_check_at": check_at,
        "metadata_requested_at": requested_at,
    }
    return {name: value for name, value in given.items() if value is not None}
