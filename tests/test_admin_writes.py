"""The admin writes through the services: the readers' rules, on both backends.

A record's form refuses what the reader's form refuses (with its messages,
the typed text kept), an edit of a record changed since the page was opened,
and a book too large to store; a username taken by case folding is a form
error, even when the store is the one to notice.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.utils import quote
from django.test import Client
from django.urls import reverse

from accounts.models import User
from booklibrary.dynamo_utils import ItemTooLarge
from catalog import records, services
from catalog.admin_forms import STALE_MESSAGE
from catalog.backends.base import StaleEdit
from catalog.models import Book, UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory
from tests.html_forms import form_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
PASSWORD = "an admin's long passphrase 1"


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(admin)
    return client


@pytest.fixture
def record():
    reader = UserFactory(username="ann", password=PASSWORD)
    book = BookFactory(title="Kindred")
    return UserBookFactory(user=reader, book=book, status="want", notes="Lent once.")


def _change_url(record: UserBook, both_modes: str) -> str:
    """The record's admin page: its row id on SQL, owner and book on DynamoDB."""
    object_id = (
        record.pk if both_modes == "orm" else f"{record.user_id}:{record.book_id}"
    )
    return reverse("admin:catalog_userbook_change", args=[quote(object_id)])


def _opened(admin_client, url: str) -> dict[str, str]:
    """What the admin's record page sends back unchanged."""
    page = admin_client.get(url)
    assert page.status_code == 200
    return form_values(page.content.decode(), "userbook_form")


def _stored(record: UserBook) -> UserBook:
    return UserBook.objects.get_for_user(record.user, record.book_id)


def test_oversized_notes_are_refused_next_to_the_field_and_kept(
    admin_client, record, both_modes
):
    url = _change_url(record, both_modes)
    notes = "n" * (450 * 1024)
    response = admin_client.post(url, {**_opened(admin_client, url), "notes": notes})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "can be at most 50,000 characters" in form.errors["notes"][0]
    assert form["notes"].value() == notes
    stored = _stored(record)
    assert (stored.notes, stored.version) == ("Lent once.", record.version)


