"""A reader removes a book from its page and takes it back with Undo, in a browser."""

import re

import pytest
from playwright.sync_api import expect

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"


@pytest.mark.parametrize(
    "viewport", [None, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_remove_a_book_then_undo_brings_it_back_with_its_notes(page, viewport):
    if viewport:
        page.set_viewport_size(viewport)
    user = UserFactory(password=PASSWORD)
    record = UserBookFactory(
        user=user,
        book=BookFactory(title="Dune"),
        status="read",
        notes="Lent to Sam in March.",
    )
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()

    page.goto(record.get_absolute_url())
    page.get_by_role("link", name="Remove from library").click()
    expect(page.get_by_text("You can undo this for 10 minutes.")).to_be_visible()
    page.get_by_role("button", name="Remove", exact=True).click()

    expect(page).to_have_url(re.compile(r"/books/$"))
    message = page.get_by_role("alert").filter(has_text="Removed “Dune”.")
    expect(message).to_be_visible()
    expect(page.locator("#book-grid .book-card")).to_have_count(0)
    assert UserBook.objects.status_counts(user)["all"] == 0
    undo = message.get_by_role("button", name="Undo")
    expect(undo).to_be_visible()
    if viewport:
        assert undo.bounding_box()["x"] + undo.bounding_box()["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    undo.click()

    expect(page).to_have_url(re.compile(rf"/books/{record.book_id}/$"))
    restored = page.get_by_role("alert").filter(has_text="Restored “Dune”.")
    expect(restored).to_be_visible()
    expect(page.locator("#id_notes")).to_have_value("Lent to Sam in March.")
    back = UserBook.objects.get_for_user(user, record.book_id)
    assert (back.notes, back.status, back.added_at) == (
        record.notes,
        "read",
        record.added_at,
    )
