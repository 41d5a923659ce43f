"""Series in a real browser: add a book's series, then see the gap on its page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"


@pytest.fixture
def reader(page):
    user = UserFactory(password=PASSWORD)
    for title, position in [("Dune", "1"), ("Dune Messiah", "2")]:
        UserBookFactory(
            user=user,
            book=BookFactory(
                title=title,
                series=[{"name": "Dune Chronicles", "position": position}],
            ),
        )
    UserBookFactory(user=user, book=BookFactory(title="God Emperor of Dune"))
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def test_add_a_series_to_a_book_and_see_the_gap(page, reader):
    page.get_by_role("link", name="God Emperor of Dune").first.click()
    page.locator("#corrections summary").click()
    page.get_by_label("Series").fill("Dune Chronicles #4")
    page.get_by_role("button", name="Save corrections").click()
    expect(page.get_by_text("Saved your corrections")).to_be_visible()
    page.locator("#book-series").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Dune Chronicles")).to_be_visible()
    expect(page.locator("#series-summary")).to_contain_text(
        "You have 1, 2 and 4; missing 3."
    )
    books = page.locator("#series-books > li")
    expect(books).to_have_count(4)
    assert "series-gap" in books.nth(2).get_attribute("class").split()
    expect(books.nth(2)).to_contain_text("Missing: 3")
    expect(books.nth(3)).to_contain_text("God Emperor of Dune")
    page.get_by_role("link", name="Your series").click()
    expect(page.locator("#series-rows")).to_contain_text("3 books")
    stored = UserBook.objects.page_for_user(reader, series="dune chronicles")
    assert len(stored.items) == 3


@pytest.mark.parametrize("width", [1366, 390], ids=["desktop", "phone"])
def test_the_series_page_shows_small_covers_beside_the_titles(page, reader, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(reverse("catalog:series", args=["dune chronicles"]))
    covers = page.locator("#series-books .book-cover")
    expect(covers).to_have_count(2)
    for index in range(2):
        box = covers.nth(index).bounding_box()
        assert box["width"] <= 48 and box["height"] <= 72, box
    title = page.get_by_role("link", name="Dune Messiah").bounding_box()
    assert title["width"] > 100, title
