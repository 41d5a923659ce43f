"""Adding books in a real browser: live details, a barcode photo, scanner mode."""

import re

from playwright.sync_api import expect

from catalog.models import UserBook
from tests.barcode_images import ean13_image, to_bytes
from tests.factories import UserFactory

DUNE = "9780441172719"
FOX = "9780140328721"
NMR = "9780306406157"


def _log_in(page, live_server):
    user = UserFactory(password="browser passphrase 1")
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("browser passphrase 1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def test_details_arrive_from_the_worker_without_reloading(
    page, live_server, celery_worker, fake_provider
):
    fake_provider.slow_isbns.add(DUNE)
    fake_provider.delay = 2.0
    user = _log_in(page, live_server)
    page.goto("/books/add/")
    page.locator("#id_isbn-isbn").fill(DUNE)
    page.get_by_role("button", name="Add book", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/books/{DUNE}/$"))
    expect(page.get_by_text("Fetching details")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#book-title")).to_have_text("Dune", timeout=30_000)
    expect(page.locator("#book-authors")).to_contain_text("Frank Herbert")
    expect(page.locator("#book-info img.book-cover")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    cover = page.locator("#book-info img.book-cover").get_attribute("src")
    assert cover.startswith("/media/covers/")  # stored, not hot-linked
    assert UserBook.objects.get_for_user(user, DUNE).book.metadata_status == "complete"


def test_upload_a_barcode_photo_and_add_the_book(
    page, live_server, fake_provider, tmp_path
):
    user = _log_in(page, live_server)
    photo = tmp_path / "back-cover.jpg"
    photo.write_bytes(to_bytes(ean13_image(FOX), "JPEG", quality=80))
    page.goto("/books/add/photo/")
    page.get_by_label("Photo of the barcode").set_input_files(str(photo))
    page.get_by_role("button", name="Read the barcode").click()
    expect(page.get_by_text("Found 1 ISBN")).to_be_visible()
    expect(page.locator("#photo-results")).to_contain_text("Fantastic Mr. Fox")
    page.get_by_role("button", name="Add the ticked books").click()
    expect(page).to_have_url(re.compile(rf"/books/{FOX}/$"))
    expect(page.locator("#book-title")).to_have_text("Fantastic Mr. Fox")
    assert UserBook.objects.status_counts(user)["all"] == 1


def test_scanner_mode_adds_three_books_from_the_keyboard(
    page, live_server, fake_provider
):
    user = _log_in(page, live_server)
    page.goto("/books/add/scanner/")
    field = page.get_by_label("Scan or type an ISBN")
    for isbn in (DUNE, FOX, "0-306-40615-2"):
        expect(field).to_be_focused()
        page.keyboard.type(isbn)
        page.keyboard.press("Enter")
        expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#scanner-recent li")).to_have_count(3)
    assert sorted(
        r.book_id for r in UserBook.objects.page_for_user(user).items
    ) == sorted([DUNE, FOX, NMR])


# A camera that "sees" the given barcodes one after another: BarcodeDetector
# and getUserMedia replaced before the page's scripts run (the polyfill keeps
# an existing BarcodeDetector).
FAKE_CAMERA = """
(() => {
  const codes = %s;
  window.BarcodeDetector = class {
    async detect() {
      return codes.splice(0, 1).map((rawValue) => ({ rawValue }));
    }
  };
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 64;
    canvas.height = 48;
    const context = canvas.getContext("2d");
    let shade = 0;
    window.setInterval(() => {
      shade = (shade + 40) %% 256;
      context.fillStyle = `rgb(${shade}, ${shade}, ${shade})`;
      context.fillRect(0, 0, 64, 48);
    }, 50);
    return canvas.captureStream(20);
  };
})();
"""


def test_camera_queue_looks_up_titles_and_adds_the_ticked_books(
    page, live_server, fake_provider
):
    from tests.factories import BookFactory, UserBookFactory

    user = _log_in(page, live_server)
    UserBookFactory(
        user=user, book=BookFactory(key=FOX, isbn13=FOX, title="Fantastic Mr. Fox")
    )
    page.add_init_script(FAKE_CAMERA % f'["{DUNE}", "{FOX}"]')
    page.goto("/books/add/camera")
    page.get_by_role("button", name="Start the camera").click()
    queue = page.locator("#camera-queue")
    expect(queue.locator(f'li[data-isbn="{DUNE}"]')).to_contain_text(
        "Dune — Frank Herbert"
    )
    owned = queue.locator(f'li[data-isbn="{FOX}"]')
    expect(owned).to_contain_text("already in your library")
    expect(owned.locator("input")).to_be_disabled()
    expect(page.locator("#camera-count")).to_have_text("2")
    page.get_by_role("button", name="Add the ticked books").click()
    expect(page).to_have_url(re.compile(rf"/books/{DUNE}/$"))
    expect(page.locator("#book-title")).to_have_text("Dune")
    assert UserBook.objects.status_counts(user)["all"] == 2