def test_a_rating_between_half_stars_is_refused(admin_client, record, both_modes):
    url = _change_url(record, both_modes)
    response = admin_client.post(url, {**_opened(admin_client, url), "rating": "4.25"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["rating"] == ["Choose a rating from 0.5 to 5 stars, in half stars."]
    assert _stored(record).rating is None


def test_dates_that_make_no_sense_are_refused(admin_client, record, both_modes):
    url = _change_url(record, both_modes)
    data = {
        **_opened(admin_client, url),
        "started_on": "2024-05-10",
        "finished_on": "2024-05-01",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "before the start date" in errors["finished_on"][0]
    assert _stored(record).started_on is None


def test_a_stale_admin_edit_is_refused_and_the_readers_edit_survives(
    admin_client, record, both_modes
):
    url = _change_url(record, both_modes)
    opened = _opened(admin_client, url)
    # The reader edits the record while the admin's page is open.
    services.userbook_update(
        user=record.user,
        book_key=record.book_id,
        version=record.version,
        changes={"notes": "Signed by the author."},
    )
    response = admin_client.post(url, {**opened, "status": "read", "rating": "3"})
    assert response.status_code == 200
    page = response.content.decode()
    assert STALE_MESSAGE in page
    assert response.context["adminform"].form["rating"].value() == "3.0"
    stored = _stored(record)
    assert (stored.notes, stored.status) == ("Signed by the author.", "want")
    assert stored.version == record.version + 1


def test_a_store_refusal_after_the_checks_shows_the_form_again(
    admin_client, record, both_modes, monkeypatch
):
    url = _change_url(record, both_modes)
    opened = _opened(admin_client, url)

    def reader_got_there_first(**kwargs):
        # The store refuses the write: the record moved on after the form's checks.
        raise StaleEdit(_stored(record))

    monkeypatch.setattr(services, "userbook_update", reader_got_there_first)
    response = admin_client.post(url, {**opened, "location": "Study"})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == [STALE_MESSAGE]
    assert form["location"].value() == "Study"
    assert _stored(record).location == ""


def test_a_valid_admin_edit_is_saved_and_the_reader_sees_it(
    admin_client, record, both_modes
):
    url = _change_url(record, both_modes)
    data = {
        **_opened(admin_client, url),
        "status": "read",
        "rating": "4.5",
        "notes": "Read it in a weekend.\r\nWould lend again.",
        "started_on": "2024-05-01",
        "finished_on": "2024-05-03",
        "location": "  Study,   shelf 2 ",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = _stored(record)
    assert stored.version == record.version + 1
    assert records.values(stored) == {
        "status": "read",
        "rating": Decimal("4.5"),
        "started_on": date(2024, 5, 1),
        "finished_on": date(2024, 5, 3),
        "location": "Study, shelf 2",
        "owned": True,
        "notes": "Read it in a weekend.\nWould lend again.",
    }
    assert UserBook.objects.status_counts(record.user)["read"] == 1
    reader = Client()
    reader.force_login(record.user)
    page = reader.get(stored.get_absolute_url()).content.decode()
    assert "Would lend again." in page and "Study, shelf 2" in page


@pytest.mark.parametrize("model", ["userbook", "book"])
def test_books_and_records_are_added_by_readers_not_in_the_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:catalog_{model}_add")).status_code == 403
    response = admin_client.post(reverse(f"admin:catalog_{model}_add"), {"title": "X"})
    assert response.status_code == 403
    assert Book.objects.all_books() == []


def _book_form(book: Book, **changes) -> dict[str, str]:
    data = {
        "title": book.title,
        "authors": '["Octavia E. Butler"]',
        "metadata_status": "complete",
        "metadata_source": "",
        "language": "",
        "edited_fields": "[]",
        "subjects": "[]",
        "provider_ids": "{}",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"description": "d" * 300_000}, "description", "at most 10,000 characters"),
        ({"authors": str(["a" * 290] * 1000)}, "authors", "At most 50 authors"),
        ({"authors": '"Octavia Butler"'}, "authors", "as a list of names"),
        (
            # Within each field's limit, too large together: 4 bytes a character.
            {
                "description": "\U0001d538" * 10_000,
                "authors": str(["\U0001d538" * 200] * 50),
                "subjects": str(["\U0001d538" * 300] * 200),
            },
            None,
            "too large to store",
        ),
    ],
)
def test_a_book_too_large_to_store_is_refused_with_a_message(
    admin_client, changes, field, message
):
    book = BookFactory(title="Kindred")
    url = reverse("admin:catalog_book_change", args=[quote(book.pk)])
    changes = {k: v.replace("'", '"') for k, v in changes.items()}
    response = admin_client.post(url, _book_form(book, **changes))
    assert response.status_code == 200
    form = response.context["adminform"].form
    errors = form.errors[field] if field else form.non_field_errors()
    assert message in errors[0]
    assert Book.objects.get_by_key(book.pk).description == book.description


def test_a_book_edit_within_the_limits_is_saved(admin_client):
    book = BookFactory(title="Kindred")
    url = reverse("admin:catalog_book_change", args=[quote(book.pk)])
    data = _book_form(book, description="A time-travel novel. " * 450)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Book.objects.get_by_key(book.pk).description.startswith("A time-travel")


def test_a_long_fetched_description_does_not_block_other_edits(admin_client):
    fetched = "A long fetched description. " * 1_000
    book = BookFactory(title="Kindred", description=fetched)
    url = reverse("admin:catalog_book_change", args=[quote(book.pk)])
    data = _book_form(book, title="Kindred (25th anniversary)", description=fetched)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Book.objects.get_by_key(book.pk).title == "Kindred (25th anniversary)"


def test_a_book_the_store_refuses_as_too_large_is_a_form_error(
    admin_client, monkeypatch
):
    book = BookFactory(title="Kindred")

    def too_large(book):
        raise ItemTooLarge(f"The book {book.pk} is too large to store (401 KB).")

    monkeypatch.setattr(Book.objects, "save_book", too_large)
    url = reverse("admin:catalog_book_change", args=[quote(book.pk)])
    response = admin_client.post(url, _book_form(book, title="Kindred, again"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "is too large to store" in form.non_field_errors()[0]
    assert form["title"].value() == "Kindred, again"
    monkeypatch.undo()
    assert Book.objects.get_by_key(book.pk).title == "Kindred"


def _user_form(user: User, **changes) -> dict[str, str]:
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("existing", "taken"),
    [("Élise", "ÉLISE"), ("Élise", "élise"), ("Straße", "STRASSE"), ("ann", "ＡＮＮ")],
)
def test_a_username_taken_by_case_folding_is_a_form_error(
    admin_client, existing, taken
):
    UserFactory(username=existing)
    user = UserFactory(username="bruno")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = admin_client.post(url, _user_form(user, username=taken))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["username"]
    assert "That username is taken" in errors[0]
    assert User.objects.get_by_id(user.pk).username == "bruno"


def test_a_username_the_store_refuses_after_the_checks_is_a_form_error(
    admin_client, monkeypatch
):
    UserFactory(username="Élise")
    user = UserFactory(username="bruno")
    # Someone takes the name between the form's check and the save: the
    # form's first check finds it free, the store refuses it.
    real_check, checks = User.objects.username_taken, []

    def free_at_first(*args, **kwargs):
        checks.append(args)
        return len(checks) > 1 and real_check(*args, **kwargs)

    monkeypatch.setattr(User.objects, "username_taken", free_at_first)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = admin_client.post(url, _user_form(user, username="ÉLISE"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["username"]
    assert len(errors) == 1 and "That username is taken" in errors[0]
    assert User.objects.get_by_id(user.pk).username == "bruno"
    checks.clear()
    add = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "élise",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert add.status_code == 200
    assert (
        "That username is taken" in add.context["adminform"].form.errors["username"][0]
    )


def test_the_admin_shows_a_records_tags_and_edits_them(admin_client, both_modes):
    reader = UserFactory()
    record = UserBookFactory(
        user=reader, book=BookFactory(title="Tagged"), tags=["Été", "to lend"]
    )
    url = _change_url(record, both_modes)
    opened = _opened(admin_client, url)
    assert opened["tags"] == "Été, to lend"
    response = admin_client.post(url, {**opened, "tags": "été, Classic , classic"})
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = _stored(record)
    assert (stored.tags, stored.tag_keys) == (["été", "Classic"], "|été|classic|")
    page = UserBook.objects.page_for_user(reader, tags=["CLASSIC"])
    assert [r.book_id for r in page.items] == [record.book_id]
    refused = admin_client.post(url, {**_opened(admin_client, url), "tags": "a|b"})
    assert refused.status_code == 200
    assert "cannot hold “|”" in refused.context["adminform"].form.errors["tags"][0]
    assert _stored(record).tags == ["été", "Classic"]


def test_the_admin_shows_and_edits_a_books_series(admin_client):
    reader = UserFactory()
    book = BookFactory(
        title="Mort", series=[{"name": "Discworld", "position": "4"}], authors=[]
    )
    UserBookFactory(user=reader, book=book)
    url = reverse("admin:catalog_book_change", args=[quote(book.pk)])
    assert "Discworld" in admin_client.get(url).content.decode()
    series = (
        '[{"name": "Death", "position": "1"}, {"name": "Discworld", "position": "4"}]'
    )
    response = admin_client.post(url, _book_form(book, series=series))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Book.objects.get_by_key(book.pk).series[0] == {
        "name": "Death",
        "position": "1",
    }
    # The owners' listings follow the book.
    page = UserBook.objects.page_for_user(reader, series="death")
    assert [r.book_id for r in page.items] == [book.pk]
    bad = '[{"name": "Death", "position": "first"}]'
    refused = admin_client.post(url, _book_form(book, series=bad))
    assert refused.status_code == 200
    assert "not a position" in refused.context["adminform"].form.errors["series"][0]


def test_the_admin_shows_and_edits_a_readers_series_correction(
    admin_client, both_modes
):
    reader = UserFactory()
    record = UserBookFactory(
        user=reader,
        book=BookFactory(title="Emma"),
        corrections={"series": [{"name": "Austen", "position": "4"}]},
    )
    url = _change_url(record, both_modes)
    opened = _opened(admin_client, url)
    assert opened["series_correction"] == "Austen #4"
    response = admin_client.post(
        url, {**opened, "series_correction": "Austen Novels #4.5", "notes": "Mine."}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = _stored(record)
    assert stored.corrections["series"] == [
        {"name": "Austen Novels", "position": "4.5"}
    ]
    assert stored.notes == "Mine."
    page = UserBook.objects.page_for_user(reader, series="austen novels")
    assert [r.book_id for r in page.items] == [record.book_id]
    refused = admin_client.post(
        url, {**_opened(admin_client, url), "series_correction": "A|B"}
    )
    assert refused.status_code == 200
    form = refused.context["adminform"].form
    assert "cannot hold" in form.errors["series_correction"][0]
    assert form["series_correction"].value() == "A|B"
    cleared = admin_client.post(
        url, {**_opened(admin_client, url), "series_correction": ""}
    )
    assert cleared.status_code == 302
    assert "series" not in _stored(record).corrections


def test_the_admin_shows_a_records_readings_and_edits_them(admin_client, both_modes):
    import json

    reader = UserFactory()
    record = UserBookFactory(
        user=reader,
        book=BookFactory(title="Reread"),
        status="read",
        finished_on=date(2024, 2, 3),
    )
    url = _change_url(record, both_modes)
    opened = _opened(admin_client, url)
    shown = json.loads(opened["readings"])
    assert [(r["outcome"], r["finished_on"]) for r in shown] == [
        ("finished", "2024-02-03")
    ]
    again = {**shown[0], "id": 2, "outcome": "reading", "finished_on": None}
    again["started_on"] = "2024-05-01"
    response = admin_client.post(
        url, {**opened, "readings": json.dumps([*shown, again])}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = _stored(record)
    assert (stored.status, stored.started_on, stored.finished_on) == (
        "reading",
        date(2024, 5, 1),
        None,
    )
    assert len(stored.readings) == 2
    assert UserBook.objects.status_counts(reader)["reading"] == 1
    listing = admin_client.get(reverse("admin:catalog_userbook_changelist"))
    assert listing.status_code == 200

    bad = {**again, "outcome": "lost"}
    opened = _opened(admin_client, url)
    refused = admin_client.post(
        url, {**opened, "readings": json.dumps([shown[0], bad])}
    )
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors["readings"]
    assert "still reading, finished or did not finish" in errors[0]
    assert _stored(record).version == stored.version
