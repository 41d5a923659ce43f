"""Adding books by search, photo, camera queue and USB scanner; live fragments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Book, UserBook
from tests.barcode_images import ean13_image, side_by_side, to_bytes
from tests.factories import BookFactory, UserBookFactory

# Real commits, so jobs enqueued on commit run (immediate backend) mid-request.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("both_modes"),
]
DUNE = "9780441172719"
FOX = "9780140328721"


def _photo(image, name="barcode.png"):
    return SimpleUploadedFile(name, to_bytes(image), content_type="image/png")


def test_photo_with_two_barcodes_offers_both_and_marks_the_owned_one(
    user_client, user, fake_provider
):
    UserBookFactory(user=user, book=BookFactory(key=FOX, isbn13=FOX, title="Owned fox"))
    image = side_by_side(ean13_image(DUNE), ean13_image(FOX))
    response = user_client.post(reverse("catalog:add-photo"), {"photo": _photo(image)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Found 2 ISBNs" in body
    assert f'value="{DUNE}"' in body and "Dune" in body
    assert "In your library" in body and "Owned fox" in body


def test_photo_then_add_the_found_book(user_client, user, fake_provider):
    user_client.post(reverse("catalog:add-photo"), {"photo": _photo(ean13_image(DUNE))})
    response = user_client.post(reverse("catalog:add-many"), {"isbns": [DUNE]})
    assert response["Location"] == f"/books/{DUNE}/"
    assert UserBook.objects.get_for_user(user, DUNE).book.title == "Dune"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ("text", "not an image"),
        (None, "No barcode found"),
        ("product", "is not an ISBN"),
    ],
)
def test_photo_problems_get_a_clear_message(user_client, upload, message):
    from PIL import Image

    if upload == "text":
        upload = SimpleUploadedFile("notes.txt", b"just text")
    elif upload is None:
        upload = _photo(Image.new("RGB", (400, 300), "white"))
    elif upload == "product":
        upload = _photo(ean13_image("5901234123457"))
    response = user_client.post(reverse("catalog:add-photo"), {"photo": upload})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_scanner_mode_adds_book_after_book(user_client, user, fake_provider):
    url = reverse("catalog:add-scanner")
    for isbn in (DUNE, FOX):
        response = user_client.post(url, {"isbn": isbn, "status": "read"})
        assert response["Location"] == f"{url}?status=read"
    page = user_client.get(response["Location"]).content.decode()
    assert "Fantastic Mr. Fox" in page and "Dune" in page
    assert UserBook.objects.status_counts(user)["read"] == 2
    again = user_client.post(url, {"isbn": DUNE, "status": "read"}, follow=True)
    assert "“Dune” is already in your library." in again.content.decode()


def test_scanner_mode_keeps_a_misread_and_says_why(user_client):
    response = user_client.post(
        reverse("catalog:add-scanner"), {"isbn": "9780441172718", "status": "want"}
    )
    body = response.content.decode()
    assert "checksum digit should be 9" in body and 'value="9780441172718"' in body


def test_lookup_reports_title_and_ownership(user_client, user, fake_provider):
    url = reverse("catalog:book-lookup")
    data = user_client.post(url, {"isbn": DUNE}).json()
    assert (data["isbn"], data["title"], data["owned"]) == (DUNE, "Dune", False)
    assert Book.objects.get_by_key(DUNE)  # cached for when it is added
    assert UserBook.objects.status_counts(user)["all"] == 0
    UserBookFactory(user=user, book=Book.objects.get_by_key(DUNE))
    assert user_client.get(url, {"isbn": DUNE}).json()["owned"] is True
    bad = user_client.post(url, {"isbn": "12"})
    assert bad.status_code == 400 and "10 or 13 digits" in bad.json()["error"]


def test_looking_up_by_get_only_reads(user_client, fake_provider):
    url = reverse("catalog:book-lookup")
    unknown = user_client.get(url, {"isbn": "0-441-17271-7"})
    assert unknown.status_code == 404
    assert unknown.json() == {"isbn": DUNE, "error": "Not looked up yet."}
    with pytest.raises(Book.DoesNotExist):
        Book.objects.get_by_key(DUNE)
    assert fake_provider.requests == []
    assert user_client.get(url, {"isbn": "12"}).status_code == 400


def test_add_many_refuses_a_status_that_is_not_one_of_the_four(user_client, user):
    response = user_client.post(
        reverse("catalog:add-many"),
        {"isbns": [DUNE], "status": "lost", "next": reverse("catalog:add-camera")},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("catalog:add-camera")
    assert "Nothing was added. Choose a reading status" in response.content.decode()
    counts = UserBook.objects.status_counts(user)
    assert counts["all"] == 0 and "lost" not in counts


def test_add_many_echoes_a_long_paste_shortened(user_client, user):
    response = user_client.post(
        reverse("catalog:add-many"), {"isbns": ["9" * 5000]}, follow=True
    )
    body = response.content.decode()
    assert response.status_code == 200 and "9" * 39 + "…" in body
    assert "9" * 41 not in body


def test_add_many_reports_added_owned_and_invalid(user_client, user, fake_provider):
    UserBookFactory(user=user, book=BookFactory(key=FOX, isbn13=FOX, title="Fox"))
    response = user_client.post(
        reverse("catalog:add-many"), {"isbns": [DUNE, FOX, "123"]}, follow=True
    )
    body = response.content.decode()
    assert f"Added ISBN {DUNE} to your library" in body
    assert "“Fox” is already in your library." in body
    assert "123:" in body


def test_search_offers_editions_and_marks_owned_ones(user_client, user, fake_provider):
    response = user_client.get(reverse("catalog:add-search"), {"q": "dune"})
    body = response.content.decode()
    assert response.status_code == 200 and "Dune" in body
    assert "Add edition" in body


def test_search_outage_says_so(user_client, fake_provider):
    fake_provider.fail_all = True
    response = user_client.get(reverse("catalog:add-search"), {"q": "dune"})
    assert "not answering right now" in response.content.decode()


def test_refresh_fetches_again_and_details_fragment_shows_it(
    user_client, user, fake_provider
):
    record = UserBookFactory(
        user=user,
        book=BookFactory(
            key=DUNE, isbn13=DUNE, title="", authors=[], metadata_status="failed"
        ),
    )
    detail = user_client.get(record.get_absolute_url()).content.decode()
    assert "Try again" in detail
    response = user_client.post(reverse("catalog:book-refresh", kwargs={"key": DUNE}))
    assert response.status_code == 302
    fragment = user_client.get(reverse("catalog:book-details", kwargs={"key": DUNE}))
    html = fragment.content.decode()
    assert 'data-metadata-status="complete"' in html and "Frank Herbert" in html
    assert "data-refresh-url" not in html


def test_cards_fragment_returns_only_the_users_books(user_client, user):
    mine = UserBookFactory(user=user, book=BookFactory(title="Mine"))
    theirs = UserBookFactory(book=BookFactory(title="Theirs"))
    response = user_client.get(
        reverse("catalog:book-cards"), {"keys": f"{mine.book_id},{theirs.book_id}"}
    )
    html = response.content.decode()
    assert "Mine" in html and "Theirs" not in html


def test_pending_books_carry_the_refresh_hooks(user_client, user):
    record = UserBookFactory(user=user, book=BookFactory(metadata_status="pending"))
    detail = user_client.get(record.get_absolute_url()).content.decode()
    assert "data-refresh-url" in detail and "Fetching details" in detail
    listing = user_client.get("/books/").content.decode()
    assert "data-pending" in listing


def test_camera_page_serves_the_vendored_polyfill_and_wasm(user_client):
    body = user_client.get(reverse("catalog:add-camera")).content.decode()
    assert "vendor/barcode-detector/polyfill.js" in body
    assert "vendor/zxing-wasm/zxing_reader.wasm" in body
    assert "cdn" not in body.lower()


@pytest.mark.parametrize("target", ["0", "home", "catalog:book-list"])
def test_add_many_with_a_next_that_is_not_a_path_goes_to_the_add_page(
    user_client, target
):
    response = user_client.post(
        reverse("catalog:add-many"), {"isbns": [" "], "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:book-add")
