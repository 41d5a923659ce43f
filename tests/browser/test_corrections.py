"""A reader gives a book with no details its title and authors, in a real browser."""

import re

from playwright.sync_api import expect

from catalog.models import Book, UserBook
from tests.factories import UserFactory, isbn13_for

UNKNOWN = isbn13_for(424242)  # the fake providers know nothing of it


def test_correct_a_not_found_book_and_see_it_in_the_library(
    page, live_server, fake_provider
):
    user = UserFactory(password="browser passphrase 1")
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("browser passphrase 1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()

    page.goto("/books/add/")
    page.locator("#id_isbn-isbn").fill(UNKNOWN)
    page.get_by_role("button", name="Add book", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/books/{UNKNOWN}/$"))
    # Not found: the page asks for the title and authors, the form open.
    expect(page.locator("#needs-details")).to_contain_text("No details were found")
    expect(page.locator("#id_fix-title")).to_be_visible()

    page.locator("#id_fix-title").fill("The Allotment Year")
    page.locator("#id_fix-authors").fill("Ruth Green\nAlan Brown")
    page.get_by_role("button", name="Save corrections").click()
    expect(page.get_by_text("Saved your corrections")).to_be_visible()
    expect(page.locator("#book-title")).to_have_text("The Allotment Year")
    expect(page.locator("#book-authors")).to_contain_text("Ruth Green, Alan Brown")
    expect(page.locator("#needs-details")).to_have_count(0)

    page.get_by_role("link", name="Library", exact=True).click()
    card = page.locator("#book-grid .book-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("The Allotment Year")
    expect(card).to_contain_text("Ruth Green, Alan Brown")
    page.locator("input[name=q]").first.fill("allotment")
    page.locator("input[name=q]").first.press("Enter")
    expect(page.locator("#book-grid .book-card")).to_have_count(1)

    assert Book.objects.get_by_key(UNKNOWN).title == ""
    record = UserBook.objects.get_for_user(user, UNKNOWN)
    assert record.corrections == {
        "title": "The Allotment Year",
        "authors": ["Ruth Green", "Alan Brown"],
    }
