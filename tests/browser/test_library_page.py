"""The library page in a real browser, on a desktop and on a phone: filters
apply at once, pages go back and forth, the view is kept, selected books change
status together."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"
SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(params=list(SCREENS))
def screen(request, page):
    width, height = SCREENS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    return request.param


@pytest.fixture
def reader(page):
    user = UserFactory(password=PASSWORD)
    for n in range(1, 31):
        UserBookFactory(
            user=user,
            book=BookFactory(title=f"Book {n:02d}", authors=[f"Writer {n}"]),
            status="read" if n % 3 == 0 else "want",
        )
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def _cards(page):
    return page.locator("#book-grid [data-card-key]")


def test_a_new_status_filter_shows_at_once_and_keeps_the_focus(page, screen, reader):
    page.goto("/books/")
    expect(_cards(page)).to_have_count(24)
    page.locator("#id_status").select_option("read")
    expect(page).to_have_url(re.compile(r"status=read"))
    expect(_cards(page)).to_have_count(10)
    expect(page.locator("#page-range")).to_have_text("1–10 of 10")
    expect(page.locator("#id_status")).to_be_focused()


def test_next_then_previous_pages(page, screen, reader):
    page.goto("/books/")
    page.locator("#id_sort").select_option("title")
    expect(page.locator("#page-range")).to_have_text("1–24 of 30")
    page.locator("a[rel=next]").click()
    expect(page.locator("#page-range")).to_have_text("25–30 of 30")
    expect(_cards(page)).to_have_count(6)
    expect(_cards(page).first).to_contain_text("Book 25")
    page.locator("a[rel=prev]").click()
    expect(page.locator("#page-range")).to_have_text("1–24 of 30")
    expect(_cards(page).first).to_contain_text("Book 01")
    expect(page.locator("a[rel=prev]")).to_have_count(0)


def test_the_list_view_is_kept_after_a_reload(page, screen, reader):
    page.goto("/books/")
    page.locator("#view-list").click()
    expect(page.locator("#book-table")).to_be_visible()
    expect(page.locator("#view-list")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#view-list")).to_be_focused()
    page.reload()
    expect(page.locator("#book-table tbody tr")).to_have_count(24)
    expect(page.locator("#book-grid")).to_have_count(0)
    assert User.objects.get_by_id(reader.pk).library_view == "list"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREENS[screen][0]


@pytest.mark.parametrize("view", ["grid", "list"])
def test_select_two_books_and_change_their_status(page, screen, reader, view):
    page.goto("/books/?sort=title")
    page.locator(f"#view-{view}").click()
    boxes = page.locator('input[name="keys"]')
    expect(boxes).to_have_count(24)
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("#bulk-count")).to_have_text("2 books selected")
    page.locator("#id_bulk_status").select_option("reading")
    page.locator("#bulk-status-submit").click()
    expect(page.get_by_text("Changed 2 books to “Reading”")).to_be_visible()
    first_two = UserBook.objects.page_for_user(reader, sort="title", limit=2).items
    assert [r.book.title for r in first_two] == ["Book 01", "Book 02"]
    assert [r.status for r in first_two] == ["reading", "reading"]
    counts = UserBook.objects.status_counts(reader)
    assert counts["reading"] == 2


def test_select_all_takes_every_book_on_the_page(page, screen, reader):
    page.goto("/books/")
    page.locator("#select-all").check()
    expect(page.locator("#bulk-count")).to_have_text("24 books selected")
    page.locator('input[name="keys"]').first.uncheck()
    expect(page.locator("#bulk-count")).to_have_text("23 books selected")
    assert page.locator("#select-all").evaluate("box => box.indeterminate")


LONG_TITLE = "Pneumonoultramicroscopicsilicovolcanoconiosis"


def test_a_long_title_without_spaces_wraps_inside_its_placeholder_cover(
    page, screen, reader
):
    UserBookFactory(user=reader, book=BookFactory(title=LONG_TITLE))
    page.goto("/books/")
    cover = page.get_by_role("img", name=f"No cover for {LONG_TITLE}")
    expect(cover).to_be_visible()
    box = cover.bounding_box()
    # The text itself (its lines' extent), not the box around it.
    text = cover.locator("span").evaluate(
        """span => {
            const range = document.createRange();
            range.selectNodeContents(span);
            const r = range.getBoundingClientRect();
            return {x: r.x, y: r.y, width: r.width, height: r.height};
        }"""
    )
    assert box["x"] <= text["x"], (screen, text, box)
    assert text["x"] + text["width"] <= box["x"] + box["width"], (screen, text, box)
    assert box["y"] <= text["y"], (screen, text, box)
    assert text["y"] + text["height"] <= box["y"] + box["height"], (screen, text, box)


def test_controls_are_tall_enough_to_tap_on_a_phone(page, reader):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/books/")
    for selector in (
        "#id_q",
        "#id_status",
        "#id_sort",
        "#view-grid",
        "#bulk-status-submit",
        "#id_bulk_status",
        "a[rel=next]",
        ".book-select",
    ):
        box = page.locator(selector).first.bounding_box()
        assert box and box["height"] >= 44, (selector, box)
    # The bulk bar at the end of the list sits below the last card, not over it.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    bar = page.locator("#bulk-form").bounding_box()
    last = _cards(page).last.bounding_box()
    assert last["y"] + last["height"] <= bar["y"]
