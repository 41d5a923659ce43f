"""manage.py return_typed_details: what readers typed into shared editions goes home."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

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
    now = timezone.now()
    typist = UserBookFactory(user=user, book=book, added_at=now - timedelta(days=2))
    UserBookFactory(user=other_user, book=book, added_at=now)
    return typist


def _run(*args) -> str:
    out = StringIO()
    call_command("return_typed_details", *args, stdout=out)
    return out.getvalue()


def test_dry_run_lists_and_changes_nothing(poisoned):
    assert f"{DUNE}: authors, cover, title" in _run("--dry-run")
    assert Book.objects.get_by_key(DUNE).title == EVIL


def test_typed_details_go_to_the_first_reader_and_the_edition_is_fetched(
    poisoned, user, other_user, fake_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        output = _run()
    assert f"{DUNE}: authors, cover, title -> reader {user.pk}" in output
    book = Book.objects.get_by_key(DUNE)
    assert book.title == "Dune" and book.edited_fields == []
    assert book.metadata_status == MetadataStatus.COMPLETE
    mine = UserBook.objects.get_for_user(user, DUNE)
    assert mine.shown.title == EVIL and mine.shown.authors == ["Spam"]
    assert mine.shown.cover.name.startswith(f"private/{user.pk}/covers/")
    assert default_storage.exists(mine.shown.cover.name)
    theirs = UserBook.objects.get_for_user(other_user, DUNE)
    assert theirs.shown.title == "Dune" and theirs.corrections == {}
    assert not UserBook.objects.page_for_user(other_user, query="evil").items
    assert "0 shared editions" in _run()
