"""Adding books in a real browser: live details, a barcode photo, scanner mode."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import UserBook
from tests.barcode_images import ean13_image, to_bytes
from tests.factories import BookFactory, UserBookFactory, UserFactory

DUNE = "9780441172719"
FOX = "9780140328721"
NMR = "9780306406157"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


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


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_photo_results_show_the_title_as_it_arrives_and_add_the_book(
    page, live_server, celery_worker, fake_provider, tmp_path, size
):
    fake_provider.slow_isbns.add(FOX)
    fake_provider.delay = 2.0
    page.set_viewport_size(size)
    user = _log_in(page, live_server)
    photo = tmp_path / "back-cover.jpg"
    photo.write_bytes(to_bytes(ean13_image(FOX), "JPEG", quality=80))
    page.goto("/books/add/photo/")
    page.get_by_label("Photo of the barcode").set_input_files(str(photo))
    page.get_by_role("button", name="Read the barcode").click()
    expect(page.get_by_text("Found 1 ISBN")).to_be_visible()
    found = page.locator(f'#found-books [data-found-isbn="{FOX}"]')
    expect(found).to_contain_text("Fetching details")
    page.evaluate("window.__sameDocument = true")
    expect(found).to_contain_text("Fantastic Mr. Fox", timeout=30_000)
    expect(found).to_contain_text("Roald Dahl")
    expect(found.locator("img.book-cover")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True  # refreshed in place
    found.get_by_role("button", name="Add").click()
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


def _detect(page, code):
    """What the camera's detector does with a code it reads."""
    page.evaluate(
        """(code) => document.getElementById("camera-scanner").dispatchEvent(
            new CustomEvent("barcode-detected", { detail: { code } }))""",
        code,
    )


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_camera_session_adds_book_after_book_and_stays_on_the_page(
    page, live_server, fake_provider, size
):
    page.set_viewport_size(size)
    user = _log_in(page, live_server)
    UserBookFactory(user=user, book=BookFactory(key=NMR, isbn13=NMR, title="Owned"))
    page.goto("/books/add/camera/")
    page.evaluate("window.__sameDocument = true")
    added = page.locator("#camera-added")
    message = page.locator("#camera-message")
    _detect(page, DUNE)
    expect(added.locator(f'li[data-isbn="{DUNE}"]')).to_contain_text("Dune")
    expect(message).to_have_text("Added “Dune” to your library.")
    _detect(page, FOX)
    fox = added.locator(f'li[data-isbn="{FOX}"]')
    expect(fox).to_contain_text("Fantastic Mr. Fox")
    expect(fox.get_by_role("link", name="Fantastic Mr. Fox")).to_have_attribute(
        "href", f"/books/{FOX}/"
    )
    expect(page.locator("#camera-count")).to_have_text("2")
    # Read again: said, not added twice.
    _detect(page, DUNE)
    expect(message).to_have_text("“Dune” is already in your library.")
    _detect(page, NMR)
    expect(added.locator(f'li[data-isbn="{NMR}"]')).to_contain_text(
        "Already in your library"
    )
    _detect(page, "9780441172718")
    expect(message).to_contain_text("9780441172718 is not a valid ISBN")
    expect(added.locator("li")).to_have_count(3)
    expect(page.locator("#camera-count")).to_have_text("2")  # only those added
    assert page.evaluate("window.__sameDocument") is True
    assert page.url.endswith("/books/add/camera/")
    assert sorted(r.book_id for r in UserBook.objects.page_for_user(user).items) == (
        sorted([DUNE, FOX, NMR])
    )


def test_camera_adds_what_the_detector_reads_while_it_keeps_scanning(
    page, live_server, fake_provider
):
    user = _log_in(page, live_server)
    page.add_init_script(FAKE_CAMERA % f'["{DUNE}", "{FOX}"]')
    page.goto("/books/add/camera/")
    page.get_by_role("button", name="Start the camera").click()
    added = page.locator("#camera-added")
    expect(added.locator(f'li[data-isbn="{DUNE}"]')).to_contain_text(
        "Dune — Frank Herbert"
    )
    expect(added.locator(f'li[data-isbn="{FOX}"]')).to_contain_text("Added")
    expect(page.get_by_role("button", name="Stop")).to_be_visible()
    assert page.url.endswith("/books/add/camera/")
    assert UserBook.objects.status_counts(user)["all"] == 2


OUTAGE = "Open Library and Google Books are not answering; we keep trying."


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize(
    "worker_env",
    # Retries wait as in use (3 s, then 6): the book stays pending meanwhile.
    [
        {
            "TEST_METADATA_RETRY_BASE_SECONDS": "3",
            "TEST_TASKS_BACKEND": "worker.backends.celery.CeleryTaskBackend",
        }
    ],
    indirect=True,
)
def test_a_provider_outage_is_named_within_seconds_until_details_arrive(
    page, live_server, celery_worker, fake_provider, size
):
    fake_provider.fail_all = True
    page.set_viewport_size(size)
    _log_in(page, live_server)
    page.goto("/books/add/")
    page.locator("#id_isbn-isbn").fill(DUNE)
    page.get_by_role("button", name="Add book", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/books/{DUNE}/$"))
    expect(page.locator("#metadata-status")).to_have_text(OUTAGE, timeout=10_000)
    page.goto("/books/")
    card = page.locator(f'[data-card-key="{DUNE}"]')
    expect(card).to_contain_text(OUTAGE)
    page.evaluate("window.__sameDocument = true")
    fake_provider.fail_all = False
    expect(card).to_contain_text("Dune", timeout=30_000)
    expect(card).not_to_contain_text("not answering")
    assert page.evaluate("window.__sameDocument") is True  # swapped in place
