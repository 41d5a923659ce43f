"""A reader reads a book, follows the progress, then reads it again: both show."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"


def _set_status(page, label: str) -> None:
    form = page.locator("#userbook-form")
    form.get_by_label("Status").select_option(label=label)
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").filter(has_text="Saved.")).to_be_visible()


def test_read_a_book_twice_and_see_both_readings(page):
    user = UserFactory(password=PASSWORD)
    record = UserBookFactory(user=user, book=BookFactory(title="Dune", pages=412))
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()

    page.goto(record.get_absolute_url())
    expect(page.locator("#readings-count")).to_contain_text("No readings yet")
    _set_status(page, "Reading")
    readings = page.locator("#readings")
    readings.get_by_label("Progress").fill("120")
    readings.get_by_role("button", name="Set progress").click()
    expect(
        page.get_by_role("alert").filter(has_text="Progress: p. 120 of 412.")
    ).to_be_visible()
    page.goto("/")
    expect(page.locator(".reading-progress").first).to_contain_text("p. 120 of 412")
    # From the card, in place: the script sends it and swaps the card.
    box = page.get_by_label("Page or percent read of “Dune”").first
    box.fill("500")
    page.get_by_role("button", name="Set progress of “Dune”").first.click()
    expect(page.locator("#quick-announce")).to_have_text(
        "“Dune”: This book has 412 pages: give a page up to 412."
    )
    # Refused: what was typed stays in the box, marked, with the focus on it.
    box = page.get_by_label("Page or percent read of “Dune”").first
    expect(box).to_have_value("500")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_be_focused()
    box.fill("200")
    box.press("Enter")
    expect(page.locator("#quick-announce")).to_have_text("“Dune”: p. 200 of 412.")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".reading-progress").first).to_contain_text("p. 200 of 412")
    expect(page.locator(".reading-progress").last).to_contain_text("p. 200 of 412")

    page.goto(record.get_absolute_url())
    _set_status(page, "Read")
    expect(page.locator("#readings-count")).to_contain_text("1 reading: read 1 time.")
    page.get_by_role("button", name="Read it again").click()
    expect(
        page.get_by_role("alert").filter(has_text="A new reading starts today.")
    ).to_be_visible()
    _set_status(page, "Read")

    expect(page.locator("#readings-count")).to_contain_text("2 readings: read 2 times.")
    items = page.locator("#reading-list > li")
    expect(items).to_have_count(2)
    today = timezone.localdate()
    expect(items.nth(0)).to_contain_text("Reading 2")
    expect(items.nth(1)).to_contain_text("Reading 1")
    expect(items.nth(1)).to_contain_text("p. 200 of 412")
    for item in (items.nth(0), items.nth(1)):
        expect(item).to_contain_text(re.compile(rf"finished\s+{today:%-d %b %Y}"))

    # The first reading's start moves back a year, edited in place.
    items.nth(1).get_by_text("Edit reading 1").click()
    items.nth(1).get_by_label("Start date").fill(f"{today.year - 1}-03-01")
    items.nth(1).get_by_role("button", name="Save reading").click()
    expect(page.get_by_role("alert").filter(has_text="Reading saved.")).to_be_visible()
    expect(page.locator("#reading-1")).to_contain_text(
        f"Started 1 Mar {today.year - 1}"
    )
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert [r["outcome"] for r in stored.readings] == ["finished", "finished"]
    assert stored.status == "read"
