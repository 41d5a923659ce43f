"""Your own photo as a book's cover: on books entered by hand and books without one."""

from io import BytesIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
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


def test_a_photo_becomes_the_cover_of_a_hand_entered_book(user_client, user):
    record = _manual_record(user)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    response = user_client.post(url, {"photo": _upload(_sideways_photo())})
    assert response["Location"] == record.get_absolute_url()
    book = Book.objects.get_by_key(record.book_id)
    assert "cover" in book.edited_fields
    with default_storage.open(book.cover.name) as stored:
        cover = Image.open(stored)
        assert cover.size[0] < cover.size[1]  # upright: taller than wide
        assert max(cover.size) <= 900
    with default_storage.open(book.cover_thumb.name) as stored:
        assert max(Image.open(stored).size) <= 300
    page = user_client.get(record.get_absolute_url()).content.decode()
    assert "Your photo is the cover now" in page
    assert book.cover_thumb.url in page or book.cover.url in page


def test_a_book_without_a_cover_takes_one_and_refresh_keeps_it(
    user_client, user, fake_provider, django_capture_on_commit_callbacks
):
    record = UserBookFactory(user=user, book=BookFactory(title="Coverless"))
    assert record.book.takes_cover_photo
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    user_client.post(url, {"photo": _upload()})
    with django_capture_on_commit_callbacks(execute=True):
        services.books_refresh_metadata(book_keys=[record.book_id])
    book = Book.objects.get_by_key(record.book_id)
    assert book.cover and "cover" in book.edited_fields


def test_a_cover_from_the_details_is_not_replaced(user_client, user):
    book = BookFactory(title="Shared edition")
    book.cover.save(f"{book.pk}.jpg", _upload(), save=False)
    Book.objects.save_book(book)
    record = UserBookFactory(user=user, book=book)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    response = user_client.post(url, {"photo": _upload()}, follow=True)
    assert "already has a cover" in response.content.decode()
    assert "cover" not in Book.objects.get_by_key(book.pk).edited_fields


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
    assert not Book.objects.get_by_key(record.book_id).cover


def test_another_readers_book_is_not_found(client, user, other_user):
    record = _manual_record(other_user)
    client.force_login(user)
    url = reverse("catalog:book-cover", kwargs={"key": record.book_id})
    assert client.post(url, {"photo": _upload()}).status_code == 404
    assert client.get(url).status_code == 405
    assert not Book.objects.get_by_key(record.book_id).cover


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
    assert record.book.cover and record.book.cover_thumb


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
