"""Give back to their reader the details typed into a shared edition before.

Until corrections lived on a reader's record, adding a book by hand with an
ISBN wrote the typed fields (and a cover photo) into the shared ``Book``,
marked in ``edited_fields``, where every later reader of that ISBN saw them.
This moves them to the record of the reader who typed them (the edition's
first owner: the hand entry created it) and lets the edition be fetched.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.models import User
from catalog.models import Book, MetadataStatus, UserBook
from catalog.services.metadata import book_request_metadata
from catalog.shown import CORRECTABLE_FIELDS, COVER_FIELDS


def books_with_typed_details() -> list[Book]:
    """Return the shared editions (with an ISBN) that hold typed fields."""
    return [
        book
        for book in Book.objects.all_books()
        if book.isbn13
        and set(book.edited_fields or []) & {*CORRECTABLE_FIELDS, "cover"}
    ]


def book_return_typed_details(*, book_key: str) -> UserBook | None:
    """Move one edition's typed fields to its first owner's corrections.

    The edition keeps only fetched details and is fetched again. Returns the
    record that received them (None when no library holds the book: the typed
    fields are then simply dropped). Running it again does nothing.
    """
    book = Book.objects.get_by_key(book_key)
    edited = set(book.edited_fields or [])
    typed = {
        name: getattr(book, name)
        for name in CORRECTABLE_FIELDS
        if name in edited and getattr(book, name)
    }
    record = _first_record(book)
    if record is not None:
        own = {**typed, **_own_cover(book, record, "cover" in edited)}
        own.update(record.corrections or {})  # what they corrected since wins
        UserBook.objects.update_for_user(
            record.user, book_key, version=record.version, changes={"corrections": own}
        )
    for name in typed:
        setattr(
            book, name, [] if name == "authors" else None if name == "pages" else ""
        )
    if "cover" in edited:
        for name in COVER_FIELDS:
            getattr(book, name).delete(save=False)
    book.edited_fields = sorted(edited - {*typed, "cover"})
    book.metadata_status = MetadataStatus.PENDING
    Book.objects.save_book(book)
    book_request_metadata(book_keys=[book_key])
    return record


def _first_record(book: Book) -> UserBook | None:
    records = []
    for user_id in Book.objects.owner_ids(book.pk):
        user = User.objects.get_by_id(user_id)
        records.append(UserBook.objects.get_for_user(user, book.pk))
    return min(records, key=lambda r: r.added_at, default=None)


def _own_cover(book: Book, record: UserBook, typed: bool) -> dict[str, str]:
    """Copy a photo the reader gave the edition into their private covers."""
    if not typed or not book.cover:
        return {}
    copied = {}
    for name in COVER_FIELDS:
        source = getattr(book, name)
        if not source:
            continue
        with source.open("rb") as stored:
            data = stored.read()
        suffix = "" if name == "cover" else "-thumb"
        target = f"private/{record.user_id}/covers/{book.pk}-typed{suffix}.jpg"
        copied[name] = default_storage.save(target, ContentFile(data))
    return copied
