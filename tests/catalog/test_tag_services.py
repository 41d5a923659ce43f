"""A reader's tags through the services, on the ORM and on DynamoDB (moto)."""

import pytest
from django.core.exceptions import ValidationError

from catalog import services, tags
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _record(user, title="Dune", **fields):
    return UserBookFactory(user=user, book=BookFactory(title=title), **fields)


def _tags(user, record):
    return UserBook.objects.get_for_user(user, record.book_id).tags


def test_typed_tags_are_trimmed_kept_once_ignoring_case_with_accents_kept(user):
    record = _record(user)
    services.userbook_set_tags(
        user=user,
        book_key=record.book_id,
        tags="  Sci   Fi , été,, sci fi, ÉTÉ , Ete ",
    )
    assert _tags(user, record) == ["Sci Fi", "été", "Ete"]


def test_refusals_say_what_to_fix_and_change_nothing(user):
    record = _record(user, tags=["kept"])
    long_tag = "x" * (tags.TAG_MAX_CHARS + 1)
    refusals = {
        long_tag: f"at most {tags.TAG_MAX_CHARS} characters",
        "a|b": "cannot hold “|”",
        ", ".join(f"t{n}" for n in range(tags.MAX_TAGS + 1)): (
            f"at most {tags.MAX_TAGS} tags; this is {tags.MAX_TAGS + 1}"
        ),
    }
    for typed, message in refusals.items():
        with pytest.raises(ValidationError) as caught:
            services.userbook_set_tags(user=user, book_key=record.book_id, tags=typed)
        assert message in caught.value.message_dict["tags"][0]
    assert _tags(user, record) == ["kept"]


def test_an_update_refuses_invalid_tags_too(user):
    record = _record(user)
    with pytest.raises(ValidationError) as caught:
        services.userbook_update(
            user=user,
            book_key=record.book_id,
            version=record.version,
            changes={"tags": ["a|b"]},
        )
    assert "tags" in caught.value.message_dict


def test_concurrent_tag_edits_are_merged_as_sets(user):
    record = _record(user, tags=["classic", "desert"])
    loaded = list(record.tags)
    # Elsewhere: "space" added and "desert" removed.
    services.userbook_set_tags(
        user=user, book_key=record.book_id, tags="classic, space", loaded=loaded
    )
    # Here, from the same loaded tags: "classic" removed, "Epic" added.
    saved = services.userbook_set_tags(
        user=user, book_key=record.book_id, tags="desert, Epic", loaded=loaded
    )
    assert saved.tags == ["space", "Epic"]
    assert _tags(user, record) == ["space", "Epic"]


def test_a_merge_that_would_pass_the_limit_is_refused(user):
    many = [f"t{n}" for n in range(tags.MAX_TAGS - 1)]
    record = _record(user, tags=many)
    services.userbook_set_tags(
        user=user, book_key=record.book_id, tags=[*many, "mine"], loaded=many
    )
    with pytest.raises(ValidationError):
        services.userbook_set_tags(
            user=user, book_key=record.book_id, tags=[*many, "theirs"], loaded=many
        )
    assert _tags(user, record) == [*many, "mine"]


def test_unchanged_tags_write_nothing(user):
    record = _record(user, tags=["Classic"])
    saved = services.userbook_set_tags(
        user=user, book_key=record.book_id, tags="classic"
    )
    assert saved.version == record.version and saved.tags == ["Classic"]


def test_tags_of_a_book_outside_the_library_cannot_be_set(user):
    theirs = _record(UserFactory(), tags=["theirs"])
    with pytest.raises(UserBook.DoesNotExist):
        services.userbook_set_tags(user=user, book_key=theirs.book_id, tags="mine")


def test_bulk_adds_and_removes_tags_on_the_chosen_books_only(user):
    dune = _record(user, "Dune", tags=["Classic"])
    emma = _record(user, "Emma")
    kim = _record(user, "Kim", tags=["classic"])
    theirs = _record(UserFactory(), "Theirs")
    result = services.userbooks_tag(
        user=user,
        book_keys=[dune.book_id, emma.book_id, theirs.book_id],
        add="classic, To Lend",
    )
    assert [r.book_id for r in result.changed] == [dune.book_id, emma.book_id]
    assert result.missing == [theirs.book_id]
    assert _tags(user, dune) == ["Classic", "To Lend"]
    assert _tags(user, emma) == ["classic", "To Lend"]
    assert _tags(user, kim) == ["classic"]
    result = services.userbooks_tag(
        user=user, book_keys=[dune.book_id, emma.book_id, kim.book_id], remove="CLASSIC"
    )
    assert len(result.changed) == 3
    assert [_tags(user, r) for r in (dune, emma, kim)] == [["To Lend"], ["To Lend"], []]
    page = UserBook.objects.page_for_user(user, tags=["to lend"], sort="title")
    assert [r.book_id for r in page.items] == [dune.book_id, emma.book_id]


def test_bulk_needs_a_tag_and_skips_a_book_that_would_hold_too_many(user):
    full = _record(user, "Full", tags=[f"t{n}" for n in range(tags.MAX_TAGS)])
    with pytest.raises(ValidationError):
        services.userbooks_tag(user=user, book_keys=[full.book_id], add=" , ")
    result = services.userbooks_tag(user=user, book_keys=[full.book_id], add="more")
    assert [r.book_id for r in result.skipped] == [full.book_id]
    assert "more" not in _tags(user, full)


def test_a_removed_book_comes_back_with_its_tags_and_in_the_filter(user):
    record = _record(user, tags=["Été", "to lend"])
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    assert UserBook.objects.page_for_user(user, tags=["été"]).items == []
    services.removal_undo(user=user, token=receipt.token)
    assert _tags(user, record) == ["Été", "to lend"]
    page = UserBook.objects.page_for_user(user, tags=["ÉTÉ", "To Lend"])
    assert [r.book_id for r in page.items] == [record.book_id]
