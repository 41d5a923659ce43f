"""Managers: the catalog's access patterns, delegated to the configured backend."""

from typing import TYPE_CHECKING, Any

from django.db import models

from catalog.backends.base import DEFAULT_SORT, Added, Page

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date, datetime

    from catalog.models import Book, ImportJob, Loan, UserBook


def _backend():
    from catalog.backends import get_backend

    return get_backend()


class BookManager(models.Manager):
    """Editions, looked up by key (the ISBN-13 or a generated key)."""

    def get_by_key(self, key: str) -> "Book":
        """Return the book with this key or raise ``Book.DoesNotExist``."""
        return _backend().get_book(key)

    def get_by_isbn(self, isbn13: str) -> "Book":
        """Return the edition with this ISBN-13 or raise ``Book.DoesNotExist``."""
        return _backend().get_book(isbn13)

    def get_many(self, keys: list[str]) -> dict[str, "Book"]:
        """Return the books among these keys, by key."""
        return _backend().get_books(list(keys))

    def get_or_create_book(self, book: "Book") -> tuple["Book", bool]:
        """Store ``book`` unless its key exists; return (stored book, created)."""
        return _backend().get_or_create_book(book)

    def save_book(self, book: "Book") -> "Book":
        """Write a book and refresh its owners' sort and search keys."""
        return _backend().save_book(book)

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
        """Write only a book's metadata bookkeeping (see the backend); say if done."""
        return _backend().mark_metadata_attempt(
            key,
            status=status,
            error=error,
            attempts=attempts,
            check_at=check_at,
            requested_at=requested_at,
            only_if_pending=only_if_pending,
        )

    def pending_metadata_due(self, due_by: "datetime", limit: int) -> list["Book"]:
        """Return pending books whose details are due a check by ``due_by``."""
        return _backend().pending_metadata_books(due_by, limit)

    def owner_ids(self, key: str) -> list[int]:
        """Return the ids of the users who have this book in their library."""
        return _backend().book_owner_ids(key)

    def delete_book(self, key: str) -> None:
        """Delete a book no library holds (``BookInUse`` otherwise)."""
        _backend().delete_book(key)

    def all_books(self) -> list["Book"]:
        """Return every book, for the admin's listing (never a request path)."""
        return _backend().all_books()


