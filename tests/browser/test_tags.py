"""Tags in a real browser: tag three books, then filter the library by the tag."""

import pytest
from playwright.sync_api import expect

from catalog import services
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"


@pytest.fixture
def reader(page):
    user = UserFactory(password=PASSWORD)
    for n in range(1, 9):
        UserBookFactory(user=user, book=BookFactory(title=f"Book {n:02d}"))
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def _cards(page):
    return page.locator("#book-grid [data-card-key]")


def test_tag_three_books_and_filter_by_the_tag(page, reader):
    page.goto("/books/?sort=title")
    boxes = page.locator('input[name="keys"]')
    for n in (1, 3, 6):
        boxes.nth(n).check()
    expect(page.locator("#bulk-count")).to_have_text("3 books selected")
    page.locator("#id_bulk_tag").fill("Summer reading")
    page.locator("#bulk-tag-add").click()
    expect(page.get_by_text("Tagged 3 books with “Summer reading”")).to_be_visible()
    # A chip on a card filters the library by its tag.
    page.get_by_role("link", name="Summer reading").first.click()
    expect(_cards(page)).to_have_count(3)
    expect(page.locator("#tag-filter")).to_contain_text("Summer reading")
    page.locator("#id_sort").select_option("title")
    expect(page.locator("#page-range")).to_have_text("1–3 of 3")
    titles = [
        t.strip() for t in page.locator("#book-grid .card-title").all_inner_texts()
    ]
    assert titles == ["Book 02", "Book 04", "Book 07"]
    stored = UserBook.objects.page_for_user(reader, tags=["summer reading"])
    assert len(stored.items) == 3
    # Its chip takes the filter off again.
    page.locator("#tag-filter a").click()
    expect(_cards(page)).to_have_count(8)


def test_tags_typed_on_the_book_page_show_on_its_card(page, reader):
    record = UserBook.objects.page_for_user(reader, sort="title", limit=1).items[0]
    page.goto(f"/books/{record.book_id}/")
    page.locator("#id_tags").fill("Été, été, Lent out")
    page.get_by_role("button", name="Set tags").click()
    expect(page.get_by_text("Tags saved.")).to_be_visible()
    expect(page.locator("#id_tags")).to_have_value("Été, Lent out")
    page.goto("/books/?tag=ÉTÉ")
    expect(_cards(page)).to_have_count(1)
    expect(_cards(page).first).to_contain_text("Book 01")


def test_rename_a_tag_on_the_tags_page_and_filter_by_the_new_name(page, reader):
    keys = [r.book_id for r in UserBook.objects.page_for_user(reader, limit=3).items]
    services.userbooks_tag(user=reader, book_keys=keys, add=["Sumer"])
    page.goto("/books/")
    page.get_by_role("link", name="Tags", exact=True).click()
    expect(page.get_by_role("heading", name="Your tags")).to_be_visible()
    expect(page.locator("#tag-rows")).to_contain_text("Sumer 3 books")
    page.get_by_label("New name for “Sumer”").fill("Summer")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_text("Renamed “Sumer” to “Summer” on 3 books.")).to_be_visible()
    page.get_by_role("link", name="Books tagged “Summer”").click()
    expect(_cards(page)).to_have_count(3)
    expect(page.locator("#tag-filter")).to_contain_text("Summer")
    assert "tag=Summer" in page.url


def test_the_book_page_tags_field_suggests_the_readers_tags(page, reader):
    first, second = UserBook.objects.page_for_user(reader, limit=2).items
    services.userbook_set_tags(user=reader, book_key=first.book_id, tags="Owned, Été")
    page.goto(f"/books/{second.book_id}/")
    expect(page.locator("#tag-names option")).to_have_count(0)
    page.locator("#id_tags").focus()
    expect(page.locator("#tag-names option")).to_have_count(2)
    values = page.locator("#tag-names option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert values == ["Owned", "Été"]
