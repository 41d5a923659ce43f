"""A reader's own corrections of a book's details: theirs alone, everywhere."""

import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog import services
from catalog.models import Book, MetadataStatus, UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory, isbn13_for

# On the ORM backends and on DynamoDB (moto), with the same assertions.
pytestmark = pytest.mark.usefixtures("both_modes")

DUNE = "9780441172719"
UNKNOWN = isbn13_for(424242)  # the fake providers know nothing of it
EVIL = "Visit evil.example for a free copy"


class _FormValues(HTMLParser):
    """The values a browser would submit from one form of a page."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.values = form_id, False, {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif self.inside and tag == "input" and attrs.get("name"):
            if attrs.get("type") not in ("submit", "file"):
                self.values[attrs["name"]] = attrs.get("value") or ""
        elif self.inside and tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # A browser drops the newline that follows <textarea>.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "form":
            self.inside = False


def _form(client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormValues("corrections-form")
    parser.feed(page.content.decode())
    assert parser.values, "no corrections form on the page"
    return parser.values


def _form_open(body: str) -> bool:
    tag = re.search(r'<details[^>]*id="corrections"[^>]*>', body).group(0)
    return bool(re.search(r"\sopen[\s>]", tag))


def _correct_url(key: str) -> str:
    return reverse("catalog:book-correct", kwargs={"key": key})


def _record(user, key: str) -> UserBook:
    return UserBook.objects.get_for_user(user, key)


def _correct(user, record, **corrections):
    return services.userbook_correct(
        user=user,
        book_key=record.book_id,
        version=record.version,
        loaded=record.corrections,
        corrections={**record.corrections, **corrections},
    )


# Services ---------------------------------------------------------------------


def test_a_correction_shows_for_its_reader_and_clearing_it_falls_back(user, other_user):
    book = BookFactory(title="Fetched", authors=["Fetched Author"], pages=200)
    record = UserBookFactory(user=user, book=book)
    UserBookFactory(user=other_user, book=book)
    done = _correct(user, record, title="  Mine  ", pages="321", authors=["A", " "])
    assert done.record.corrections == {"title": "Mine", "pages": 321, "authors": ["A"]}
    shown = _record(user, book.pk).shown
    assert (shown.title, shown.pages, shown.authors) == ("Mine", 321, ["A"])
    assert _record(other_user, book.pk).shown.title == "Fetched"
    assert Book.objects.get_by_key(book.pk).title == "Fetched"
    cleared = _correct(user, done.record, title="", pages=None)
    assert cleared.record.corrections == {"authors": ["A"]}
    assert cleared.record.shown.title == "Fetched"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "x" * 10_001, "At most 10,000 characters"),
        ("pages", 0, "Pages are from 1 to 100,000"),
        ("pages", 100_001, "Pages are from 1 to 100,000"),
        ("title", "t" * 501, "At most 500 characters"),
        ("language", "l" * 21, "At most 20 characters"),
    ],
)
def test_corrections_keep_the_book_fields_limits(user, field, value, message):
    record = UserBookFactory(user=user)
    with pytest.raises(ValidationError) as exc:
        _correct(user, record, **{field: value})
    assert message in " ".join(exc.value.message_dict[field])
    assert _record(user, record.book_id).corrections == {}


def test_a_book_without_a_fetched_title_needs_a_title(user):
    book = BookFactory(title="", authors=[], metadata_status=MetadataStatus.NOT_FOUND)
    record = UserBookFactory(user=user, book=book)
    with pytest.raises(ValidationError) as exc:
        _correct(user, record, authors=["Only an author"])
    assert "needs a title" in str(exc.value)


def test_a_stale_correction_merges_changes_made_on_either_side(user):
    record = UserBookFactory(user=user)
    loaded = _record(user, record.book_id)
    _correct(user, loaded, title="From the other tab")
    done = services.userbook_correct(
        user=user,
        book_key=record.book_id,
        version=loaded.version,
        loaded=loaded.corrections,
        corrections={"publisher": "From this tab"},
    )
    assert done.changed_elsewhere == ["title"]
    assert done.record.corrections == {
        "title": "From the other tab",
        "publisher": "From this tab",
    }


def test_a_field_both_sides_changed_differently_is_a_conflict(user):
    record = UserBookFactory(user=user)
    loaded = _record(user, record.book_id)
    _correct(user, loaded, title="Theirs")
    with pytest.raises(services.CorrectionConflict) as exc:
        services.userbook_correct(
            user=user,
            book_key=record.book_id,
            version=loaded.version,
            loaded={},
            corrections={"title": "Mine", "publisher": "P"},
        )
    assert exc.value.conflicts == {"title": ("Theirs", "Mine")}
    assert _record(user, record.book_id).corrections == {"title": "Theirs"}


# The poisoning story ------------------------------------------------------------


def test_one_readers_typed_title_never_reaches_another(
    user, other_user, fake_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.userbook_add_manual(
            user=user, book_fields={"title": EVIL, "authors": ["Spam"]}, isbn=DUNE
        )
    shared = Book.objects.get_by_key(DUNE)
    assert shared.title == "" and shared.edited_fields == []
    assert _record(user, DUNE).shown.title == EVIL
    # Reader B adds the ISBN: the details are fetched, A's typing is not shown.
    with django_capture_on_commit_callbacks(execute=True):
        services.userbook_add(user=other_user, isbn=DUNE)
    for callback in pending:
        callback()
    theirs = _record(other_user, DUNE)
    assert theirs.shown.title == "Dune" and theirs.shown.authors == ["Frank Herbert"]
    assert not UserBook.objects.page_for_user(other_user, query="evil").items
    # A still sees theirs, listed and searched by it, after a refresh too.
    services.books_refresh_metadata(book_keys=[DUNE])
    mine = _record(user, DUNE)
    assert mine.shown.title == EVIL and mine.shown.authors == ["Spam"]
    assert UserBook.objects.page_for_user(user, query="evil").items
    assert not UserBook.objects.page_for_user(user, query="dune").items
    assert Book.objects.get_by_key(DUNE).title == "Dune"


def test_adding_from_title_search_keeps_what_it_showed_until_details_arrive(
    user_client, user, other_user, fake_provider, django_capture_on_commit_callbacks
):
    data = {
        "isbns": [DUNE],
        "shown_title": "Dune (as searched)",
        "shown_authors": ["Frank Herbert", "F. H."],
    }
    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = user_client.post(reverse("catalog:add-many"), data)
    assert response.status_code == 302
    record = _record(user, DUNE)
    assert record.book.metadata_status == MetadataStatus.PENDING
    assert record.shown.title == "Dune (as searched)"
    assert record.shown.authors == ["Frank Herbert", "F. H."]
    assert Book.objects.get_by_key(DUNE).title == ""
    listed = user_client.get(reverse("catalog:book-list")).content.decode()
    assert "Dune (as searched)" in listed
    page = user_client.get(record.get_absolute_url()).content.decode()
    assert "as the search showed them" in page
    assert UserBook.objects.page_for_user(user, query="searched").items
    services.userbook_add(user=other_user, isbn=DUNE)
    assert _record(other_user, DUNE).shown.display_title == f"ISBN {DUNE}"
    for callback in pending:
        callback()
    record = _record(user, DUNE)
    assert record.shown.title == "Dune" and record.shown.authors == ["Frank Herbert"]
    assert UserBook.objects.page_for_user(user, query="dune").items
    assert not UserBook.objects.page_for_user(user, query="searched").items


def test_the_search_page_sends_what_it_shows_with_each_edition(
    user_client, fake_provider
):
    body = user_client.get(reverse("catalog:add-search"), {"q": "dune"}).content
    body = body.decode()
    assert 'name="shown_title" value="Dune"' in body
    assert 'name="shown_authors" value="Frank Herbert"' in body


# Views --------------------------------------------------------------------------


def test_the_corrections_form_round_trips_unchanged(user_client, user):
    book = BookFactory(
        title="Fetched & “quoted”",
        authors=["Ann One", "Bob Two"],
        description="Line one\nLine two",
        pages=99,
        language="en",
    )
    record = UserBookFactory(user=user, book=book)
    _correct(user, record, subtitle="My subtitle\n", publisher="Me <Press>")
    before = _record(user, book.pk)
    values = _form(user_client, record.get_absolute_url())
    response = user_client.post(_correct_url(book.pk), values)
    assert response.status_code == 302
    after = _record(user, book.pk)
    assert after.corrections == before.corrections
    assert after.version == before.version


def test_correcting_in_the_form_shows_everywhere_for_that_reader(
    user_client, user, other_user
):
    book = BookFactory(title="Zebra stories", authors=["Zed"])
    UserBookFactory(user=user, book=book)
    UserBookFactory(user=user, book=BookFactory(title="Middle", authors=["Mid"]))
    UserBookFactory(user=other_user, book=book)
    values = _form(user_client, _correct_url(book.pk))
    values.update({"fix-title": "Aardvark tales", "fix-authors": "Ann Abbot\nBo"})
    response = user_client.post(_correct_url(book.pk), values, follow=True)
    body = response.content.decode()
    assert "Saved your corrections" in body and "Aardvark tales" in body
    assert "Shown with your corrections (title, authors)" in body
    assert _record(user, book.pk).corrections == {
        "title": "Aardvark tales",
        "authors": ["Ann Abbot", "Bo"],
    }
    listing = reverse("catalog:book-list")
    by_title = user_client.get(listing, {"sort": "title"}).content.decode()
    assert by_title.index("Aardvark tales") < by_title.index("Middle")
    assert "Zebra stories" not in by_title
    found = user_client.get(listing, {"q": "abbot"}).content.decode()
    assert "Aardvark tales" in found
    assert "Aardvark tales" in user_client.get(reverse("catalog:home")).content.decode()
    remove = user_client.get(reverse("catalog:book-remove", kwargs={"key": book.pk}))
    assert "Aardvark tales" in remove.content.decode()
    scanner = user_client.get(reverse("catalog:add-scanner")).content.decode()
    assert "Aardvark tales" in scanner
    assert not UserBook.objects.page_for_user(other_user, query="aardvark").items


def test_typing_the_fetched_value_back_drops_the_correction(user_client, user):
    record = UserBookFactory(user=user, book=BookFactory(title="Fetched"))
    _correct(user, record, title="Mine")
    values = _form(user_client, _correct_url(record.book_id))
    values["fix-title"] = "Fetched"
    user_client.post(_correct_url(record.book_id), values)
    assert _record(user, record.book_id).corrections == {}


def test_bad_values_are_shown_next_to_the_field_and_kept(user_client, user):
    record = UserBookFactory(user=user)
    values = _form(user_client, _correct_url(record.book_id))
    values.update({"fix-pages": "0", "fix-title": "Kept title"})
    response = user_client.post(_correct_url(record.book_id), values)
    body = response.content.decode()
    assert response.status_code == 200
    assert "greater than or equal to 1" in body and 'value="Kept title"' in body
    assert _record(user, record.book_id).corrections == {}


def test_a_stale_form_keeps_other_changes_and_applies_its_own(user_client, user):
    record = UserBookFactory(user=user)
    values = _form(user_client, _correct_url(record.book_id))
    _correct(user, _record(user, record.book_id), publisher="Other tab")
    values["fix-title"] = "This tab"
    response = user_client.post(_correct_url(record.book_id), values, follow=True)
    assert (
        "Also kept what was changed elsewhere: Publisher" in response.content.decode()
    )
    assert _record(user, record.book_id).corrections == {
        "publisher": "Other tab",
        "title": "This tab",
    }


def test_a_conflicting_form_shows_both_values_then_saves_the_choice(user_client, user):
    record = UserBookFactory(user=user)
    values = _form(user_client, _correct_url(record.book_id))
    _correct(user, _record(user, record.book_id), title="Other tab")
    values.update({"fix-title": "This tab", "fix-publisher": "Mine too"})
    response = user_client.post(_correct_url(record.book_id), values)
    body = response.content.decode()
    assert "changed elsewhere" in body and "Other tab" in body
    assert 'value="This tab"' in body and 'value="Mine too"' in body
    assert _record(user, record.book_id).corrections == {"title": "Other tab"}
    # Saving the rebased form settles it with the reader's values.
    parser = _FormValues("corrections-form")
    parser.feed(body)
    user_client.post(_correct_url(record.book_id), parser.values)
    assert _record(user, record.book_id).corrections == {
        "title": "This tab",
        "publisher": "Mine too",
    }


def test_a_book_with_no_details_asks_for_title_and_authors(user_client, user):
    book = BookFactory(
        key=UNKNOWN,
        isbn13=UNKNOWN,
        title="",
        authors=[],
        metadata_status=MetadataStatus.NOT_FOUND,
    )
    record = UserBookFactory(user=user, book=book)
    body = user_client.get(record.get_absolute_url()).content.decode()
    assert 'id="needs-details"' in body and "No details were found" in body
    assert _form_open(body)
    values = _form(user_client, record.get_absolute_url())
    values.update({"fix-title": "Found at last", "fix-authors": "Some One"})
    user_client.post(_correct_url(UNKNOWN), values)
    body = user_client.get(record.get_absolute_url()).content.decode()
    assert "Found at last" in body and 'id="needs-details"' not in body
    assert "the details shown are the ones you typed" in body
    assert "Type its details yourself" not in body
    assert (
        "Found at last"
        in user_client.get(reverse("catalog:book-list")).content.decode()
    )


def test_a_complete_book_keeps_the_form_closed(user_client, user):
    record = UserBookFactory(user=user)
    body = user_client.get(record.get_absolute_url()).content.decode()
    assert not _form_open(body)
    assert 'id="needs-details"' not in body


def test_the_corrections_page_opens_the_form(user_client, user):
    record = UserBookFactory(user=user)
    assert _form_open(user_client.get(_correct_url(record.book_id)).content.decode())


def test_another_readers_book_cannot_be_corrected(client, user, other_user):
    record = UserBookFactory(user=other_user)
    client.force_login(user)
    assert client.get(_correct_url(record.book_id)).status_code == 404
    assert client.post(_correct_url(record.book_id), {}).status_code == 404


def test_manual_add_with_an_isbn_shows_the_typed_title_only_to_its_reader(
    user_client, user, other_user, django_capture_on_commit_callbacks
):
    data = {
        "mode": "manual",
        "manual-title": EVIL,
        "manual-authors": "Spam",
        "manual-isbn": UNKNOWN,
        "manual-status": "want",
        "manual-owned": "on",
    }
    with django_capture_on_commit_callbacks(execute=False):
        response = user_client.post(reverse("catalog:book-add"), data, follow=True)
    assert EVIL in response.content.decode()
    assert Book.objects.get_by_key(UNKNOWN).title == ""
    services.userbook_add(user=other_user, isbn=UNKNOWN)
    assert _record(other_user, UNKNOWN).shown.display_title == f"ISBN {UNKNOWN}"


def test_a_record_sorts_by_its_correction_among_many(user):
    for n in range(5):
        UserBookFactory(user=user, book=BookFactory(title=f"B{n}"))
    record = UserBookFactory(user=user, book=BookFactory(title="Z last"))
    _correct(user, record, title="Aardvark first")
    page = UserBook.objects.page_for_user(user, sort="title", limit=3)
    assert page.items[0].book_id == record.book_id
    other = UserFactory()
    UserBook.objects.add(other, record.book)
    page = UserBook.objects.page_for_user(other, sort="title")
    assert page.items[0].shown.title == "Z last"


@pytest.mark.parametrize(
    "authors", [[f"Author {n}" for n in range(51)], ["A" * 301]], ids=["many", "long"]
)
def test_authors_past_the_limits_get_one_message_typed_or_corrected(user, authors):
    from catalog.forms import ManualBookForm

    record = UserBookFactory(user=user)
    with pytest.raises(ValidationError) as refused:
        _correct(user, record, authors=authors)
    form = ManualBookForm(
        data={"title": "Recipes", "authors": "\n".join(authors), "status": "want"}
    )
    assert not form.is_valid()
    assert refused.value.message_dict["authors"] == form.errors["authors"]


def test_a_fetched_value_over_a_limit_does_not_block_another_correction(
    user_client, user
):
    fetched = "A fetched description, far too long. " * 1_000  # 37,000 characters
    book = BookFactory(title="Fetched", description=fetched, authors=["A" * 400])
    UserBookFactory(user=user, book=book)
    values = _form(user_client, _correct_url(book.pk))
    assert values["fix-description"] == fetched
    values["fix-title"] = "Mine"
    response = user_client.post(_correct_url(book.pk), values)
    assert response.status_code == 302
    # Untouched fields are no corrections: only the title is written.
    assert _record(user, book.pk).corrections == {"title": "Mine"}

    values = _form(user_client, _correct_url(book.pk))
    values["fix-description"] = fetched + " Edited."
    refused = user_client.post(_correct_url(book.pk), values)
    assert refused.status_code == 200
    assert "at most 10000 characters" in refused.content.decode()
    assert _record(user, book.pk).corrections == {"title": "Mine"}


def test_a_correction_stored_under_older_limits_does_not_block_another(
    user_client, user
):
    record = UserBookFactory(user=user)
    long_ago = {"description": "d" * 15_000, "authors": ["a" * 250]}
    UserBook.objects.update_for_user(
        user, record.book_id, version=record.version, changes={"corrections": long_ago}
    )
    values = _form(user_client, record.get_absolute_url())
    values["fix-title"] = "A better title"
    response = user_client.post(_correct_url(record.book_id), values)
    assert response.status_code == 302
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert stored.corrections == {**long_ago, "title": "A better title"}


@pytest.mark.parametrize("loaded", ['{"authors": 5}', '{"authors": true}', "[1]"])
def test_a_tampered_loaded_map_gets_a_message_not_a_500(user_client, user, loaded):
    record = UserBookFactory(user=user)
    values = _form(user_client, record.get_absolute_url())
    values.update({"fix-loaded": loaded, "fix-title": "Mine"})
    response = user_client.post(_correct_url(record.book_id), values)
    assert response.status_code in (200, 302)
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert stored.corrections in ({}, {"title": "Mine"})
