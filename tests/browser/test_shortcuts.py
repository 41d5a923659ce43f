"""Keyboard shortcuts: "?" lists them, "/" searches, "a" adds, "n" pages on."""

import re

from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import UserBookFactory, UserFactory


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


def test_question_mark_opens_the_help_and_escape_closes_it(page, live_server):
    _log_in(page, live_server, UserFactory())
    page.goto(reverse("catalog:home"))
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Add a book")
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()
    # Modal: Tab stays inside the dialog while it is open.
    for key in ("Tab", "Tab", "Shift+Tab", "Shift+Tab"):
        page.keyboard.press(key)
        assert page.evaluate(
            "document.getElementById('shortcuts').contains(document.activeElement)"
        )
    page.keyboard.press("a")  # shortcuts are off while the help is open
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.url.endswith(reverse("catalog:home"))

    # The footer's button opens the same list.
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_slash_focuses_the_search_and_typing_a_there_does_not_navigate(
    page, live_server
):
    user = UserFactory()
    UserBookFactory(user=user)
    _log_in(page, live_server, user)
    page.goto(reverse("catalog:book-list"))
    page.keyboard.press("/")
    search = page.get_by_label("Search", exact=True)
    expect(search).to_be_focused()  # the library's own box, not the navbar's
    page.keyboard.type("a tale")
    expect(search).to_have_value("a tale")
    assert page.url.endswith(reverse("catalog:book-list"))

    page.goto(reverse("catalog:home"))
    page.keyboard.press("/")
    expect(page.locator("#nav-search")).to_be_focused()
    page.keyboard.press("a")
    expect(page.locator("#nav-search")).to_have_value("a")
    assert page.url.endswith(reverse("catalog:home"))


def test_a_goes_to_add_a_book_but_not_with_a_modifier(page, live_server):
    _log_in(page, live_server, UserFactory())
    page.goto(reverse("catalog:home"))
    page.keyboard.press("Control+a")
    page.keyboard.press("Alt+a")
    assert page.url.endswith(reverse("catalog:home"))
    page.keyboard.press("a")
    expect(page).to_have_url(re.compile(re.escape(reverse("catalog:book-add")) + "$"))
    expect(page.locator("#id_isbn-isbn")).to_be_focused()
    page.keyboard.type("gl")  # typed into the ISBN field: no shortcut
    expect(page.locator("#id_isbn-isbn")).to_have_value("gl")
    page.goto(reverse("catalog:home"))
    page.keyboard.press("g")
    page.keyboard.press("l")
    expect(page).to_have_url(re.compile(re.escape(reverse("catalog:book-list")) + "$"))
    page.keyboard.press("g")
    page.keyboard.press("h")
    expect(page).to_have_url(re.compile(re.escape(reverse("catalog:home")) + "$"))


def test_n_follows_the_next_page_link(page, live_server, settings):
    settings.CATALOG_PAGE_SIZE = 2
    user = UserFactory()
    for _ in range(3):
        UserBookFactory(user=user)
    _log_in(page, live_server, user)
    page.goto(reverse("catalog:book-list"))
    expect(page.locator("#book-grid .book-card")).to_have_count(2)
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"cursor="))
    expect(page.locator("#book-grid .book-card")).to_have_count(1)
