"""Colour modes: the system's by default, or the reader's pick, from the first paint."""

from django.urls import reverse
from playwright.sync_api import expect

# The colour mode at the moment <body> is first parsed, before anything is drawn.
MODE_AT_BODY = """
new MutationObserver((changes, observer) => {
  if (document.body) {
    window.__modeAtBody = document.documentElement.dataset.bsTheme || "";
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def _mode(page) -> str:
    return page.evaluate("document.documentElement.dataset.bsTheme")


def test_the_site_follows_the_system_until_the_reader_picks(page):
    page.emulate_media(color_scheme="dark")
    page.goto(reverse("catalog:home"))
    assert _mode(page) == "dark"
    page.emulate_media(color_scheme="light")  # the system changes: so does the site
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")


def test_pick_dark_from_the_keyboard_and_it_is_kept_from_the_first_paint(page):
    page.context.add_init_script(MODE_AT_BODY)
    page.emulate_media(color_scheme="light")
    page.goto(reverse("accounts:login"))
    toggle = page.get_by_role("button", name="Theme (auto)")
    toggle.focus()
    page.keyboard.press("Enter")
    dark = page.get_by_role("button", name="Dark")
    expect(dark).to_be_visible()
    expect(dark).to_have_attribute("aria-pressed", "false")
    dark.focus()
    page.keyboard.press("Enter")
    assert _mode(page) == "dark"
    expect(page.get_by_role("button", name="Theme (dark)")).to_be_attached()

    page.goto(reverse("accounts:signup"))
    assert page.evaluate("window.__modeAtBody") == "dark"
    expect(page.locator("[data-theme-choice=dark]")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.emulate_media(color_scheme="light")
    assert _mode(page) == "dark"  # a pick is not overridden by the system

    other = page.context.new_page()  # another tab follows the pick
    other.goto(reverse("catalog:home"))
    page.get_by_role("button", name="Theme (dark)").click()
    page.get_by_role("button", name="Auto (follow the system)").click()
    assert _mode(page) == "light"
    expect(other.locator("html")).to_have_attribute("data-bs-theme", "light")
    page.reload()
    assert page.evaluate("window.__modeAtBody") == "light"
