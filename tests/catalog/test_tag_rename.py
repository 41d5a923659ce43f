"""Renaming, merging and deleting a reader's tag across their library, both modes."""

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _record(user, title, tags):
    return UserBookFactory(user=user, book=BookFactory(title=title), tags=tags)


def _tags(user, record):
    return UserBook.objects.get_for_user(user, record.book_id).tags


def _counts(user):
    return [(shown, n) for shown, _key, n in UserBook.objects.tag_counts(user).tags]


def test_a_rename_changes_the_tag_in_place_and_keeps_the_other_tags(user):
    dune = _record(user, "Dune", ["Classic", "sci fi", "Owned"])
    emma = _record(user, "Emma", ["classic"])
    kim = _record(user, "Kim", ["Owned"])
    result = services.tag_rename(user=user, tag="CLASSIC", new_name="  Old   books ")
    assert result.name == "Old books" and not result.more
    assert len(result.changed) == 2 and result.skipped == []
    assert _tags(user, dune) == ["Old books", "sci fi", "Owned"]
    assert _tags(user, emma) == ["Old books"]
    assert _tags(user, kim) == ["Owned"]
    assert _counts(user) == [("Old books", 2), ("Owned", 2), ("sci fi", 1)]
    assert UserBook.objects.get_for_user(user, dune.book_id).tag_keys == (
        "|old books|sci fi|owned|"
    )


def test_a_rename_to_an_existing_tag_merges_the_two_with_counts_right(user):
    both = _record(user, "Dune", ["SF", "Owned", "Sci Fi"])
    old = _record(user, "Emma", ["sf"])
    new = _record(user, "Kim", ["sci fi"])
    services.tag_rename(user=user, tag="sf", new_name="Sci Fi")
    assert _tags(user, both) == ["Owned", "Sci Fi"]
    assert _tags(user, old) == ["Sci Fi"]
    assert _tags(user, new) == ["sci fi"]
    assert _counts(user) == [("Owned", 1), ("Sci Fi", 3)]


def test_a_rename_may_change_only_the_case_of_a_tag(user):
    dune = _record(user, "Dune", ["sci fi", "Owned"])
    services.tag_rename(user=user, tag="Sci Fi", new_name="Sci Fi")
    assert _tags(user, dune) == ["Sci Fi", "Owned"]
    assert _counts(user) == [("Owned", 1), ("Sci Fi", 1)]


def test_a_delete_takes_the_tag_off_every_record_and_keeps_the_rest(user):
    dune = _record(user, "Dune", ["Classic", "Owned"])
    emma = _record(user, "Emma", ["classic"])
    result = services.tag_delete(user=user, tag="Classic")
    assert len(result.changed) == 2 and not result.more
    assert _tags(user, dune) == ["Owned"]
    assert _tags(user, emma) == []
    assert _counts(user) == [("Owned", 1)]


def test_another_readers_tags_are_never_touched(user):
    other = UserFactory()
    theirs = _record(other, "Dune", ["Classic", "Owned"])
    mine = _record(user, "Emma", ["Classic"])
    services.tag_rename(user=user, tag="Classic", new_name="Owned")
    services.tag_delete(user=user, tag="Owned")
    assert _tags(user, mine) == []
    assert _tags(other, theirs) == ["Classic", "Owned"]
    assert _counts(other) == [("Classic", 1), ("Owned", 1)]


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("a|b", "cannot hold “|”"),
        ("x" * 61, "at most 60 characters"),
        ("one, two", "cannot hold a comma"),
        ("   ", "Type the tag's new name"),
    ],
)
def test_a_new_name_a_typed_tag_could_not_have_is_refused(user, typed, says):
    dune = _record(user, "Dune", ["Classic"])
    with pytest.raises(ValidationError) as refused:
        services.tag_rename(user=user, tag="Classic", new_name=typed)
    assert says in " ".join(refused.value.message_dict["name"])
    assert _tags(user, dune) == ["Classic"]
