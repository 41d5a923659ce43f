"""On a phone, everything a finger taps is at least 44 by 44 CSS pixels.

Measured: buttons, form fields, links styled as buttons, links in the navbar
and menus, and each checkbox's or radio's label (its tap target with the box).
Links inside a sentence are left out, as WCAG 2.5.8 allows for inline targets.
"""

from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import BookFactory, UserBookFactory, UserFactory

PHONE = {"width": 390, "height": 844}
MINIMUM = 44

# Every visible target that is not an inline link in running text.
TARGETS = """minimum => {
  const selector = [
    "button", "a.btn",
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio])",
    "select", "textarea", ".navbar a", ".dropdown-item", ".pagination a",
    ".form-check-label", "summary", "nav a",
  ].join(",");
  const small = [];
  for (const element of document.querySelectorAll(selector)) {
    const box = element.getBoundingClientRect();
    if (!box.width || !box.height) continue;  // not shown
    const away = ".visually-hidden-focusable, [hidden], dialog:not([open])";
    if (element.closest(away)) continue;
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      const name = (element.innerText || element.value || element.name || "").trim();
      small.push(`${element.tagName.toLowerCase()}.${[...element.classList].join(".")}`
        + ` "${name.slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
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


def _describe(found: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{url}: {target}" for url, small in found.items() for target in small
    )


def _small_targets(page) -> list[str]:
    return page.evaluate(TARGETS, MINIMUM)


def test_phone_targets_are_at_least_44_pixels(page, live_server):
    page.set_viewport_size(PHONE)
    user = UserFactory()
    record = UserBookFactory(user=user)
    UserBookFactory(user=user)
    _log_in(page, live_server, user)
    found = {}
    for url in (
        reverse("catalog:home"),
        reverse("catalog:book-list"),
        record.get_absolute_url(),
        reverse("catalog:book-add"),
        reverse("catalog:add-scanner"),
        reverse("catalog:add-photo"),
        reverse("catalog:book-remove", args=[record.book_id]),
        reverse("accounts:profile"),
    ):
        page.goto(url)
        # The folded navbar, opened, and its account menu.
        page.get_by_role("button", name="Toggle navigation").click()
        expect(page.locator("#nav-main")).to_be_visible()
        page.locator("#nav-main .dropdown-toggle").last.click()
        if small := _small_targets(page):
            found[url] = small
    assert not found, _describe(found)


def test_logged_out_pages_too(page, live_server):
    page.set_viewport_size(PHONE)
    found = {}
    for url in (reverse("catalog:home"), reverse("accounts:login")):
        page.goto(url)
        page.get_by_role("button", name="Toggle navigation").click()
        expect(page.locator("#nav-main")).to_be_visible()
        if small := _small_targets(page):
            found[url] = small
    assert not found, _describe(found)


def test_library_list_bulk_bar_pages_and_undo_too(page, live_server, settings):
    settings.CATALOG_PAGE_SIZE = 2
    page.set_viewport_size(PHONE)
    user = UserFactory()
    records = [UserBookFactory(user=user) for _ in range(6)]
    _log_in(page, live_server, user)
    found = {}

    def measure(state):
        if small := _small_targets(page):
            found[state] = small

    page.goto(reverse("catalog:book-remove", args=[records[0].book_id]))
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    measure("removed, with Undo")
    page.get_by_role("button", name="List").click()
    expect(page.locator("#book-table")).to_be_visible()
    page.locator('input[name="keys"]').first.check()
    expect(page.locator("#bulk-count")).to_have_text("1 book selected")
    measure("list, a book selected")
    page.get_by_role("link", name="Next »").click()
    expect(page.get_by_role("link", name="« Previous")).to_be_visible()
    measure("list, page 2")
    assert not found, _describe(found)


def test_a_book_page_with_readings_and_progress_too(page, live_server):
    from catalog import services

    page.set_viewport_size(PHONE)
    user = UserFactory()
    record = UserBookFactory(user=user, status="read")
    services.userbook_read_again(user=user, book_key=record.book_id)
    _log_in(page, live_server, user)
    page.goto(record.get_absolute_url())
    for summary in ("Edit reading 2", "Edit reading 1"):
        page.get_by_text(summary).click()
    expect(page.locator("#progress-form")).to_be_visible()
    small = _small_targets(page)
    # Home: the card of the book being read has its progress box.
    page.goto(reverse("catalog:home"))
    expect(page.locator(".quick-progress").first).to_be_visible()
    small += _small_targets(page)
    assert not small, "\n".join(small)


def test_the_collection_pages_and_filter_chips_too(page, live_server):
    from catalog import services

    page.set_viewport_size(PHONE)
    user = UserFactory()
    record = UserBookFactory(
        user=user,
        location="Study",
        book=BookFactory(series=[{"name": "Dune Chronicles", "position": "1"}]),
    )
    services.userbook_set_tags(user=user, book_key=record.book_id, tags="sci-fi")
    services.loan_lend(user=user, book_key=record.book_id, person="Ann")
    _log_in(page, live_server, user)
    library = reverse("catalog:book-list")
    found = {}
    for url in (
        f"{library}?tag=sci-fi&location=Study&series=Dune%20Chronicles",
        f"{library}?loan=out",
        library,
        reverse("catalog:tags"),
        reverse("catalog:series-list"),
        reverse("catalog:series", args=["dune chronicles"]),
        reverse("catalog:locations"),
        reverse("catalog:loans"),
    ):
        page.goto(url)
        # Chips and the library's standalone links are measured here too.
        if small := page.evaluate(
            TARGETS.replace('"nav a",', '"nav a", "a.badge", "#loan-filter a",'),
            MINIMUM,
        ):
            found[url] = small
    assert not found, _describe(found)
