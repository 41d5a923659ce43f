"""Two tabs on one book in a real browser: a stale save merges, a clash asks."""

from decimal import Decimal

from playwright.sync_api import expect

from catalog.models import UserBook
from tests.factories import UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"


def _log_in(page):
    user = UserFactory(password=PASSWORD)
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def _two_tabs(page):
    """Log in, and open one book in tab B, then in tab A (same browser)."""
    user = _log_in(page)
    record = UserBookFactory(user=user, notes="First thoughts")
    url = record.get_absolute_url()
    tab_b = page.context.new_page()
    tab_b.goto(url)
    page.goto(url)
    return user, record, page, tab_b


def test_a_stale_save_keeps_the_other_tabs_rating_and_note(page, live_server):
    user, record, tab_a, tab_b = _two_tabs(page)
    tab_a.get_by_label("Rating", exact=True).select_option(label="4.5 stars")
    tab_a.get_by_label("Notes").fill("Loved the ending.\nRead it again.")
    tab_a.get_by_role("button", name="Save").click()
    expect(tab_a.get_by_text("Saved.")).to_be_visible()

    tab_b.get_by_label("Status").select_option(label="Reading")
    tab_b.get_by_role("button", name="Save").click()
    expect(
        tab_b.get_by_text(
            "Saved. Changed in another tab or device: rating (now 4.5 stars), notes."
        )
    ).to_be_visible()
    expect(tab_b.get_by_label("Status")).to_have_value("reading")
    expect(tab_b.get_by_label("Rating", exact=True)).to_have_value("4.5")
    expect(tab_b.get_by_label("Notes")).to_have_value(
        "Loved the ending.\nRead it again."
    )

    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert (stored.status, stored.rating, stored.notes) == (
        "reading",
        Decimal("4.5"),
        "Loved the ending.\nRead it again.",
    )


def test_a_clash_on_one_field_shows_both_and_saves_the_pick(page, live_server):
    user, record, tab_a, tab_b = _two_tabs(page)
    tab_a.get_by_label("Notes").fill("Tab A's note")
    tab_a.get_by_label("Location").fill("Study")
    tab_a.get_by_role("button", name="Save").click()
    expect(tab_a.get_by_text("Saved.")).to_be_visible()

    tab_b.get_by_label("Notes").fill("Tab B's note")
    tab_b.get_by_label("Rating", exact=True).select_option(label="5 stars")
    tab_b.get_by_role("button", name="Save").click()
    warning = tab_b.locator("#stale-edit")
    expect(warning).to_contain_text(
        "Changed in another tab or device: location (now “Study”), notes."
    )
    expect(warning).to_contain_text("You changed notes too")
    clash = tab_b.locator("#conflict-notes")
    expect(clash.get_by_label("Keep what is stored now")).to_be_visible()
    expect(clash).to_contain_text("Tab A's note")
    expect(clash).to_contain_text("Tab B's note")
    expect(tab_b.get_by_label("Rating", exact=True)).to_have_value("5.0")  # yours, kept
    expect(tab_b.get_by_label("Location")).to_have_value("Study")  # theirs, kept
    assert UserBook.objects.get_for_user(user, record.book_id).rating is None

    clash.get_by_label("Use yours, from this page").check()
    tab_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_text("Saved.")).to_be_visible()
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert (stored.notes, stored.location, stored.rating) == (
        "Tab B's note",
        "Study",
        Decimal("5.0"),
    )
