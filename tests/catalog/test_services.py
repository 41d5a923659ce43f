from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import services
from catalog.backends.base import AlreadyInLibrary, StaleEdit
from catalog.isbn import InvalidISBN
from catalog.models import Book, MetadataStatus, ReadingStatus, UserBook
from tests.factories import BookFactory, UserBookFactory, isbn13_for

# On the ORM backends and on DynamoDB (moto), with the same assertions.
pytestmark = pytest.mark.usefixtures("both_modes")


def test_add_by_isbn10_stores_the_isbn13_edition_as_pending(user):
    record = services.userbook_add(user=user, isbn="0-306-40615-2")
    assert record.book_id == "9780306406157"
    assert record.book.metadata_status == MetadataStatus.PENDING
    assert record.status == "want" and record.owned


def test_adding_a_known_edition_reuses_it(user, other_user):
    book = BookFactory(title="Known")
    record = services.userbook_add(user=user, isbn=book.isbn13, status="reading")
    assert record.book.title == "Known"
    assert record.started_on == timezone.localdate()
    assert services.userbook_add(user=other_user, isbn=book.isbn13).book_id == book.pk


def test_adding_twice_raises_already_in_library(user):
    services.userbook_add(user=user, isbn=isbn13_for(1))
    with pytest.raises(AlreadyInLibrary):
        services.userbook_add(user=user, isbn=isbn13_for(1))


def test_a_bad_isbn_is_refused_before_anything_is_stored(user):
    with pytest.raises(InvalidISBN):
        services.userbook_add(user=user, isbn="9780306406158")
    assert UserBook.objects.status_counts(user)["all"] == 0


def test_manual_book_without_isbn_gets_a_generated_key(user):
    record = services.userbook_add_manual(
        user=user,
        book_fields={"title": "Family recipes", "authors": ["Grandma"], "pages": 80},
    )
    assert record.book_id.startswith("M") and not record.book.isbn13
    assert record.book.metadata_status == MetadataStatus.MANUAL
    assert record.book.edited_fields == ["authors", "pages", "title"]


def test_manual_book_with_a_new_isbn_keeps_typed_fields_as_the_readers_own(user):
    record = services.userbook_add_manual(
        user=user, book_fields={"title": "Typed"}, isbn="0306406152"
    )
    assert record.book_id == "9780306406157"
    assert record.corrections == {"title": "Typed"}
    assert record.shown.title == "Typed"
    # The shared edition gets nothing typed: it waits for its fetched details.
    book = Book.objects.get_by_key(record.book_id)
    assert book.title == "" and book.edited_fields == []
    assert book.metadata_status == MetadataStatus.PENDING


def test_marking_read_fills_the_finish_date_once(user):
    record = UserBookFactory(user=user)
    updated = services.userbook_update(
        user=user, book_key=record.book_id, version=1, changes={"status": "read"}
    )
    assert updated.finished_on == timezone.localdate()
    # Clearing the date on purpose, status unchanged, keeps it cleared.
    again = services.userbook_update(
        user=user,
        book_key=record.book_id,
        version=2,
        changes={"status": "read", "finished_on": None},
    )
    assert again.finished_on is None


def test_given_dates_are_kept(user):
    record = UserBookFactory(user=user)
    updated = services.userbook_update(
        user=user,
        book_key=record.book_id,
        version=1,
        changes={"status": "reading", "started_on": date(2020, 1, 2)},
    )
    assert updated.started_on == date(2020, 1, 2)


def test_stale_update_is_refused(user):
    record = UserBookFactory(user=user)
    services.userbook_update(
        user=user, book_key=record.book_id, version=1, changes={"notes": "tab one"}
    )
    with pytest.raises(StaleEdit):
        services.userbook_update(
            user=user, book_key=record.book_id, version=1, changes={"notes": "tab two"}
        )


def test_only_editable_fields_can_change(user):
    record = UserBookFactory(user=user)
    with pytest.raises(ValueError, match="cannot be edited"):
        services.userbook_update(
            user=user, book_key=record.book_id, version=1, changes={"user_id": 99}
        )


def test_remove(user):
    record = UserBookFactory(user=user)
    services.userbook_remove(user=user, book_key=record.book_id)
    assert UserBook.objects.status_counts(user)["all"] == 0
    assert Book.objects.get_by_key(record.book_id)


@pytest.mark.parametrize(
    "add",
    [
        lambda user, status: services.userbook_add(
            user=user, isbn=isbn13_for(7), status=status
        ),
        lambda user, status: services.userbook_add_manual(
            user=user, book_fields={"title": "Typed"}, status=status
        ),
        lambda user, status: services.userbook_add_many(
            user=user, isbns=[isbn13_for(7), isbn13_for(8)], status=status
        ),
    ],
    ids=["isbn", "manual", "many"],
)
@pytest.mark.parametrize("status", ["lost", "", "WANT", "want "])
def test_every_add_refuses_a_status_that_is_not_one_of_the_four(user, add, status):
    with pytest.raises(ValidationError, match="Choose a reading status"):
        add(user, status)
    counts = UserBook.objects.status_counts(user)
    assert counts["all"] == 0 and set(counts) == {"all", *ReadingStatus.values}
    with pytest.raises(Book.DoesNotExist):
        Book.objects.get_by_key(isbn13_for(7))
