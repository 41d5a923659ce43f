"""axe-core finds nothing on any page, light or dark, on a desktop or a phone.

Every page a reader or an admin sees is in ``VISITS``: who looks at it, a
function building its address from the seeded data, and optionally what to do
on the page before checking (fill a form, open a tab). To check a new page,
add one line there. Each size and colour mode is one test: the data is seeded
once and each role logs in once, then every page is visited in turn and all
failures are reported together (rule, impact, page, target selectors).
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from catalog import services
from catalog.backends import get_backend
from catalog.backends.base import TagJob
from catalog.models import ImportJob, MetadataStatus, ReadingStatus
from tests.barcode_images import ean13_image, to_bytes
from tests.browser.axe import describe, violations
from tests.factories import BookFactory, UserBookFactory, UserFactory, isbn13_for
from tests.imports.helpers import FIXTURES

SIZES = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
THEMES = ("light", "dark")
FOX = "9780140328721"  # the fake provider knows it
OUTAGE = "Open Library is not answering"
PAGE_SIZE = 4  # so that the reader's library is three pages, and after a removal


@dataclass
class Seed:
    """The people and books the pages show."""

    reader: object  # a superuser with a library: app pages and the admin
    newcomer: object  # no books yet
    normal: object  # the reader's UserBook with full details
    pending: object
    not_found: object
    conflicted: object
    troubled: object  # its details fetch is failing: the outage sentence
    doomed: object  # removed during the run, to show the Undo message
    photo: str = ""
    extra: dict = field(default_factory=dict)


def _seed(tmp_path) -> Seed:
    reader = UserFactory(is_staff=True, is_superuser=True)
    newcomer = UserFactory()

    def own(n, **book):
        return UserBookFactory(
            user=reader, book=BookFactory(isbn13=isbn13_for(n), **book)
        )

    normal = own(
        900001,
        subtitle="A subtitle",
        publisher="Penguin",
        description="A story.",
        pages=320,
        subjects=["Fiction"],
    )
    for n in range(6):
        own(900010 + n)
    tagged = [isbn13_for(900010 + n) for n in range(3)]
    services.userbooks_tag(user=reader, book_keys=tagged, add=["Summer reading"])
    services.userbooks_tag(user=reader, book_keys=tagged[:1], add=["Classic"])
    # At a location: the locations page and the library's location filter.
    for n, place in enumerate(["Study shelf", "Hall", "hall"]):
        UserBookFactory(
            user=reader, book=BookFactory(isbn13=isbn13_for(900030 + n)), location=place
        )
    # A series with a gap (1, 2 and 4), and a title suggesting a series.
    for n, position in enumerate(["1", "2", "4"]):
        own(
            900040 + n,
            title=f"Dune {position}",
            series=[{"name": "Dune Chronicles", "position": position}],
        )
    own(900043, title="Mort (Discworld, #4)")
    pending = own(900002, metadata_status=MetadataStatus.PENDING)
    not_found = own(900003, metadata_status=MetadataStatus.NOT_FOUND, title="")
    conflicted = own(900004)
    troubled = own(
        900005,
        title="",
        authors=[],
        metadata_status=MetadataStatus.PENDING,
        metadata_error=OUTAGE,
        metadata_attempts=1,
    )
    doomed = own(900006)
    # Added last and being read: on the home page in both rows, so the
    # one-tap controls of one book are on the page twice.
    UserBookFactory(
        user=reader,
        book=BookFactory(isbn13=isbn13_for(900007)),
        status=ReadingStatus.READING,
    )
    photo = tmp_path / "barcode.jpg"
    photo.write_bytes(to_bytes(ean13_image(FOX), "JPEG", quality=80))
    lent = own(900020, title="Lent out")
    today = timezone.localdate()
    services.loan_lend(
        user=reader,
        book_key=lent.book_id,
        person="Sam",
        lent_on=today - timedelta(days=20),
        due_on=today - timedelta(days=5),
    )
    seed = Seed(
        reader,
        newcomer,
        normal,
        pending,
        not_found,
        conflicted,
        troubled,
        doomed,
        str(photo),
    )
    seed.extra["lent"] = lent
    # An import done with failed rows, and one a worker is part way through.
    done = services.import_start(
        user=reader,
        uploaded_file=io.BytesIO(
            FIXTURES.joinpath("goodreads_resaved.csv").read_bytes()
        ),
        file_name="goodreads_library_export.csv",
    )
    seed.extra["import_done"] = services.import_run(
        user_id=reader.pk, import_id=done.pk
    )
    # One imported with warnings (an ASIN, ratings rounded).
    warned = services.import_start(
        user=reader,
        uploaded_file=io.BytesIO(FIXTURES.joinpath("storygraph.csv").read_bytes()),
        file_name="storygraph_export.csv",
    )
    seed.extra["import_warned"] = services.import_run(
        user_id=reader.pk, import_id=warned.pk
    )
    seed.extra["import_running"] = ImportJob.objects.add(
        ImportJob(
            user_id=reader.pk,
            format="goodreads",
            file_name="goodreads_library_export.csv",
            stored_name=done.stored_name,
            state="running",
            total=1000,
            next_index=400,
            imported=380,
            already=15,
            duplicate=2,
            failed=3,
            # A row imported without its cover photo: the warnings' list.
            warned=1,
            warnings=[
                {
                    "index": 7,
                    "line": 9,
                    "end_line": 9,
                    "reason": "imported without its photo: covers/x.jpg is not "
                    "in the ZIP",
                }
            ],
        )
    )
    # Read twice and being read a third time: every reading, and the progress.
    for status in ("read", "reading", "read", "reading"):
        current = services.userbook_update(
            user=reader,
            book_key=lent.book_id,
            version=_version_of(reader, lent),
            changes={"status": status},
        )
    services.userbook_set_progress(
        user=reader, book_key=current.book_id, progress="45%"
    )
    return seed


def _version_of(reader, record) -> int:
    from catalog.models import UserBook

    return UserBook.objects.get_for_user(reader, record.book_id).version


def _reset_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("accounts:password-reset-confirm", args=[uid, token])


def _open_manual_tab(page: Page, seed: Seed) -> None:
    page.get_by_role("tab", name="By hand").click()
    expect(page.locator("#pane-manual")).to_have_class(re.compile(r"\bshow\b"))


def _read_a_barcode_photo(page: Page, seed: Seed) -> None:
    page.get_by_label("Photo of the barcode").set_input_files(seed.photo)
    page.get_by_role("button", name="Read the barcode").click()
    expect(page.locator("#photo-results")).to_contain_text("Fantastic Mr. Fox")


def _search_results_shown(page: Page, seed: Seed) -> None:
    expect(page.locator("#search-results .list-group-item").first).to_be_visible()


def _open_shortcuts(page: Page, seed: Seed) -> None:
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def _open_theme_menu(page: Page, seed: Seed) -> None:
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():  # a phone: the menu is in the collapsed navbar
        toggler.click()
    page.locator("#theme-menu").click()
    expect(page.get_by_role("button", name="Dark")).to_be_visible()


def _set_a_status_in_one_tap(page: Page, seed: Seed) -> None:
    page.locator(".quick-status").first.select_option("read")
    expect(page.locator("#quick-announce")).not_to_be_empty()  # the toast


def _show_as_list(page: Page, seed: Seed) -> None:
    # Kept on the reader's account: every later library visit is a list.
    page.get_by_role("button", name="List").click()
    expect(page.locator("#book-table")).to_be_visible()


def _next_page(page: Page, seed: Seed) -> None:
    page.get_by_role("link", name="Next »").click()
    expect(page.get_by_role("link", name="« Previous")).to_be_visible()
    expect(page.get_by_role("link", name="Next »")).to_be_visible()


def _select_two(page: Page, seed: Seed) -> None:
    boxes = page.locator('input[name="keys"]')
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(page.locator("#bulk-form")).to_have_class(re.compile(r"\bbulk-active\b"))
    expect(page.locator("#bulk-count")).to_have_text("2 books selected")


def _refuse_a_tag_name(page: Page, seed: Seed) -> None:
    page.get_by_label("New name for “Classic”").fill("a|b")
    page.locator("#rename-form-1").get_by_role("button", name="Rename").click()
    expect(page.locator("#rename-1-error")).to_be_visible()


def _start_a_tag_change(page: Page, seed: Seed) -> None:
    # A rename the worker is part way through (it never finishes here).
    now = timezone.now()
    job = TagJob(
        user_id=seed.reader.pk,
        token="running",
        kind="rename",
        old="Summer reading",
        new="Summer",
        total=5000,
        done=1200,
        created_at=now,
        heartbeat_at=now,
    )
    get_backend().start_tag_job(seed.reader, job)
    page.reload()
    expect(page.locator("#tag-job-progress")).to_be_visible()
    expect(page.get_by_text("1,200 of 5,000 books")).to_be_visible()


def _refuse_an_import(page: Page, seed: Seed) -> None:
    page.get_by_label("File to import").set_input_files(
        str(FIXTURES / "missing_columns.csv")
    )
    page.get_by_role("button", name="Import the file").click()
    expect(page.locator("#form-error-list")).to_be_visible()


def _remove_a_book(page: Page, seed: Seed) -> None:
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()


def _save_finished_before_started(page: Page, seed: Seed) -> None:
    page.get_by_label("Started on").fill("2024-05-02")
    page.get_by_label("Finished on").fill("2024-05-01")
    page.locator("#userbook-form").get_by_role("button", name="Save").click()
    expect(page.locator("#form-error-list")).to_be_visible()


def _refuse_a_reading(page: Page, seed: Seed) -> None:
    first = page.locator("#reading-1")
    first.get_by_text("Edit reading 1").click()
    first.get_by_label("Start date").fill("2024-05-02")
    first.get_by_label("End date").fill("2024-05-01")
    first.get_by_role("button", name="Save reading").click()
    expect(page.locator("#reading-1 .invalid-feedback").first).to_be_visible()


def _rename_to_blank(page: Page, seed: Seed) -> None:
    field = page.get_by_label("New name for “Study shelf”")
    field.fill("   ")
    field.press("Enter")
    expect(page.locator("#rename-errors")).to_be_visible()


def _refused_without_csrf(page: Page, seed: Seed) -> None:
    # A form posted without its token: Django's CSRF failure page.
    with page.expect_navigation() as navigation:
        page.evaluate(
            """() => {
              const form = document.createElement("form");
              form.method = "post";
              form.action = "/login/";
              document.body.append(form);
              form.submit();
            }"""
        )
    assert navigation.value.status == 403


def _make_a_clash(page: Page, seed: Seed) -> None:
    # The same book saved meanwhile in another tab, then this tab's save.
    other = page.context.new_page()
    other.goto(seed.conflicted.get_absolute_url())
    other.get_by_label("Notes").fill("Saved in the other tab")
    other.get_by_role("button", name="Save").click()
    expect(other.get_by_text("Saved.")).to_be_visible()
    other.close()
    page.get_by_label("Notes").fill("Typed in this tab")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#stale-edit")).to_be_visible()


@dataclass(frozen=True)
class Visit:
    name: str
    who: str  # "anonymous", "reader" or "newcomer"
    url: Callable[[Seed], str]
    then: Callable[[Page, Seed], None] | None = None
    status: int = 200  # of the page first opened


def _admin(name: str, *args: Callable[[Seed], object]) -> Callable[[Seed], str]:
    return lambda s: reverse(f"admin:{name}", args=[arg(s) for arg in args])


VISITS = [
    # Logged out
    Visit("welcome", "anonymous", lambda s: reverse("catalog:home")),
    Visit("log in", "anonymous", lambda s: reverse("accounts:login")),
    Visit("sign up", "anonymous", lambda s: reverse("accounts:signup")),
    Visit("password reset", "anonymous", lambda s: reverse("accounts:password-reset")),
    Visit(
        "password reset sent",
        "anonymous",
        lambda s: reverse("accounts:password-reset-done"),
    ),
    Visit("password reset: new password", "anonymous", lambda s: _reset_link(s.reader)),
    Visit(
        "password reset complete",
        "anonymous",
        lambda s: reverse("accounts:password-reset-complete"),
    ),
    Visit("404", "anonymous", lambda s: "/no/such/page/", status=404),
    Visit(
        "403 (CSRF)",
        "anonymous",
        lambda s: reverse("accounts:login"),
        _refused_without_csrf,
    ),
    # A reader with no books yet
    Visit("home, first run", "newcomer", lambda s: reverse("catalog:home")),
    Visit("library, empty", "newcomer", lambda s: reverse("catalog:book-list")),
    # A reader with a library
    Visit("home", "reader", lambda s: reverse("catalog:home")),
    Visit(
        "theme menu",
        "reader",
        lambda s: reverse("catalog:home"),
        _open_theme_menu,
    ),
    Visit(
        "home, a status set in one tap",
        "reader",
        lambda s: reverse("catalog:home"),
        _set_a_status_in_one_tap,
    ),
    Visit("library", "reader", lambda s: reverse("catalog:book-list")),
    Visit(
        "library, page 2",
        "reader",
        lambda s: reverse("catalog:book-list"),
        _next_page,
    ),
    Visit(
        "library, books selected",
        "reader",
        lambda s: reverse("catalog:book-list"),
        _select_two,
    ),
    Visit(
        "keyboard shortcuts",
        "reader",
        lambda s: reverse("catalog:book-list"),
        _open_shortcuts,
    ),
    Visit(
        "library, no match",
        "reader",
        lambda s: reverse("catalog:book-list") + "?q=zzzzqqq",
    ),
    Visit(
        "library, a book removed",
        "reader",
        lambda s: reverse("catalog:book-remove", args=[s.doomed.book_id]),
        _remove_a_book,
    ),
    Visit(
        "library as a list",
        "reader",
        lambda s: reverse("catalog:book-list"),
        _show_as_list,
    ),
    Visit(
        "library as a list, books selected",
        "reader",
        lambda s: reverse("catalog:book-list"),
        _select_two,
    ),
    Visit(
        "library as a list, page 2",
        "reader",
        lambda s: reverse("catalog:book-list"),
        _next_page,
    ),
    Visit("book", "reader", lambda s: s.normal.get_absolute_url()),
    Visit(
        "book, a save refused",
        "reader",
        lambda s: s.normal.get_absolute_url(),
        _save_finished_before_started,
    ),
    Visit(
        "book, details fetch failing",
        "reader",
        lambda s: s.troubled.get_absolute_url(),
    ),
    Visit("book, details pending", "reader", lambda s: s.pending.get_absolute_url()),
    Visit(
        "book, lent out, read twice, progress",
        "reader",
        lambda s: s.extra["lent"].get_absolute_url(),
    ),
    Visit(
        "book, a reading refused",
        "reader",
        lambda s: s.extra["lent"].get_absolute_url(),
        _refuse_a_reading,
    ),
    Visit("loans", "reader", lambda s: reverse("catalog:loans")),
    Visit("tags", "reader", lambda s: reverse("catalog:tags")),
    Visit(
        "tags, a rename refused",
        "reader",
        lambda s: reverse("catalog:tags"),
        _refuse_a_tag_name,
    ),
    Visit(
        "tags, a delete to confirm",
        "reader",
        lambda s: reverse("catalog:tag-delete") + "?tag=Classic",
    ),
    Visit("tags, none yet", "newcomer", lambda s: reverse("catalog:tags")),
    Visit("locations", "reader", lambda s: reverse("catalog:locations")),
    Visit(
        "locations, a rename refused",
        "reader",
        lambda s: reverse("catalog:locations"),
        _rename_to_blank,
    ),
    Visit("locations, none yet", "newcomer", lambda s: reverse("catalog:locations")),
    Visit("series", "reader", lambda s: reverse("catalog:series-list")),
    Visit("series, none yet", "newcomer", lambda s: reverse("catalog:series-list")),
    Visit(
        "a series with a gap",
        "reader",
        lambda s: reverse("catalog:series", args=["dune chronicles"]),
    ),
    Visit(
        "library, filtered by series and sorted by it",
        "reader",
        lambda s: reverse("catalog:book-list") + "?series=Dune+Chronicles&sort=series",
    ),
    Visit(
        "book, a series suggested by its title",
        "reader",
        lambda s: reverse("catalog:book-detail", args=[isbn13_for(900043)]),
    ),
    # Last of the tag and location pages: the change stays running.
    Visit(
        "tags, a change running",
        "reader",
        lambda s: reverse("catalog:tags"),
        _start_a_tag_change,
    ),
    Visit(
        "library, filtered by location",
        "reader",
        lambda s: reverse("catalog:book-list") + "?location=hall",
    ),
    Visit(
        "book, details not found", "reader", lambda s: s.not_found.get_absolute_url()
    ),
    Visit(
        "book, edited in two tabs",
        "reader",
        lambda s: s.conflicted.get_absolute_url(),
        _make_a_clash,
    ),
    Visit("add by ISBN", "reader", lambda s: reverse("catalog:book-add")),
    Visit(
        "add by hand", "reader", lambda s: reverse("catalog:book-add"), _open_manual_tab
    ),
    Visit(
        "add by search",
        "reader",
        lambda s: reverse("catalog:add-search") + "?q=dune",
        _search_results_shown,
    ),
    Visit(
        "add by search, no match",
        "reader",
        lambda s: reverse("catalog:add-search") + "?q=zzzzqqq",
    ),
    Visit("import", "reader", lambda s: reverse("catalog:imports")),
    Visit("import, none yet", "newcomer", lambda s: reverse("catalog:imports")),
    Visit(
        "import, a file refused",
        "reader",
        lambda s: reverse("catalog:imports"),
        _refuse_an_import,
    ),
    Visit(
        "import, a file uploaded straight to storage",
        "reader",
        lambda s: (
            reverse("catalog:import-arrived")
            + f"?key=private/{s.reader.pk}/uploads/abc/goodreads_library_export.csv"
        ),
    ),
    Visit(
        "import, done with failed rows",
        "reader",
        lambda s: reverse("catalog:import", args=[s.extra["import_done"].pk]),
    ),
    Visit(
        "import, done with warnings",
        "reader",
        lambda s: reverse("catalog:import", args=[s.extra["import_warned"].pk]),
    ),
    Visit(
        "import, running, with a photo left out",
        "reader",
        lambda s: reverse("catalog:import", args=[s.extra["import_running"].pk]),
    ),
    Visit("add by photo", "reader", lambda s: reverse("catalog:add-photo")),
    Visit(
        "add by photo, results",
        "reader",
        lambda s: reverse("catalog:add-photo"),
        _read_a_barcode_photo,
    ),
    Visit("add by camera", "reader", lambda s: reverse("catalog:add-camera")),
    Visit("scanner mode", "reader", lambda s: reverse("catalog:add-scanner")),
    Visit(
        "remove",
        "reader",
        lambda s: reverse("catalog:book-remove", args=[s.normal.book_id]),
    ),
    Visit("profile", "reader", lambda s: reverse("accounts:profile")),
    Visit("export", "reader", lambda s: reverse("catalog:export")),
    Visit("export, no books yet", "newcomer", lambda s: reverse("catalog:export")),
    Visit("password change", "reader", lambda s: reverse("accounts:password-change")),
    Visit("404, logged in", "reader", lambda s: "/books/9780000000000/", status=404),
    Visit("403", "newcomer", lambda s: reverse("forbidden"), status=403),
    Visit("400", "anonymous", lambda s: reverse("bad-request"), status=400),
    Visit("500", "newcomer", lambda s: reverse("server-error"), status=500),
    # The admin
    Visit("admin", "reader", _admin("index")),
    Visit("admin: users", "reader", _admin("accounts_user_changelist")),
    Visit(
        "admin: user", "reader", _admin("accounts_user_change", lambda s: s.reader.pk)
    ),
    Visit("admin: books", "reader", _admin("catalog_book_changelist")),
    Visit(
        "admin: book",
        "reader",
        _admin("catalog_book_change", lambda s: s.normal.book_id),
    ),
    Visit("admin: user books", "reader", _admin("catalog_userbook_changelist")),
    Visit(
        "admin: user book",
        "reader",
        _admin("catalog_userbook_change", lambda s: s.normal.pk),
    ),
    Visit("admin: imports", "reader", _admin("catalog_importjob_changelist")),
    Visit(
        "admin: import",
        "reader",
        _admin("catalog_importjob_change", lambda s: s.extra["import_done"].pk),
    ),
]


# axe 4.14 no longer checks ids that nothing refers to; a label's ``for`` or
# a script finds the wrong element all the same, so every id is unique.
DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const element of document.querySelectorAll("[id]")) {
    seen.set(element.id, (seen.get(element.id) || 0) + 1);
  }
  return [...seen].filter(([, count]) => count > 1).map(([id]) => id);
}"""


