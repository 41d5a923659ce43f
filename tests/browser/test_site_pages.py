"""Skip link, 404 page, first-run home and the navbar search, in a browser."""

from playwright.sync_api import expect

from tests.factories import UserFactory

PASSWORD = "browser passphrase 1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# The hint's width in the input's own font, against the room the input gives it.
HINT_FITS = """input => {
  const style = getComputedStyle(input);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft)
    - parseFloat(style.paddingRight);
  return [context.measureText(input.placeholder).width, room];
}"""


def _log_in(page):
    user = UserFactory(password=PASSWORD)
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def test_tab_first_reaches_the_skip_link_which_moves_focus_to_the_main_content(page):
    _log_in(page)
    skip = page.get_by_role("link", name="Skip to content")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["width"] > 50 and box["height"] > 20  # shown, not clipped to 1px
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_a_missing_page_fits_a_phone_and_leads_home(page):
    page.set_viewport_size(PHONE)
    page.goto("/no/such/page/")
    expect(page.get_by_role("heading", name="There is no page here")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="Go to the home page").click()
    expect(page.get_by_role("link", name="Sign up").first).to_be_visible()


def test_a_new_readers_home_fits_a_phone_and_each_way_opens_its_page(page):
    _log_in(page)
    page.set_viewport_size(PHONE)
    ways = page.locator("#ways-to-add a")
    expect(ways).to_have_count(6)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="By hand").click()
    expect(page.locator("#pane-manual")).to_be_visible()


def test_the_navbar_search_shows_its_whole_hint(page):
    _log_in(page)
    search = page.locator("#nav-search")
    for width in (DESKTOP["width"], 768):
        page.set_viewport_size({"width": width, "height": 900})
        hint, room = search.evaluate(HINT_FITS)
        assert hint <= room, (width, hint, room)
        # The links beside it stay on one line.
        assert page.locator("nav.navbar").bounding_box()["height"] < 70
