"""Locations in a real browser: rename one, then filter the library by it."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"


@pytest.fixture
def reader(page):
    user = UserFactory(password=PASSWORD)
    for n, place in enumerate(["Hall", "hall", "Attic", "Study", ""], start=1):
        UserBookFactory(
            user=user, book=BookFactory(title=f"Book {n:02d}"), location=place
        )
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def _cards(page):
    return page.locator("#book-grid [data-card-key]")


def test_rename_a_location_then_filter_the_library_by_it(page, reader):
    page.get_by_role("link", name="Locations").click()
    expect(page.locator("#locations tbody tr")).to_have_count(3)
    field = page.locator("#locations input[name='new']").nth(1)
    expect(field).to_have_value("Hall")
    field.fill("Front  hall")
    page.locator("#locations button").nth(1).click()
    expect(page.get_by_text("Moved 2 books to “Front hall”.")).to_be_visible()
    # Merged with the study: three books there now.
    page.locator("#locations input[name='new']").nth(1).fill("study")
    page.locator("#locations button").nth(1).click()
    expect(page.get_by_text("Moved 2 books to “study”.")).to_be_visible()
    row = page.locator("#locations tbody tr").nth(1)
    expect(row).to_contain_text("3 books")
    row.get_by_role("link").click()
    expect(_cards(page)).to_have_count(3)
    expect(page.locator("#location-filter")).to_contain_text("Study")
    stored = UserBook.objects.page_for_user(reader, location="STUDY")
    assert sorted(r.book.title for r in stored.items) == [
        "Book 01",
        "Book 02",
        "Book 04",
    ]
    # Its chip takes the filter off again.
    page.locator("#location-filter a").click()
    expect(_cards(page)).to_have_count(5)


@pytest.mark.parametrize("width", [320, 390], ids=["narrow", "phone"])
def test_a_narrow_phone_renames_and_tags_without_sideways_scrolling(
    page, reader, width
):
    page.set_viewport_size({"width": width, "height": 800})
    for url in (reverse("catalog:locations"), reverse("catalog:book-list")):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
    # The bulk bar's tag box keeps room to type (80px at least).
    assert page.locator("#id_bulk_tag").bounding_box()["width"] >= 79.5
