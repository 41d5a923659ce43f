"""The ORM catalog backend (local mode: SQLite or PostgreSQL)."""

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, ProtectedError, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from booklibrary import cursors
from catalog import readings
from catalog.backends.base import (
    DEFAULT_SORT,
    SORTS,
    Added,
    AlreadyInLibrary,
    BookInUse,
    CatalogBackend,
    LocationCounts,
    Page,
    SeriesCounts,
    StaleEdit,
    TagCounts,
    add_one,
    count_series,
    count_tags,
    fold,
    listing_fields,
    metadata_attempt_fields,
    record_listing_fields,
    series_filter_key,
    tag_filter_keys,
    with_location_key,
    with_tag_keys,
)
from catalog.backends.orm_imports import OrmImports
from catalog.backends.orm_loans import OrmLoans
from catalog.backends.orm_removals import OrmRemovals
from catalog.backends.orm_tag_jobs import OrmTagJobs
from catalog.locations import location_key
from catalog.models import Book, MetadataStatus, ReadingStatus, UserBook
from catalog.search import search_words

# sort name -> (ordering column, descending?)
_ORDERINGS = {
    "added": ("added_at", True),
    "title": ("sort_title", False),
    "author": ("sort_author", False),
    "rating": ("rating_key", True),
    "series": ("sort_series", False),
}


