"""What has the keyboard focus is never hidden under a bar fixed to the screen.

WCAG 2.2, 2.4.11 Focus Not Obscured: the record form's Save bar (fixed to the
bottom of a phone's screen, sticky on wider ones) and the library's bulk bar
(sticky while books are selected) leave room for the focused control.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import UserBookFactory, UserFactory

SIZES = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1366, "height": 600},
}

# The focused element's box against the bar's: how far the bar covers it.
COVERED = """bar => {
  const focused = document.activeElement.getBoundingClientRect();
  const cover = document.querySelector(bar).getBoundingClientRect();
  return Math.max(0, focused.bottom - cover.top);
}"""


def _log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def _tab_to(page, selector, limit=80):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("size", SIZES)
def test_the_save_bar_never_covers_the_field_being_typed_in(page, live_server, size):
    page.set_viewport_size(SIZES[size])
    page.emulate_media(reduced_motion="reduce")  # no smooth scrolling to wait for
    user = UserFactory()
    record = UserBookFactory(user=user)
    _log_in(page, live_server, user)
    page.goto(record.get_absolute_url())
    covered = {}
    for field in ("id_status", "id_rating", "id_started_on", "id_finished_on"):
        page.evaluate("window.scrollTo(0, 0)")
        # Tabbing starts from the heading just above the form.
        page.get_by_role("heading", name="Your copy").click()
        _tab_to(page, f"#{field}")
        if amount := page.evaluate(COVERED, ".save-bar"):
            covered[field] = amount
    assert not covered, covered


@pytest.mark.parametrize("size", SIZES)
def test_the_bulk_bar_never_covers_the_checkbox_being_ticked(page, live_server, size):
    page.set_viewport_size(SIZES[size])
    page.emulate_media(reduced_motion="reduce")  # no smooth scrolling to wait for
    user = UserFactory()
    for _ in range(8):
        UserBookFactory(user=user)
    _log_in(page, live_server, user)
    page.goto(reverse("catalog:book-list"))
    first = page.locator('input[name="keys"]').first
    first.check()
    expect(page.locator("#bulk-form")).to_have_class(re.compile(r"\bbulk-active\b"))
    page.evaluate("window.scrollTo(0, 0)")
    first.focus()
    covered = {}
    for n in range(1, 8):
        _tab_to(page, 'input[name="keys"]', limit=12)
        if amount := page.evaluate(COVERED, "#bulk-form"):
            covered[n] = amount
    assert not covered, covered
