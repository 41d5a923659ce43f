"""Selected books removed together from the library page and brought back with
Undo, in a browser: on a desktop and on a phone, in the grid and in the list,
with the filters kept, and as plain form posts without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"
SCREENS = {"desktop": (1366, 900), "phone": (390, 844)}
FILTERED = "/books/?q=book&status=want&sort=added"
# The order the filters give, kept in every address the page goes to.
KEPT = [re.compile(r"[?&]q=book(&|$)"), re.compile(r"[?&]status=want(&|$)")]
KEPT.append(re.compile(r"[?&]sort=added(&|$)"))


@pytest.fixture(params=list(SCREENS))
def screen(request, page):
    width, height = SCREENS[request.param]
    page.set_viewport_size({"width": width, "height": height})
    return request.param


@pytest.fixture
def reader(transactional_db):
    """30 books, "Book 01" to "Book 30", each with a note; every third is read."""
    user = UserFactory(password=PASSWORD)
    for n in range(1, 31):
        UserBookFactory(
            user=user,
            book=BookFactory(title=f"Book {n:02d}", authors=[f"Writer {n}"]),
            status="read" if n % 3 == 0 else "want",
            notes=f"Note on book {n}",
        )
    return user


def _log_in(page, user):
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()


def _keys(page) -> list[str]:
    """The books on the page, in their order (the grid's or the list's)."""
    return page.locator('input[name="keys"]').evaluate_all(
        "boxes => boxes.map(box => box.value)"
    )


def _expect_filters_kept(page):
    for pattern in KEPT:
        expect(page).to_have_url(pattern)
    expect(page.locator("#id_q")).to_have_value("book")
    expect(page.locator("#id_status")).to_have_value("want")
    expect(page.locator("#id_sort")).to_have_value("added")


def _expect_counts(page, shown: int, everything: int):
    expect(page.locator("#page-range")).to_have_text(f"1–{shown} of {shown}")
    expect(page.locator("#range-top")).to_have_text(f"1–{shown} of {shown}")
    expect(page.locator("#id_status option[value='']")).to_have_text(
        f"All ({everything})"
    )
    expect(page.locator("#id_status option[value='want']")).to_have_text(
        f"Want to read ({shown})"
    )


def _uncovered(page, locator) -> bool:
    """Whether the middle of the element is its own (nothing lies over it)."""
    return locator.evaluate(
        """element => {
            const box = element.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            const top = document.elementFromPoint(x, y);
            return top !== null && (top === element || element.contains(top));
        }"""
    )


def _shown_whole(select) -> bool:
    """Whether a closed select has room for the whole text of its chosen option."""
    return select.evaluate(
        """select => {
            const style = getComputedStyle(select);
            const context = document.createElement("canvas").getContext("2d");
            context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
            const text = select.options[select.selectedIndex].text;
            const room = select.clientWidth - parseFloat(style.paddingLeft)
                - parseFloat(style.paddingRight);
            return context.measureText(text).width <= room;
        }"""
    )


def _saved(user, keys):
    records = [UserBook.objects.get_for_user(user, key) for key in keys]
    return [(r.status, r.notes, r.added_at) for r in records]


@pytest.mark.parametrize("view", ["grid", "list"])
def test_remove_three_selected_books_then_undo_brings_them_back(
    page, screen, reader, view
):
    width, height = SCREENS[screen]
    _log_in(page, reader)
    page.goto(FILTERED)
    page.locator(f"#view-{view}").click()
    expect(
        page.locator("#book-table" if view == "list" else "#book-grid")
    ).to_be_visible()
    _expect_filters_kept(page)
    _expect_counts(page, 20, 30)
    before = _keys(page)
    chosen = [before[1], before[3], before[4]]
    saved = _saved(reader, chosen)
    for key in chosen:
        page.locator(f'input[name="keys"][value="{key}"]').check()
    expect(page.locator("#bulk-count")).to_have_text("3 books selected")
    # The bar follows the reader at the bottom of the screen while books are chosen.
    bar = page.locator("#bulk-form")
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= height + 1
    assert box["y"] + box["height"] >= height - 2
    assert box["x"] + box["width"] <= width
    remove = page.locator("#bulk-remove")
    assert _uncovered(page, remove)

    remove.click()

    message = page.get_by_role("alert").filter(has_text="Removed 3 books.")
    expect(message).to_be_visible()
    _expect_filters_kept(page)
    _expect_counts(page, 17, 27)
    assert _keys(page) == [key for key in before if key not in chosen]
    assert UserBook.objects.status_counts(reader)["want"] == 17
    # The count is read in the closed select, on a phone too.
    assert _shown_whole(page.locator("#id_status"))
    undo = message.get_by_role("button", name="Undo")
    expect(undo).to_be_in_viewport()
    assert _uncovered(page, undo)
    undo_box = undo.bounding_box()
    assert undo_box["x"] + undo_box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    undo.click()

    expect(
        page.get_by_role("alert").filter(has_text="Restored 3 books.")
    ).to_be_visible()
    _expect_filters_kept(page)
    _expect_counts(page, 20, 30)
    assert _keys(page) == before
    assert _saved(reader, chosen) == saved
    expect(page.locator("#bulk-count")).to_have_text("No books selected")


@pytest.mark.parametrize("view", ["grid", "list"])
def test_without_javascript_remove_and_undo_are_plain_form_posts(
    browser, live_server, reader, view
):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 390, "height": 844},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        _log_in(page, reader)
        page.goto(FILTERED)
        page.locator(f"#view-{view}").click()
        expect(
            page.locator("#book-table" if view == "list" else "#book-grid")
        ).to_be_visible()
        _expect_filters_kept(page)
        before = _keys(page)
        chosen = before[:3]
        saved = _saved(reader, chosen)
        # No script: no "Select all" and no count, the boxes and buttons work alone.
        expect(page.locator("#select-all")).to_be_hidden()
        for key in chosen:
            page.locator(f'input[name="keys"][value="{key}"]').check()

        page.locator("#bulk-remove").click()

        message = page.get_by_role("alert").filter(has_text="Removed 3 books.")
        expect(message).to_be_visible()
        _expect_filters_kept(page)
        _expect_counts(page, 17, 27)
        assert _keys(page) == before[3:]
        undo = message.get_by_role("button", name="Undo")
        assert _uncovered(page, undo)

        undo.click()

        expect(
            page.get_by_role("alert").filter(has_text="Restored 3 books.")
        ).to_be_visible()
        _expect_filters_kept(page)
        _expect_counts(page, 20, 30)
        assert _keys(page) == before
        assert _saved(reader, chosen) == saved
    finally:
        context.close()