class OrmCatalogBackend(OrmImports, OrmLoans, OrmRemovals, OrmTagJobs, CatalogBackend):
    """Books and records in relational tables through the Django ORM."""

    uses_orm = True

    def get_book(self, key: str) -> Book:
        return Book._base_manager.get(pk=key)

    def get_books(self, keys: list[str]) -> dict[str, Book]:
        if not keys:
            return {}
        return Book._base_manager.in_bulk(keys)

    def get_or_create_book(self, book: Book) -> tuple[Book, bool]:
        try:
            with transaction.atomic():
                book.save(force_insert=True)
        except IntegrityError:
            return Book._base_manager.get(pk=book.pk), False
        return book, True

    def save_book(self, book: Book) -> Book:
        with transaction.atomic():
            book.save()
            owners = UserBook._base_manager.filter(book=book)
            # Records with no values of their own take the book's keys at once;
            # the few a reader corrected are computed one by one.
            plain = Q(corrections={}) & Q(provisional={})
            owners.filter(plain).update(**listing_fields(book))
            self._refresh_own_listings(book, owners.exclude(plain))
        return book

    def _refresh_own_listings(self, book: Book, records) -> None:
        """Recompute the keys of records that carry their own values."""
        names = tuple(listing_fields(book))
        changed = []
        for record in records.only("pk", "corrections", "provisional", *names):
            fields = listing_fields(book, record.corrections, record.provisional)
            if any(getattr(record, n) != v for n, v in fields.items()):
                for name, value in fields.items():
                    setattr(record, name, value)
                changed.append(record)
        UserBook._base_manager.bulk_update(changed, names, batch_size=500)

    def mark_metadata_attempt(
        self,
        key: str,
        *,
        status: str,
        error: str | None = None,
        attempts: int | None = None,
        check_at: datetime | None = None,
        requested_at: datetime | None = None,
        only_if_pending: bool = True,
    ) -> bool:
        fields = metadata_attempt_fields(
            status=status,
            error=error,
            attempts=attempts,
            check_at=check_at,
            requested_at=requested_at,
        )
        books = Book._base_manager.filter(pk=key)
        if only_if_pending:
            books = books.filter(metadata_status=MetadataStatus.PENDING)
        # One UPDATE ... WHERE: the check and the write cannot be split.
        return books.update(**fields, updated_at=timezone.now()) == 1

    def pending_metadata_books(self, due_by: datetime, limit: int) -> list[Book]:
        pending = Book._base_manager.filter(metadata_status=MetadataStatus.PENDING)
        due = pending.filter(
            Q(metadata_check_at__lte=due_by)
            | Q(metadata_check_at__isnull=True, created_at__lte=due_by)
        )
        return list(
            due.annotate(check=Coalesce("metadata_check_at", "created_at")).order_by(
                "check", "key"
            )[:limit]
        )

    def add_userbook(self, user, book: Book, **fields: Any) -> UserBook:
        fields = with_location_key(with_tag_keys(fields))
        own = listing_fields(book, fields.get("corrections"), fields.get("provisional"))
        record = UserBook(user=user, book=book, **fields, **own)
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:
            raise AlreadyInLibrary(self.get_userbook(user, book.pk)) from None
        return record

    def add_userbooks(
        self, user, additions: list[tuple[Book, dict[str, Any]]]
    ) -> list[Added]:
        """Two bulk INSERTs (new books, then records) in a savepoint.

        Should a key be stored meanwhile (a record added, a book created by
        another reader), the savepoint is undone and each pair is added alone.
        """
        new = [book._state.adding for book, _ in additions]
        records = []
        for book, fields in additions:
            fields = with_location_key(with_tag_keys(fields))
            own = listing_fields(
                book, fields.get("corrections"), fields.get("provisional")
            )
            records.append(UserBook(user=user, book=book, **fields, **own))
        try:
            with transaction.atomic():
                books = zip(additions, new, strict=True)
                Book._base_manager.bulk_create([b for (b, _), a in books if a])
                UserBook._base_manager.bulk_create(records)
        except IntegrityError:
            return [add_one(self, user, book, fields) for book, fields in additions]
        return [
            Added(record, added=True, book_created=adding)
            for record, adding in zip(records, new, strict=True)
        ]

    def _records(self, user):
        return UserBook._base_manager.filter(user=user).select_related("book")

    def get_userbook(self, user, key: str) -> UserBook:
        return self._records(user).get(book_id=key)

    def userbooks_for_keys(self, user, keys: list[str]) -> dict[str, UserBook]:
        if not keys:
            return {}
        return {r.book_id: r for r in self._records(user).filter(book_id__in=keys)}

    def _matching(
        self, user, status: str | None, query: str, tags=(), location="", series=""
    ):
        """The user's records a listing shows, before its order."""
        records = self._records(user)
        if series_filter_key(series):
            records = records.filter(series_keys__contains=series_filter_key(series))
        if location_key(location):
            records = records.filter(location_key=location_key(location))
        if status:
            records = records.filter(status=status)
        for word in search_words(query):
            records = records.filter(search_text__contains=word)
        for key in tag_filter_keys(tags):
            records = records.filter(tag_keys__contains=key)
        return records

    def page_for_user(
        self,
        user,
        *,
        status: str | None = None,
        query: str = "",
        tags=(),
        location: str = "",
        series: str = "",
        sort: str = DEFAULT_SORT,
        cursor: str | None = None,
        limit: int = 24,
    ) -> Page:
        sort = sort if sort in SORTS else DEFAULT_SORT
        column, descending = _ORDERINGS[sort]
        matching = self._matching(user, status, query, tags, location, series)
        records = matching.annotate(rating_key=Coalesce("rating", Value(Decimal(0))))
        tagged = "".join(tag_filter_keys(tags))
        scope = (
            f"orm:{user.pk}:{sort}:{status or ''}:{fold(query)}:{tagged}"
            f":{location_key(location)}:{series_filter_key(series)}"
        )
        at = cursors.decode_page(cursor, scope=scope) if cursor else None
        backwards = bool(at and at.backwards)
        # Read backwards by reversing the order: the page before a position is
        # the first ``limit`` records in the other direction from it.
        reverse = descending != backwards
        if at:
            value, last_id = _from_position(sort, at.at)
            beyond = "lt" if reverse else "gt"
            records = records.filter(
                Q(**{f"{column}__{beyond}": value})
                | Q(**{column: value, f"id__{beyond}": last_id})
            )
        direction = "-" if reverse else ""
        items = list(
            records.order_by(f"{direction}{column}", f"{direction}id")[: limit + 1]
        )
        more = len(items) > limit
        items = items[:limit]

        def link(record, *, back: bool, offset: int) -> str:
            position = [_to_cursor(getattr(record, column)), record.pk]
            return cursors.encode_page(
                position, scope=scope, backwards=back, offset=offset
            )

        if backwards:
            items.reverse()
            offset = max(at.offset - len(items), 0) if more else 0
            older, newer = more, True
        else:
            offset = at.offset if at else 0
            older, newer = at is not None, more
        if not items:
            return Page(offset=offset)
        return Page(
            items=items,
            next_cursor=link(items[-1], back=False, offset=offset + len(items))
            if newer
            else None,
            prev_cursor=link(items[0], back=True, offset=offset) if older else None,
            offset=offset,
        )

    def count_for_user(
        self,
        user,
        *,
        status: str | None = None,
        query: str = "",
        tags=(),
        location: str = "",
        series: str = "",
    ):
        return self._matching(user, status, query, tags, location, series).count()

    def series_counts(self, user) -> SeriesCounts:
        """One query: the series names and keys of the user's records in a series."""
        rows = (
            UserBook._base_manager.filter(user=user)
            .exclude(series_keys="")
            .values_list("series_names", flat=True)
        )
        return SeriesCounts(count_series(rows))

    def location_counts(self, user, *, reads: int | None = None) -> LocationCounts:
        rows = (
            self._records(user)
            .exclude(location_key="")
            .values("location_key")
            .annotate(shown=Min("location"), count=Count("pk"))
            .order_by("location_key")
        )
        return LocationCounts(
            [(row["shown"], row["location_key"], row["count"]) for row in rows]
        )

    def status_counts(self, user) -> dict[str, int]:
        counts = {s.value: 0 for s in ReadingStatus}
        rows = (
            UserBook._base_manager.filter(user=user)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        counts.update(dict(rows))
        counts["all"] = sum(counts[s.value] for s in ReadingStatus)
        return counts

    def tag_counts(self, user) -> TagCounts:
        """One query: the tag lists of the user's tagged records."""
        lists = (
            UserBook._base_manager.filter(user=user)
            .exclude(tag_keys="")
            .values_list("tags", flat=True)
        )
        return TagCounts(count_tags(lists))

    def counters_built(self, user) -> bool:
        """SQL counts as it reads: nothing is kept."""
        return True

    def rebuild_counters(self, user) -> None:
        """SQL counts as it reads: nothing to rebuild."""

    def update_userbook(
        self, user, key: str, *, version: int, changes: dict[str, Any]
    ) -> UserBook:
        changes = with_location_key(with_tag_keys(changes))
        if {"corrections", "provisional"} & set(changes):
            current = self.get_userbook(user, key)
            changes = {
                **changes,
                **listing_fields(
                    current.book,
                    changes.get("corrections", current.corrections),
                    changes.get("provisional", current.provisional),
                ),
            }
        updated = UserBook._base_manager.filter(
            user=user, book_id=key, version=version
        ).update(**changes, version=F("version") + 1, updated_at=timezone.now())
        current = self.get_userbook(user, key)
        if not updated:
            raise StaleEdit(current)
        return current

    def remove_userbook(self, user, key: str) -> None:
        deleted, _ = UserBook._base_manager.filter(user=user, book_id=key).delete()
        if not deleted:
            raise UserBook.DoesNotExist(f"No book {key!r} in this library.")

    def all_books(self) -> list[Book]:
        return list(Book._base_manager.all())

    def all_userbooks(self) -> list[UserBook]:
        return list(UserBook._base_manager.select_related("book"))

    def book_owner_ids(self, key: str) -> list[int]:
        records = UserBook._base_manager.filter(book_id=key)
        return list(records.values_list("user_id", flat=True))

    def delete_book(self, key: str) -> None:
        try:
            Book._base_manager.filter(pk=key).delete()
        except ProtectedError:
            raise BookInUse(key) from None

    def remove_all_for_user(self, user) -> int:
        with transaction.atomic():
            self.remove_loans_for_user(user)
            deleted, _ = UserBook._base_manager.filter(user=user).delete()
        return deleted

    def refresh_listings(
        self, *, dry_run: bool = False, batch: int = 100
    ) -> Iterator[tuple[int, int]]:
        """Recompute every record's keys, ``batch`` rows a step, in id order."""
        records = UserBook._base_manager.select_related("book").order_by("pk")
        last = 0
        while page := list(records.filter(pk__gt=last)[:batch]):
            last, written = page[-1].pk, 0
            for record in page:
                fields = record_listing_fields(record)
                stored = {name: getattr(record, name) for name in fields}
                if fields == stored:
                    continue
                if dry_run:
                    written += 1
                    continue
                # Unless an edit or a book's save wrote the keys meanwhile.
                written += UserBook._base_manager.filter(
                    pk=record.pk, version=record.version, **stored
                ).update(**fields)
            yield len(page), written

    def store_readings(
        self, *, dry_run: bool = False, batch: int = 100
    ) -> Iterator[tuple[int, int]]:
        """Store derived readings, ``batch`` rows a step, in id order."""
        records = UserBook._base_manager.order_by("pk")
        last = 0
        while page := list(records.filter(pk__gt=last)[:batch]):
            last, written = page[-1].pk, 0
            for record in page:
                if not readings.stored_as_derived(record):
                    continue
                if dry_run:
                    written += 1
                    continue
                # Unless an edit wrote the record meanwhile. The version stays:
                # what the record shows does not change.
                written += UserBook._base_manager.filter(
                    pk=record.pk, version=record.version
                ).update(readings=readings.history(record))
            yield len(page), written


def _to_cursor(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_position(sort: str, position: Any) -> tuple[Any, int]:
    """Return (ordering value, record id) from a cursor's position."""
    if not (isinstance(position, list) and len(position) == 2):
        raise cursors.InvalidCursor("This page link is not valid.")
    value, last_id = position
    if type(last_id) is not int:
        raise cursors.InvalidCursor("This page link is not valid.")
    return _from_cursor(sort, value), last_id


def _from_cursor(sort: str, value: Any) -> Any:
    try:
        if sort == "added":
            return datetime.fromisoformat(value)
        if sort == "rating":
            return Decimal(value)
    except (TypeError, ValueError) as exc:
        raise cursors.InvalidCursor("This page link is not valid.") from exc
    return value
