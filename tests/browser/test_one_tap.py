"""One tap: status and rating from a card or a book's page, in a real browser.

At a desktop size (1366x900) and a phone's (390x844). The clicks a change takes
are counted: picking from a select is two (open it, pick), a button one.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])


def _log_in(page, size):
    page.set_viewport_size(size)
    user = UserFactory(password=PASSWORD)
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def _dune(user, **fields) -> UserBook:
    return UserBookFactory(user=user, book=BookFactory(title="Dune"), **fields)


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


@SIZES
def test_a_cards_status_changes_in_place_and_stays(page, live_server, size):
    user = _log_in(page, size)
    record = _dune(user)
    page.goto(reverse("catalog:book-list"))
    status = page.get_by_label("Status of “Dune”")
    expect(status).to_have_value("want")
    expect(page.locator(".quick-submit").first).to_be_hidden()  # the script sends
    if size is PHONE:
        assert status.bounding_box()["height"] >= 44
        assert page.get_by_label("Rating for “Dune”").bounding_box()["height"] >= 44
    url = page.url

    status.select_option("reading")  # the one pick (open + choose: two clicks)
    toast = page.locator("#quick-announce")
    expect(toast).to_have_text("“Dune”: Reading.")
    expect(toast).to_have_attribute("aria-live", "polite")
    assert page.url == url  # no page load
    expect(page.get_by_label("Status of “Dune”")).to_have_value("reading")

    page.reload()
    expect(page.get_by_label("Status of “Dune”")).to_have_value("reading")
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert (stored.status, stored.notes) == ("reading", "")


def test_a_book_shown_twice_on_the_home_page_changes_in_both(page, live_server):
    user = _log_in(page, DESKTOP)
    record = _dune(user, status="reading")
    page.goto(reverse("catalog:home"))
    cards = page.locator(f'[data-card-key="{record.book_id}"] select[name=status]')
    expect(cards).to_have_count(2)  # currently reading, and recently added
    cards.first.select_option("read")
    expect(page.locator("#quick-announce")).to_have_text("“Dune”: Read.")
    expect(cards.nth(0)).to_have_value("read")
    expect(cards.nth(1)).to_have_value("read")
    cards.nth(1).select_option("dnf")  # no false "changed elsewhere"
    expect(page.locator("#quick-announce")).to_have_text("“Dune”: Did not finish.")
    assert UserBook.objects.get_for_user(user, record.book_id).status == "dnf"


def test_a_card_is_keyboard_operable(page, live_server):
    user = _log_in(page, DESKTOP)
    record = _dune(user)
    page.goto(reverse("catalog:book-list"))
    rating = page.get_by_label("Rating for “Dune”")
    rating.focus()
    page.keyboard.press("ArrowDown")  # No rating -> 0.5 stars
    expect(page.locator("#quick-announce")).to_have_text("“Dune”: 0.5 stars.")
    expect(page.get_by_label("Rating for “Dune”")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#quick-announce")).to_have_text("“Dune”: 1 star.")
    outline = page.get_by_label("Rating for “Dune”").evaluate(
        "el => getComputedStyle(el).outlineStyle"
    )
    assert outline != "none"  # focus is visible
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert stored.rating == Decimal("1.0")


def test_the_status_buttons_work_from_the_keyboard(page, live_server):
    user = _log_in(page, PHONE)
    record = _dune(user)
    page.goto(record.get_absolute_url())
    want = page.get_by_role("button", name="Want to read", exact=True)
    expect(want).to_have_attribute("aria-pressed", "true")
    assert want.bounding_box()["height"] >= 44
    want.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Reading"
    expect(page.locator("#quick-announce")).to_have_text("“Dune”: Reading.")
    reading = page.get_by_role("button", name="Reading", exact=True)
    expect(reading).to_have_attribute("aria-pressed", "true")
    expect(reading).to_be_focused()  # focus stays where it was
    expect(want).to_have_attribute("aria-pressed", "false")
    assert UserBook.objects.get_for_user(user, record.book_id).status == "reading"


@SIZES
def test_set_three_and_a_half_stars_on_the_book_page(page, live_server, size):
    user = _log_in(page, size)
    record = _dune(user)
    page.goto(record.get_absolute_url())
    rating = page.get_by_label("Rating for “Dune”")
    assert _in_viewport(page, rating)  # at the top, no scrolling
    rating.select_option(label="3.5 stars")
    expect(page.locator("#quick-announce")).to_have_text("“Dune”: 3.5 stars.")
    expect(page.locator("#quick-set .stars")).to_have_attribute("title", "3.5 of 5")
    # The record form below shows it too, and saving it keeps it.
    expect(page.get_by_label("Rating", exact=True)).to_have_value("3.5")

    page.get_by_role("button", name="Reading", exact=True).click()  # one click
    expect(page.locator("#quick-announce")).to_have_text("“Dune”: Reading.")
    expect(page.get_by_role("button", name="Reading", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#id_status")).to_have_value("reading")
    page.get_by_label("Notes").fill("Spice.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    page.reload()
    expect(page.get_by_label("Rating for “Dune”")).to_have_value("3.5")
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert (stored.rating, stored.status, stored.notes) == (
        Decimal("3.5"),
        "reading",
        "Spice.",
    )


def test_a_tap_on_a_status_changed_elsewhere_says_so(page, live_server):
    user = _log_in(page, DESKTOP)
    record = _dune(user)
    page.goto(reverse("catalog:book-list"))
    current = UserBook.objects.get_for_user(user, record.book_id)
    UserBook.objects.update_for_user(
        user, record.book_id, version=current.version, changes={"status": "read"}
    )
    page.get_by_label("Status of “Dune”").select_option("dnf")
    expect(page.locator("#quick-announce")).to_contain_text(
        "its status is now Read; your choice (Did not finish) was not saved"
    )
    expect(page.get_by_label("Status of “Dune”")).to_have_value("read")
    assert UserBook.objects.get_for_user(user, record.book_id).status == "read"


def test_signed_out_meanwhile_a_tap_goes_to_the_log_in_page(page, live_server):
    user = _log_in(page, DESKTOP)
    record = _dune(user)
    page.goto(reverse("catalog:book-list"))
    page.context.clear_cookies(name="sessionid")  # logged out in another tab
    page.get_by_label("Status of “Dune”").select_option("read")
    expect(page).to_have_url(re.compile(r"/login/\?next=/books/$"))
    assert UserBook.objects.get_for_user(user, record.book_id).status == "want"


def test_without_javascript_the_controls_are_forms(browser, live_server):
    user = UserFactory(password=PASSWORD)
    record = _dune(user)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(reverse("catalog:book-list") + "?sort=title")
    page.get_by_label("Status of “Dune”").select_option("read")
    page.get_by_role("button", name="Set", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("“Dune”: Read.")
    assert page.url.endswith(reverse("catalog:book-list") + "?sort=title")
    expect(page.get_by_label("Status of “Dune”")).to_have_value("read")

    page.goto(record.get_absolute_url())
    page.get_by_role("button", name="Reading", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("“Dune”: Reading.")
    page.get_by_label("Rating for “Dune”").select_option("4.5")
    page.get_by_role("button", name="Set rating").click()
    expect(page.get_by_role("alert")).to_contain_text("“Dune”: 4.5 stars.")
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert (stored.status, stored.rating) == ("reading", Decimal("4.5"))
    context.close()


def test_on_a_phone_save_is_in_reach_and_a_bad_date_focuses_the_summary(
    page, live_server
):
    user = _log_in(page, PHONE)
    record = _dune(user)
    page.goto(record.get_absolute_url())
    save = page.get_by_role("button", name="Save", exact=True)
    assert _in_viewport(page, save)  # no scrolling to reach it
    page.get_by_label("Started on").fill("2024-05-02")
    page.get_by_label("Finished on").fill("2024-05-01")
    save.click()

    summary = page.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The finish date is before the start date")
    expect(summary.locator("a").first).to_be_in_viewport(ratio=1)
    assert re.search(r"#form-errors$", page.url)
    finished = page.get_by_label("Finished on")
    expect(finished).to_have_attribute("aria-invalid", "true")
    expect(finished).to_have_value("2024-05-01")  # what was typed is kept

    summary.get_by_role("link").first.click()
    expect(finished).to_be_focused()
    # Nothing on the page hides under the Save bar.
    bar = page.locator(".save-bar").bounding_box()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer = page.locator("footer").bounding_box()
    assert footer["y"] + footer["height"] <= bar["y"] + 1
