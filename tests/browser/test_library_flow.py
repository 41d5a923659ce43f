"""A reader signs up, adds a book by ISBN, finds it and rates it, in a real browser."""

import re

from playwright.sync_api import expect

from accounts.models import User
from catalog.models import UserBook

PASSWORD = "a long browser passphrase 1"


def test_sign_up_add_by_isbn_find_it_and_rate_it(page, fake_provider):
    page.goto("/signup/")
    page.get_by_label("Username").fill("browserreader")
    page.get_by_label("Email").fill("browser@example.com")
    page.locator("#id_password1").fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Welcome, browserreader!")).to_be_visible()

    page.get_by_role("link", name="Add a book").first.click()
    expect(page.locator("#id_isbn-isbn")).not_to_have_class(re.compile("is-invalid"))
    page.locator("#id_isbn-isbn").fill("0-306-40615-2")
    page.get_by_role("button", name="Add book", exact=True).click()
    expect(page).to_have_url(re.compile(r"/books/9780306406157/$"))
    expect(page.locator("#book-title")).to_have_text(
        "Nuclear magnetic resonance in biochemistry"
    )

    page.get_by_role("link", name="Library", exact=True).click()
    card = page.locator("#book-grid .book-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Nuclear magnetic resonance")
    card.click()

    page.get_by_label("Status").select_option("read")
    page.get_by_label("Rating", exact=True).select_option("4.5")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.locator(".stars")).to_have_attribute("title", "4.5 of 5")

    user = User.objects.get_by_natural_key("browserreader")
    record = UserBook.objects.get_for_user(user, "9780306406157")
    assert record.status == "read" and str(record.rating) == "4.5"


def test_the_library_fits_a_phone_screen(page, django_user_model):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/login")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    expect(page.get_by_role("button", name="Toggle navigation")).to_be_visible()