class UserBookManager(models.Manager):
    """A user's records of books; every method is scoped to one user."""

    def add(self, user, book: "Book", **fields: Any) -> "UserBook":
        """Add the book to the user's library or raise ``AlreadyInLibrary``."""
        return _backend().add_userbook(user, book, **fields)

    def add_many(
        self, user, additions: "list[tuple[Book, dict[str, Any]]]"
    ) -> list[Added]:
        """Add many books at once, their new editions too (see the backend).

        Raises ``ValueError`` (nothing written) when one would be refused.
        """
        return _backend().add_userbooks(user, list(additions))

    def get_for_user(self, user, key: str) -> "UserBook":
        """Return the user's record of book ``key`` or raise ``DoesNotExist``."""
        return _backend().get_userbook(user, key)

    def for_keys(self, user, keys: list[str]) -> dict[str, "UserBook"]:
        """Return the user's records among these book keys, by key."""
        return _backend().userbooks_for_keys(user, list(keys))

    def typed_by_hand(self, user) -> list[tuple[str, str, list[str]]]:
        """Return (key, title, authors) of the user's books without an ISBN,
        as they see them (an import finds its rows without an ISBN there)."""
        return _backend().typed_by_hand(user)

    def page_for_user(
        self,
        user,
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
        """Return one page of the user's books (see ``CatalogBackend``)."""
        return _backend().page_for_user(
            user,
            status=status,
            query=query,
            tags=tags,
            location=location,
            series=series,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )

    def count_for_user(
        self,
        user,
        *,
        status: str | None = None,
        query: str = "",
        tags: "list[str] | tuple[str, ...]" = (),
        location: str = "",
        series: str = "",
    ) -> int | None:
        """Return how many books that listing holds, or None if not known cheaply."""
        return _backend().count_for_user(
            user,
            status=status,
            query=query,
            tags=tags,
            location=location,
            series=series,
        )

    def pages_for_user(self, user, lookups: list[dict[str, Any]]) -> list[Page]:
        """Return one page per lookup, read together where the backend can."""
        return _backend().pages_for_user(user, lookups)

    def status_counts(self, user) -> dict[str, int]:
        """Return the number of the user's books per status, plus "all"."""
        return _backend().status_counts(user)

    def tag_counts(self, user):
        """Return the user's tags and their counts (``TagCounts``)."""
        return _backend().tag_counts(user)

    def series_counts(self, user):
        """Return the user's series and their counts (``SeriesCounts``)."""
        return _backend().series_counts(user)

    def counters_built(self, user) -> bool:
        """Tell whether the user's tag and location counts are kept, not read."""
        return _backend().counters_built(user)

    def rebuild_counters(self, user) -> None:
        """Count the user's tags and locations again from their records."""
        return _backend().rebuild_counters(user)

    def location_counts(self, user, *, reads: int | None = None):
        """Return the user's locations and their counts (``LocationCounts``)."""
        return _backend().location_counts(user, reads=reads)

    def update_for_user(
        self, user, key: str, *, version: int, changes: dict[str, Any]
    ) -> "UserBook":
        """Apply changes with optimistic locking; raise ``StaleEdit`` if stale."""
        return _backend().update_userbook(user, key, version=version, changes=changes)

    def remove_for_user(self, user, key: str) -> None:
        """Remove the user's record of book ``key``."""
        _backend().remove_userbook(user, key)

    def remove_all_for_user(self, user) -> int:
        """Remove the user's whole library (their account is going)."""
        return _backend().remove_all_for_user(user)

    def refresh_listings(
        self, *, dry_run: bool = False, batch: int = 100
    ) -> "Iterator[tuple[int, int]]":
        """Recompute every record's sort and search keys; yield (read, rewritten)."""
        return _backend().refresh_listings(dry_run=dry_run, batch=batch)

    def store_readings(
        self, *, dry_run: bool = False, batch: int = 100
    ) -> "Iterator[tuple[int, int]]":
        """Store the readings of records stored before them; yield (read, written)."""
        return _backend().store_readings(dry_run=dry_run, batch=batch)

    def all_records(self) -> list["UserBook"]:
        """Return every user's records with their books, for the admin's listing."""
        return _backend().all_userbooks()


class LoanManager(models.Manager):
    """A user's loans, lent out and borrowed; every method is scoped to one user."""

    def add(self, user, loan: "Loan") -> "Loan":
        """Store a new open loan or raise ``LoanAlreadyOpen``."""
        return _backend().add_loan(user, loan)

    def open_for(self, user, key: str) -> "Loan | None":
        """Return the open loan of the user's record of book ``key``, if any."""
        return _backend().open_loan(user, key)

    def open_for_keys(self, user, keys: list[str]) -> dict[str, "Loan"]:
        """Return the open loans among these book keys, by key."""
        return _backend().open_loans_for_keys(user, list(keys))

    def for_book(self, user, key: str) -> list["Loan"]:
        """Return every loan of the user's record of book ``key``, newest first."""
        return _backend().loans_for_book(user, key)

    def for_user(self, user) -> "Iterator[Loan]":
        """Yield every loan of the user's, open and returned, by book then age."""
        return _backend().loans_for_user(user)

    def open_by_due(self, user, direction: str, limit: int) -> list["Loan"]:
        """Return open loans one way, by due date (none due last)."""
        return _backend().open_loans(user, direction, limit)

    def update_for_user(self, user, loan: "Loan", names: list[str]) -> "Loan":
        """Write these fields of the user's loan; ``Loan.DoesNotExist`` if gone."""
        return _backend().update_loan(user, loan, list(names))

    def due_by(self, day: "date") -> "Iterator[Loan]":
        """Yield every user's open loans due by ``day``, earliest first (the job's)."""
        return _backend().loans_due(day)

    def claim_reminder(self, loan: "Loan", day: "date") -> bool:
        """Note ``day``'s reminder of the loan; False if already noted or returned."""
        return _backend().claim_reminder(loan, day)

    def all_loans(self) -> list["Loan"]:
        """Return every user's loans, for the admin's listing (never a request path)."""
        return _backend().all_loans()

    def mark_returned(self, user, key: str, returned_on: "date") -> "Loan":
        """Close the open loan of the record of book ``key``."""
        return _backend().return_loan(user, key, returned_on)


class ImportJobManager(models.Manager):
    """A reader's imports; the job and the sweep read them by id."""

    def add(self, job: "ImportJob") -> "ImportJob":
        """Store a new import."""
        return _backend().add_import(job)

    def get_for_user(self, user_id: int, import_id: str) -> "ImportJob":
        """Return the user's import with this id or raise ``DoesNotExist``."""
        try:
            return _backend().get_import(int(user_id), str(import_id))
        except LookupError:
            raise self.model.DoesNotExist(f"No import {import_id!r}.") from None

    def for_user(self, user, limit: int = 20) -> list["ImportJob"]:
        """Return the user's latest imports, newest first."""
        return _backend().imports_for_user(user, limit)

    def save_progress(self, job: "ImportJob", *, version: int) -> bool:
        """Write the import if it is still at ``version``; say if written.

        On success ``job.version`` is the next version.
        """
        return _backend().save_import(job, version)

    def remove_all_for_user(self, user) -> list["ImportJob"]:
        """Delete the user's imports (their account is going); return them."""
        return _backend().delete_imports(user)

    def stale(self, before: "datetime", limit: int) -> list["ImportJob"]:
        """Return unfinished imports whose heartbeat is older than ``before``."""
        return _backend().stale_imports(before, limit)

    def all_imports(self) -> list["ImportJob"]:
        """Return every user's imports, newest first, for the admin's listing."""
        return _backend().all_imports()
