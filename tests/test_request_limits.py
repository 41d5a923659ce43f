"""Request bodies are capped before they are read; only photo uploads are large."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog.models import UserBook
from tests.barcode_images import ean13_image, to_bytes
from tests.factories import UserBookFactory

pytestmark = pytest.mark.usefixtures("both_modes")
DUNE = "9780441172719"
HUNDRED_MB = 100 * 1024 * 1024


class UnreadBody:
    """A request body that fails the test if anything reads it."""

    def __init__(self) -> None:
        self.reads = 0

    def read(self, *args: object) -> bytes:
        self.reads += 1
        raise AssertionError("the body was read")

    readline = read


def post_declaring(client, url: str, length: int, body: UnreadBody):
    """POST that declares ``length`` bytes of body but never has them read."""
    return client.generic(
        "POST",
        url,
        content_type="multipart/form-data; boundary=x",
        **{"wsgi.input": body, "CONTENT_LENGTH": str(length)},
    )


def test_an_anonymous_large_post_to_login_is_refused_unread(client):
    body = UnreadBody()
    response = post_declaring(client, reverse("accounts:login"), HUNDRED_MB, body)
    assert response.status_code == 413
    assert "That was too large to send" in response.content.decode()
    assert "100 MB" in response.content.decode()
    assert body.reads == 0


def test_an_upload_view_takes_no_large_body_from_someone_logged_out(client):
    body = UnreadBody()
    response = post_declaring(client, reverse("catalog:add-photo"), 5_000_000, body)
    assert response.status_code == 413 and body.reads == 0


def test_a_logged_in_reader_posts_only_small_bodies_outside_the_photo_views(
    user_client, user, settings
):
    record = UserBookFactory(user=user)
    body = UnreadBody()
    url = reverse("catalog:book-detail", args=[record.book_id])
    length = settings.REQUEST_MAX_BODY_BYTES + 1
    response = post_declaring(user_client, url, length, body)
    assert response.status_code == 413 and body.reads == 0


def test_a_photo_over_the_upload_limit_is_refused_unread(user_client, settings):
    body = UnreadBody()
    length = settings.REQUEST_MAX_UPLOAD_BYTES + 1
    response = post_declaring(user_client, reverse("catalog:add-photo"), length, body)
    assert response.status_code == 413 and body.reads == 0
    assert "at most 16 MB" in response.content.decode()


def _large_barcode_photo(settings) -> bytes:
    """A real JPEG photo of a barcode, larger than the small body limit."""
    photo = Image.effect_noise((2400, 1800), 64).convert("RGB")
    photo.paste(ean13_image(DUNE), (300, 300))
    data = to_bytes(photo, "JPEG", quality=95)
    assert len(data) > settings.REQUEST_MAX_BODY_BYTES
    return data


def test_a_logged_in_reader_still_uploads_a_real_photo(
    user_client, settings, fake_provider
):
    photo = SimpleUploadedFile("p.jpg", _large_barcode_photo(settings), "image/jpeg")
    response = user_client.post(reverse("catalog:add-photo"), {"photo": photo})
    assert response.status_code == 200
    assert f'value="{DUNE}"' in response.content.decode()


def test_adding_by_hand_takes_a_large_cover_photo(user_client, user, settings):
    photo = SimpleUploadedFile("c.jpg", _large_barcode_photo(settings), "image/jpeg")
    response = user_client.post(
        reverse("catalog:book-add"),
        {
            "mode": "manual",
            "manual-title": "A book with a photo",
            "manual-status": "want",
            "manual-cover_photo": photo,
        },
    )
    assert response.status_code == 302
    key = response["Location"].rstrip("/").split("/")[-1]
    assert UserBook.objects.get_for_user(user, key).shown.cover


def test_django_form_data_limit_matches_the_small_body_limit(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.REQUEST_MAX_BODY_BYTES
    assert settings.REQUEST_MAX_UPLOAD_BYTES > settings.BARCODE_MAX_UPLOAD_BYTES


def test_notes_over_their_limit_in_any_script_get_the_forms_message_not_a_413(
    user_client, user
):
    from urllib.parse import urlencode

    from tests.html_forms import form_values

    record = UserBookFactory(user=user)
    url = reverse("catalog:book-detail", args=[record.book_id])
    values = form_values(user_client.get(url).content.decode(), "userbook-form")
    # 100,000 four-byte characters: twice the notes limit, 1.2 MB once encoded.
    values["notes"] = "\U0001f4da" * 100_000
    body = urlencode(values)
    assert len(body) > 1024 * 1024
    response = user_client.post(
        url, body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "50,000" in response.content.decode()
