"""Changing the status of many books at once, on the ORM and on DynamoDB (moto)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import services
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _shelf(user, *statuses):
    return [
        UserBookFactory(user=user, book=BookFactory(title=f"B{n}"), status=status)
        for n, status in enumerate(statuses)
    ]


def test_a_new_status_brings_the_dates_a_single_edit_would(user):
    today = timezone.localdate()
    earlier = today - timedelta(days=9)
    want, reading = _shelf(user, "want", "reading")
    services.userbook_update(
        user=user,
        book_key=reading.book_id,
        version=UserBook.objects.get_for_user(user, reading.book_id).version,
        changes={"started_on": earlier},
    )
    result = services.userbooks_set_status(
        user=user, book_keys=[want.book_id, reading.book_id], status="read"
    )
    assert [r.book_id for r in result.changed] == [want.book_id, reading.book_id]
    first = UserBook.objects.get_for_user(user, want.book_id)
    second = UserBook.objects.get_for_user(user, reading.book_id)
    # Read straight from "want": finished today, no start made up.
    assert (first.status, first.started_on, first.finished_on) == ("read", None, today)
    assert (second.started_on, second.finished_on) == (earlier, today)


def test_keys_outside_the_library_are_reported_and_left_alone(user):
    other = UserFactory()
    (mine,) = _shelf(user, "want")
    theirs = UserBookFactory(user=other, book=BookFactory(title="Theirs"))
    result = services.userbooks_set_status(
        user=user,
        book_keys=[mine.book_id, theirs.book_id, "no-such-book", mine.book_id],
        status="reading",
    )
    assert [r.book_id for r in result.changed] == [mine.book_id]
    assert result.missing == [theirs.book_id, "no-such-book"]
    assert UserBook.objects.get_for_user(other, theirs.book_id).status == "want"


def test_books_already_in_that_status_are_not_written(user):
    (done,) = _shelf(user, "read")
    result = services.userbooks_set_status(
        user=user, book_keys=[done.book_id], status="read"
    )
    assert [r.book_id for r in result.unchanged] == [done.book_id]
    assert result.changed == []
    assert UserBook.objects.get_for_user(user, done.book_id).version == done.version


@pytest.mark.parametrize("status", ["", "burnt", "READ"])
def test_an_unknown_status_changes_nothing(user, status):
    (book,) = _shelf(user, "want")
    with pytest.raises(ValidationError):
        services.userbooks_set_status(
            user=user, book_keys=[book.book_id], status=status
        )
    assert UserBook.objects.get_for_user(user, book.book_id).status == "want"


def test_more_than_a_hundred_keys_are_refused(user):
    (book,) = _shelf(user, "want")
    keys = [book.book_id] + [f"k{n}" for n in range(100)]
    with pytest.raises(ValidationError, match="at most 100"):
        services.userbooks_set_status(user=user, book_keys=keys, status="read")
    assert UserBook.objects.get_for_user(user, book.book_id).status == "want"
    # The same key twice counts once.
    result = services.userbooks_set_status(
        user=user, book_keys=[book.book_id] * 150, status="read"
    )
    assert len(result.changed) == 1


def test_the_status_counts_follow(user):
    books = _shelf(user, "want", "want", "want", "read")
    services.userbooks_set_status(
        user=user, book_keys=[b.book_id for b in books], status="dnf"
    )
    counts = UserBook.objects.status_counts(user)
    assert (counts["want"], counts["read"], counts["dnf"], counts["all"]) == (
        0,
        0,
        4,
        4,
    )