def _duplicate_ids(page: Page) -> list[dict]:
    ids = page.evaluate(DUPLICATE_IDS)
    if not ids:
        return []
    targets = [{"target": f"#{id}", "summary": "used more than once"} for id in ids]
    return [
        {
            "id": "unique-ids",
            "impact": "serious",
            "help": "Ids must be unique on the page",
            "targets": targets,
        }
    ]


class Browsing:
    """One browser context per role, logged in once, in one size and colour mode."""

    def __init__(self, browser, live_server, size: str, theme: str, seed: Seed):
        self.options = {
            "base_url": live_server.url,
            "viewport": SIZES[size],
            "color_scheme": theme,  # the site follows the system by default
            # No fades: axe measures colours mid-transition otherwise.
            "reduced_motion": "reduce",
        }
        self.browser, self.live_server, self.seed = browser, live_server, seed
        self.pages: dict[str, Page] = {}
        self.csp_violations: list[str] = []

    def page(self, who: str) -> Page:
        if who not in self.pages:
            context = self.browser.new_context(**self.options)
            context.set_default_timeout(15_000)
            user = {"reader": self.seed.reader, "newcomer": self.seed.newcomer}
            if who in user:
                client = Client()
                client.force_login(user[who])
                cookie = client.cookies["sessionid"]
                context.add_cookies(
                    [
                        {
                            "name": "sessionid",
                            "value": cookie.value,
                            "url": self.live_server.url,
                        }
                    ]
                )
            page = context.new_page()
            page.on("console", self._watch)
            self.pages[who] = page
        return self.pages[who]

    def _watch(self, message) -> None:
        if "content security policy" in message.text.lower():
            self.csp_violations.append(message.text)

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_nothing_on_any_page(
    browser,
    live_server,
    transactional_db,
    fake_provider,
    settings,
    tmp_path,
    size,
    theme,
):
    settings.ROOT_URLCONF = "tests.browser.error_urls"
    settings.CATALOG_PAGE_SIZE = PAGE_SIZE
    seed = _seed(tmp_path)
    browsing = Browsing(browser, live_server, size, theme, seed)
    found = {}
    try:
        for visit in VISITS:
            page = browsing.page(visit.who)
            response = page.goto(visit.url(seed))
            assert response.status == visit.status, (visit.name, response.status)
            if visit.then:
                visit.then(page, seed)
            mode = page.evaluate("document.documentElement.dataset.bsTheme || ''")
            assert mode in ("", theme), (visit.name, mode)
            if problems := violations(page) + _duplicate_ids(page):
                found[visit.name] = problems
    finally:
        browsing.close()
    assert not found, "axe found:\n" + describe(found)
    assert not browsing.csp_violations, browsing.csp_violations
