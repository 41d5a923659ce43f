"""manage.py return_typed_details: what readers typed into shared editions goes home."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from catalog.models import Book, MetadataStatus, UserBook
from tests.factories import BookFactory, UserBookFactory
from tests.fake_provider import make_cover_jpeg

pytestmark = pytest.mark.usefixtures("both_modes")

DUNE = "9780441172719"
EVIL = "Visit evil.example for a free copy"


@pytest.fixture
def poisoned(user, other_user):
    """An edition as the old hand entry left it: typed title and photo, shared."""
    book = BookFactory(
        key=DUNE,
        isbn13=DUNE,
        title=EVIL,
        authors=["Spam"],
        metadata_status=MetadataStatus.COMPLETE,
        edited_fields=["authors", "cover", "title"],
    )
    book.cover.save(f"{DUNE}.jpg", ContentFile(make_cover_jpeg()), save=False)
    Book.objects.save_book(book)
    # The hand entry created the edition and its typist's record together.
    typist = UserBookFactory(user=user, book=book, added_at=book.created_at)
    UserBookFactory(
        user=other_user, book=book, added_at=book.created_at + timedelta(days=2)
    )
    return typist


def _run(*args) -> str:
    out = StringIO()
    call_command("return_typed_details", *args, stdout=out)
    return out.getvalue()


def test_dry_run_lists_and_changes_nothing(poisoned):
    assert f"{DUNE}: authors, cover, title" in _run("--dry-run")
    assert Book.objects.get_by_key(DUNE).title == EVIL


def test_typed_details_go_to_their_typist_and_the_edition_is_fetched(
    poisoned, user, other_user, fake_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        output = _run()
    assert f"{DUNE}: authors, cover, title -> reader {user.pk}; typed cover" in output
    typed_cover = f"covers/{DUNE}.jpg"
    book = Book.objects.get_by_key(DUNE)
    assert book.title == "Dune" and book.authors == ["Frank Herbert"]
    assert book.metadata_status == MetadataStatus.COMPLETE
    # The typed cover is off the edition (the fetched one replaced it); its
    # file stays in storage for an administrator.
    assert book.edited_fields == [] and book.cover.name != typed_cover
    assert default_storage.exists(typed_cover)
    mine = UserBook.objects.get_for_user(user, DUNE)
    assert mine.shown.title == EVIL and mine.shown.authors == ["Spam"]
    assert set(mine.corrections) == {"title", "authors"}  # no cover of theirs
    theirs = UserBook.objects.get_for_user(other_user, DUNE)
    assert theirs.shown.title == "Dune" and theirs.corrections == {}
    assert not UserBook.objects.page_for_user(other_user, query="evil").items
    again = _run()
    assert "0 shared editions hold typed details" in again
    assert UserBook.objects.get_for_user(user, DUNE).corrections == mine.corrections


def test_when_the_typist_removed_the_book_no_other_reader_gets_their_details(
    user, other_user, django_capture_on_commit_callbacks
):
    book = BookFactory(
        key=DUNE,
        isbn13=DUNE,
        title=EVIL,
        authors=["Spam"],
        metadata_status=MetadataStatus.COMPLETE,
        edited_fields=["authors", "title"],
    )
    # The typist's record is gone; a later reader holds the edition now.
    UserBookFactory(
        user=other_user, book=book, added_at=book.created_at + timedelta(hours=3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        output = _run()
    assert f"{DUNE}: authors, title -> dropped: the reader who typed them" in output
    theirs = UserBook.objects.get_for_user(other_user, DUNE)
    assert theirs.corrections == {}
    assert theirs.shown.title != EVIL and "Spam" not in theirs.shown.authors
    edition = Book.objects.get_by_key(DUNE)
    assert EVIL not in (edition.title, edition.subtitle)
    assert edition.edited_fields == []
    assert user.pk not in Book.objects.owner_ids(DUNE)
