"""Fetching details into books: merge, provenance, hand edits kept, covers stored."""

import pytest
from PIL import Image

from catalog import services
from catalog.models import Book, MetadataStatus, UserBook

# On the ORM backends and on DynamoDB (moto), with the same assertions.
pytestmark = pytest.mark.usefixtures("both_modes")

DUNE = "9780441172719"
FOX = "9780140328721"
UNKNOWN = "9780306406157"


@pytest.fixture
def add(user, django_capture_on_commit_callbacks):
    def _add(isbn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.userbook_add(user=user, isbn=isbn, **kwargs)

    return _add


def test_adding_a_book_fetches_its_details_and_cover(add, fake_provider, user):
    add(DUNE)
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.COMPLETE
    assert book.title == "Dune" and book.authors == ["Frank Herbert"]
    assert book.description and "Open Library" in book.metadata_source
    assert book.fetched_at is not None
    with Image.open(book.cover.path) as big, Image.open(book.cover_thumb.path) as small:
        assert big.width <= 600 and big.height <= 900
        assert small.width <= 200 and small.height <= 300
    # The owner's listing now sorts and searches on the fetched title.
    assert UserBook.objects.page_for_user(user, query="herbert").items


def test_an_isbn_nobody_knows_is_marked_not_found(add, fake_provider):
    fake_provider.openlibrary.pop(UNKNOWN, None)
    fake_provider.google.pop(UNKNOWN, None)
    add(UNKNOWN)
    assert Book.objects.get_by_key(UNKNOWN).metadata_status == MetadataStatus.NOT_FOUND


def test_an_outage_ends_in_failed_with_the_reason_after_the_retries(
    add, fake_provider, settings
):
    settings.METADATA_MAX_ATTEMPTS = 2
    fake_provider.fail_all = True
    record = add(FOX)
    book = Book.objects.get_by_key(FOX)
    assert book.metadata_status == MetadataStatus.FAILED
    assert "Open Library" in book.metadata_error
    assert UserBook.objects.get_for_user(record.user, FOX)  # the book is not lost
    assert book.can_retry_metadata


def test_refresh_keeps_the_readers_typed_fields_on_their_record(
    user, fake_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.userbook_add_manual(
            user=user, book_fields={"title": "My own title"}, isbn=DUNE
        )
    book = Book.objects.get_by_key(DUNE)
    assert book.title == "Dune" and book.authors == ["Frank Herbert"]
    assert book.metadata_status == MetadataStatus.COMPLETE
    shown = UserBook.objects.get_for_user(user, DUNE).shown
    assert shown.title == "My own title" and shown.authors == ["Frank Herbert"]


def test_refresh_keeps_fields_an_administrator_edited(
    add, fake_provider, django_capture_on_commit_callbacks
):
    add(DUNE)
    book = Book.objects.get_by_key(DUNE)
    book.title, book.edited_fields = "Dune (edited)", ["title"]
    Book.objects.save_book(book)
    services.books_refresh_metadata(book_keys=[DUNE])
    assert Book.objects.get_by_key(DUNE).title == "Dune (edited)"


def test_running_the_fetch_twice_does_no_harm(add, fake_provider, settings):
    add(DUNE)
    first = Book.objects.get_by_key(DUNE)
    statuses = services.books_refresh_metadata(book_keys=[DUNE])
    again = Book.objects.get_by_key(DUNE)
    assert statuses == {DUNE: MetadataStatus.COMPLETE}
    assert (again.title, again.authors) == (first.title, first.authors)
    assert again.cover.name == first.cover.name == f"covers/{DUNE}.jpg"
    covers = sorted(p.name for p in (settings.MEDIA_ROOT / "covers").iterdir())
    assert covers == [f"{DUNE}-thumb.jpg", f"{DUNE}.jpg"]  # replaced, not piled up


def test_a_known_edition_is_not_fetched_again(add, fake_provider, other_user):
    add(DUNE)
    calls = len(fake_provider.requests)
    services.userbook_add(user=other_user, isbn=DUNE)
    assert len(fake_provider.requests) == calls


def test_many_books_share_one_batched_lookup(
    user, fake_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.userbook_add_many(user=user, isbns=[DUNE, FOX, "bad"])
    assert [r.book_id for r in result.added] == [DUNE, FOX]
    assert result.invalid and result.invalid[0][0] == "bad"
    openlibrary_calls = [r for r in fake_provider.requests if "/api/books" in r[0]]
    assert len(openlibrary_calls) == 1
    assert Book.objects.get_by_key(FOX).title == "Fantastic Mr. Fox"


def test_a_cover_that_is_not_an_image_is_skipped(add, fake_provider, monkeypatch):
    from catalog.metadata import covers

    monkeypatch.setattr(covers, "get_bytes", lambda *a, **k: b"<html>nope</html>")
    add(DUNE)
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.COMPLETE and not book.cover


def test_fetched_details_are_cut_to_the_books_limits(add, fake_provider):
    from catalog.services.limits import AUTHOR_LIMIT, AUTHORS_MAX, TEXT_LIMITS

    long_isbn = "9780306406157"
    fake_provider.google.pop(long_isbn, None)
    fake_provider.add_book(
        isbn13=long_isbn,
        title="T" * 900,
        authors=tuple(f"{n} " + "a" * 400 for n in range(80)),
        cover=False,
        subtitle="S" * 900,
        publishers=[{"name": "P" * 900}],
        description="D" * 50_000,
        number_of_pages=10**9,
    )
    add(long_isbn)
    book = Book.objects.get_by_key(long_isbn)
    assert book.metadata_status == MetadataStatus.COMPLETE
    assert (len(book.title), len(book.subtitle), len(book.publisher)) == (500, 500, 300)
    assert len(book.description) == TEXT_LIMITS["description"]
    assert len(book.authors) == AUTHORS_MAX
    assert max(len(a) for a in book.authors) == AUTHOR_LIMIT
    assert book.pages is None
    book.clean_fields(exclude=["key", "cover", "cover_thumb"])
