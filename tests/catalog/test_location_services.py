"""A reader's locations through the services, on the ORM and on DynamoDB (moto)."""

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _record(user, title="Dune", **fields):
    return UserBookFactory(user=user, book=BookFactory(title=title), **fields)


def _location(user, record):
    stored = UserBook.objects.get_for_user(user, record.book_id)
    return stored.location, stored.location_key


def _counts(user):
    return {key: n for _, key, n in UserBook.objects.location_counts(user).locations}


def test_a_location_typed_on_add_is_tidied_and_keyed(user):
    book = BookFactory(title="Dune")
    services.userbook_add(user=user, isbn=book.isbn13, location="  Hall   Shelf ")
    record = UserBook.objects.get_for_user(user, book.pk)
    assert (record.location, record.location_key) == ("Hall Shelf", "hall shelf")


def test_a_location_changed_by_an_update_is_keyed(user):
    record = _record(user, location="Attic")
    services.userbook_update(
        user=user,
        book_key=record.book_id,
        version=record.version,
        changes={"location": " Living  ROOM "},
    )
    assert _location(user, record) == ("Living ROOM", "living room")


def test_rename_changes_every_record_there_ignoring_case(user):
    first = _record(user, "Dune", location="Hall")
    second = _record(user, "Emma", location="HALL")
    other = _record(user, "Kim", location="Attic")
    result = services.location_rename(user=user, old="hall", new="  Front   hall ")
    assert result.location == "Front hall"
    assert sorted(r.shown.display_title for r in result.changed) == ["Dune", "Emma"]
    assert _location(user, first) == ("Front hall", "front hall")
    assert _location(user, second) == ("Front hall", "front hall")
    assert _location(user, other) == ("Attic", "attic")
    assert _counts(user) == {"attic": 1, "front hall": 2}


def test_renaming_to_an_existing_location_merges_them(user):
    _record(user, "Dune", location="Hall")
    _record(user, "Emma", location="Study")
    _record(user, "Kim", location="study")
    services.location_rename(user=user, old="Hall", new="STUDY")
    assert _counts(user) == {"study": 3}


def test_a_rename_leaves_another_readers_records_alone(user):
    mine = _record(user, "Dune", location="Hall")
    other_reader = UserFactory()
    theirs = _record(other_reader, "Emma", location="Hall")
    services.location_rename(user=user, old="Hall", new="Attic")
    assert _location(user, mine) == ("Attic", "attic")
    assert _location(other_reader, theirs) == ("Hall", "hall")


def test_invalid_names_are_refused_and_nothing_changes(user):
    record = _record(user, location="Hall")
    too_long = "x" * 201
    for new, message in [
        ("   ", "Type the location's new name."),
        (too_long, "at most 200 characters; this one has 201"),
    ]:
        with pytest.raises(ValidationError) as caught:
            services.location_rename(user=user, old="Hall", new=new)
        assert message in caught.value.message_dict["new"][0]
    with pytest.raises(ValidationError) as caught:
        services.location_rename(user=user, old="  ", new="Attic")
    assert "Choose a location" in caught.value.message_dict["old"][0]
    assert _location(user, record) == ("Hall", "hall")


def test_renaming_a_location_nobody_uses_changes_nothing(user):
    record = _record(user, location="Hall")
    result = services.location_rename(user=user, old="Cellar", new="Attic")
    assert result.changed == [] and result.skipped == []
    assert _location(user, record) == ("Hall", "hall")


def test_an_undone_removal_keeps_the_book_in_its_locations_filter(user):
    record = _record(user, location="Hall  Shelf")
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    assert _counts(user) == {}
    services.removal_undo(user=user, token=receipt.token)
    page = UserBook.objects.page_for_user(user, location="hall shelf")
    assert [r.book_id for r in page.items] == [record.book_id]
    assert _counts(user) == {"hall shelf": 1}
