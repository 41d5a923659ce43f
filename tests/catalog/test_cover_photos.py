"""Your own photo as a book's cover: on books entered by hand and books without one."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from catalog import services
from catalog.models import Book, MetadataStatus, UserBook
from tests.factories import BookFactory, UserBookFactory
from tests.fake_provider import make_cover_jpeg

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _upload(data: bytes | None = None, name: str = "cover.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or make_cover_jpeg(size=(900, 1400)))


def _sideways_photo() -> bytes:
    """A portrait cover shot with the phone on its side: EXIF says turn it."""
    image = Image.new("RGB", (1400, 900), "navy")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _manual_record(user) -> UserBook:
    return services.userbook_add_manual(
        user=user, book_fields={"title": "Family recipes", "authors": ["Gran"]}
    )


def _own_cover(user, key: str):
    return UserBook.objects.get_for_user(user, key).shown


def test_a_photo_becomes_the_readers_cover_of_a_hand_entered_book(user_client, user):
    record = _manual_record(user)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    response = user_client.post(url, {"photo": _upload(_sideways_photo())})
    assert response["Location"] == record.get_absolute_url()
    shown = _own_cover(user, record.book_id)
    assert shown.has_own_cover
    assert shown.cover.name.startswith(f"private/{user.pk}/covers/{record.book_id}")
    with default_storage.open(shown.cover.name) as stored:
        cover = Image.open(stored)
        assert cover.size[0] < cover.size[1]  # upright: taller than wide
        assert max(cover.size) <= 900
    with default_storage.open(shown.cover_thumb.name) as stored:
        assert max(Image.open(stored).size) <= 300
    assert not Book.objects.get_by_key(record.book_id).cover
    page = user_client.get(record.get_absolute_url()).content.decode()
    assert "Your photo is the cover now" in page
    assert shown.cover.url in page


def test_a_book_without_a_cover_takes_one_and_refresh_keeps_it(
    user_client, user, fake_provider, django_capture_on_commit_callbacks
):
    record = UserBookFactory(user=user, book=BookFactory(title="Coverless"))
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    user_client.post(url, {"photo": _upload()})
    with django_capture_on_commit_callbacks(execute=True):
        services.books_refresh_metadata(book_keys=[record.book_id])
    shown = _own_cover(user, record.book_id)
    assert shown.has_own_cover and default_storage.exists(shown.cover.name)


def test_a_fetched_cover_stays_shared_and_the_readers_photo_is_theirs(
    user_client, user, other_user
):
    book = BookFactory(title="Shared edition")
    book.cover.save(f"{book.pk}.jpg", _upload(), save=False)
    Book.objects.save_book(book)
    record = UserBookFactory(user=user, book=book)
    theirs = UserBookFactory(user=other_user, book=book)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    response = user_client.post(url, {"photo": _upload()}, follow=True)
    assert "Your photo is the cover now" in response.content.decode()
    assert _own_cover(user, book.pk).cover.name.startswith("private/")
    stored = Book.objects.get_by_key(book.pk)
    assert stored.cover.name == book.cover.name
    assert "cover" not in stored.edited_fields
    assert _own_cover(other_user, theirs.book_id).cover.name == book.cover.name


def test_removing_ones_photo_shows_the_fetched_cover_again(user_client, user):
    book = BookFactory(title="Shared edition")
    book.cover.save(f"{book.pk}.jpg", _upload(), save=False)
    Book.objects.save_book(book)
    record = UserBookFactory(user=user, book=book)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    user_client.post(url, {"photo": _upload()})
    photo = _own_cover(user, book.pk).cover.name
    user_client.post(url, {"action": "clear"})
    shown = _own_cover(user, book.pk)
    assert not shown.has_own_cover and shown.cover.name == book.cover.name
    assert not default_storage.exists(photo)


def test_removing_the_book_deletes_the_readers_photo_once_undo_has_passed(
    user_client, user
):
    record = _manual_record(user)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    user_client.post(url, {"photo": _upload()})
    shown = _own_cover(user, record.book_id)
    services.userbook_remove(user=user, book_key=record.book_id)
    files = (shown.cover.name, shown.cover_thumb.name)
    assert all(default_storage.exists(name) for name in files)  # undo may need them
    later = timezone.now() + timedelta(seconds=settings.REMOVAL_UNDO_SECONDS + 120)
    assert services.removals_clean_expired(now=later) == 1
    assert not any(default_storage.exists(name) for name in files)


def test_a_second_photo_replaces_the_first_file(user_client, user):
    record = _manual_record(user)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    user_client.post(url, {"photo": _upload()})
    first = _own_cover(user, record.book_id)
    user_client.post(url, {"photo": _upload()})
    second = _own_cover(user, record.book_id)
    assert second.cover.name != first.cover.name
    assert not default_storage.exists(first.cover.name)
    assert not default_storage.exists(first.cover_thumb.name)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text", "not an image we can read"),
        (make_cover_jpeg(size=(900, 1400))[:400], "damaged"),
    ],
)
def test_an_unreadable_photo_says_why_and_changes_nothing(
    user_client, user, data, message
):
    record = _manual_record(user)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    response = user_client.post(url, {"photo": _upload(data)}, follow=True)
    assert message in response.content.decode()
    assert not _own_cover(user, record.book_id).cover


def test_another_readers_book_is_not_found(client, user, other_user):
    record = _manual_record(other_user)
    client.force_login(user)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    assert client.post(url, {"photo": _upload()}).status_code == 404
    assert client.get(url).status_code == 405
    assert not _own_cover(other_user, record.book_id).cover


def test_adding_by_hand_with_a_cover_photo(user_client, user):
    data = {
        "mode": "manual",
        "manual-title": "Allotment notes",
        "manual-status": "want",
        "manual-owned": "on",
        "manual-cover_photo": _upload(),
    }
    response = user_client.post(reverse("catalog:book-add"), data)
    assert response.status_code == 302
    record = UserBook.objects.page_for_user(user).items[0]
    assert record.book.metadata_status == MetadataStatus.MANUAL
    assert record.shown.cover and record.shown.cover_thumb
    assert not record.book.cover


def test_adding_by_hand_with_a_broken_photo_keeps_the_form_and_adds_nothing(
    user_client, user
):
    data = {
        "mode": "manual",
        "manual-title": "Allotment notes",
        "manual-status": "want",
        "manual-cover_photo": _upload(b"not a photo", name="notes.jpg"),
    }
    response = user_client.post(reverse("catalog:book-add"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "not an image we can read" in body and 'value="Allotment notes"' in body
    assert UserBook.objects.status_counts(user)["all"] == 0
