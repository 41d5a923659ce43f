"""Give back to their reader the details typed into a shared edition before.

Until corrections lived on a reader's record, adding a book by hand with an
ISBN wrote the typed fields (and a cover photo) into the shared ``Book``,
marked in ``edited_fields``, where every later reader of that ISBN saw them.
This moves the typed fields to the record of the reader who typed them and
lets the edition be fetched.

The reader who typed them is the one whose hand entry created the edition:
their record was added with it (within ``CREATOR_WINDOW``). When that record
is gone (they removed the book), nobody else may receive their text, so it is
dropped from the edition and reported. A typed cover photo is taken off the
edition (so no other reader sees it and a fetched cover can take its place);
its file stays in media storage, reported, for an administrator.
"""

from dataclasses import dataclass
from datetime import timedelta

from accounts.models import User
from catalog.models import Book, MetadataStatus, UserBook
from catalog.services.limits import fit_fetched
from catalog.services.metadata import book_request_metadata
from catalog.shown import CORRECTABLE_FIELDS

# How long after the edition was created its creator's record was added (the
# hand entry writes both in one request).
CREATOR_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class TypedDetailsResult:
    """What happened to one edition's typed details."""

    record: UserBook | None  # the record that received them, if any
    returned: bool  # the typed fields left the edition
    no_creator: bool  # readers hold it, none of them created it: text dropped
    cover_left: str  # a typed cover taken off the edition: its file, kept


def books_with_typed_details() -> list[Book]:
    """Return the shared editions (with an ISBN) that hold typed fields."""
    return [
        book
        for book in Book.objects.all_books()
        if book.isbn13
        and set(book.edited_fields or []) & {*CORRECTABLE_FIELDS, "cover"}
    ]


def book_return_typed_details(*, book_key: str) -> TypedDetailsResult:
    """Move one edition's typed fields to its creator's corrections.

    The edition keeps only fetched details (and any typed cover) and is
    fetched again. With no library holding the book the typed fields are
    simply dropped; with readers but none who created it nothing changes.
    Running it again does nothing more.
    """
    book = Book.objects.get_by_key(book_key)
    edited = set(book.edited_fields or [])
    cover_left = book.cover.name if "cover" in edited and book.cover else ""
    typed = {
        name: fit_fetched(name, getattr(book, name))
        for name in CORRECTABLE_FIELDS
        if name in edited and getattr(book, name)
    }
    typed_names = edited & set(CORRECTABLE_FIELDS)
    if not typed_names and "cover" not in edited:
        return TypedDetailsResult(None, False, False, "")
    records = _records(book)
    record = _creator_record(book, records)
    if record is not None and typed:
        own = {**typed, **(record.corrections or {})}  # later corrections win
        UserBook.objects.update_for_user(
            record.user, book_key, version=record.version, changes={"corrections": own}
        )
    for name in typed_names:
        setattr(
            book,
            name,
            [] if name in ("authors", "series") else None if name == "pages" else "",
        )
    if "cover" in edited:
        # Off the shared edition; the file itself stays for an administrator.
        book.cover, book.cover_thumb = "", ""
    book.edited_fields = sorted(edited - typed_names - {"cover"})
    book.metadata_status = MetadataStatus.PENDING
    Book.objects.save_book(book)
    book_request_metadata(book_keys=[book_key])
    no_creator = bool(records) and record is None
    return TypedDetailsResult(record, bool(typed_names), no_creator, cover_left)


def _records(book: Book) -> list[UserBook]:
    records = []
    for user_id in Book.objects.owner_ids(book.pk):
        user = User.objects.get_by_id(user_id)
        records.append(UserBook.objects.get_for_user(user, book.pk))
    return records


def _creator_record(book: Book, records: list[UserBook]) -> UserBook | None:
    """The record added with the edition (its hand entry), if still held."""
    created = [
        record
        for record in records
        if abs(record.added_at - book.created_at) <= CREATOR_WINDOW
    ]
    return min(created, key=lambda r: r.added_at, default=None)
