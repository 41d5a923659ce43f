"""Removing books, one or many, and undoing it: nothing the reader typed is lost."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog import records, services
from catalog.models import Book, UserBook
from catalog.services.removal import MAX_REMOVE
from tests.factories import BookFactory, UserBookFactory

# On the ORM backends and on DynamoDB (moto), with the same assertions.
pytestmark = pytest.mark.usefixtures("both_modes")


def _after_undo_window(settings) -> timezone.datetime:
    return timezone.now() + timedelta(seconds=settings.REMOVAL_UNDO_SECONDS + 120)


def _typed_record(user, *, title="Dune", status="read") -> UserBook:
    """A record with everything a reader can type, and their own cover photo."""
    book = BookFactory(title=title)
    record = UserBookFactory(
        user=user,
        book=book,
        status=status,
        rating=Decimal("4.5"),
        notes="Read it on the train.\n" + "n" * 2000,
        started_on=date(2024, 1, 2),
        finished_on=date(2024, 2, 3),
        location="Hall shelf",
        owned=False,
        added_at=timezone.now() - timedelta(days=400),
    )
    cover = default_storage.save(
        f"private/{user.pk}/covers/{book.pk}-a.jpg", ContentFile(b"jpeg")
    )
    thumb = default_storage.save(
        f"private/{user.pk}/covers/{book.pk}-a-thumb.jpg", ContentFile(b"jpeg")
    )
    return UserBook.objects.update_for_user(
        user,
        book.pk,
        version=record.version,
        changes={
            "corrections": {
                "title": f"{title} (my edition)",
                "authors": ["F. Herbert"],
                "cover": cover,
                "cover_thumb": thumb,
            }
        },
    )


def _stored(record: UserBook) -> dict:
    """Everything of a record that a remove-then-undo must keep."""
    return {
        **records.values(record),
        "added_at": record.added_at,
        "corrections": record.corrections,
        "provisional": record.provisional,
        "version": record.version,
        "book_id": record.book_id,
        "sort_title": record.sort_title,
        "search_text": record.search_text,
    }


def test_removing_one_book_says_which_and_takes_it_off_the_counts(user):
    record = _typed_record(user)
    UserBookFactory(user=user, status="want")
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    assert receipt.message == "Removed “Dune (my edition)”."
    assert receipt.count == 1 and receipt.token and receipt.ignored == 0
    with pytest.raises(UserBook.DoesNotExist):
        UserBook.objects.get_for_user(user, record.book_id)
    counts = UserBook.objects.status_counts(user)
    assert (counts["read"], counts["want"], counts["all"]) == (0, 1, 1)
    assert Book.objects.get_by_key(record.book_id)  # the edition stays


def test_undo_restores_the_record_exactly_and_its_place_in_the_list(user):
    record = _typed_record(user)
    newer = UserBookFactory(user=user, status="reading")
    before = _stored(UserBook.objects.get_for_user(user, record.book_id))
    first_page = UserBook.objects.page_for_user(user, sort="added").items
    receipt = services.userbook_remove(user=user, book_key=record.book_id)

    restored = services.removal_undo(user=user, token=receipt.token)

    assert [r.book_id for r in restored] == [record.book_id] and not restored.kept
    assert restored.message == "Restored “Dune (my edition)”."
    assert _stored(UserBook.objects.get_for_user(user, record.book_id)) == before
    after = UserBook.objects.page_for_user(user, sort="added").items
    assert [r.book_id for r in after] == [r.book_id for r in first_page]
    assert after[0].book_id == newer.book_id
    counts = UserBook.objects.status_counts(user)
    assert (counts["read"], counts["reading"], counts["all"]) == (1, 1, 2)
    own = UserBook.objects.get_for_user(user, record.book_id).corrections
    assert default_storage.exists(own["cover"])
    assert default_storage.exists(own["cover_thumb"])
    # Searched and sorted by the reader's own title again.
    found = UserBook.objects.page_for_user(user, query="my edition").items
    assert [r.book_id for r in found] == [record.book_id]


def test_removing_many_at_once_and_undoing_them_all(user, other_user):
    mine = [_typed_record(user, title=f"Book {i}", status="want") for i in range(3)]
    theirs = UserBookFactory(user=other_user)
    before = {r.book_id: _stored(r) for r in mine}
    keys = [r.book_id for r in mine] + [theirs.book_id, "9780000000000", "x" * 500]

    receipt = services.userbooks_remove(user=user, book_keys=keys)

    assert receipt.message == "Removed 3 books."
    assert receipt.ignored == 3
    assert UserBook.objects.status_counts(user)["all"] == 0
    assert UserBook.objects.get_for_user(other_user, theirs.book_id)  # untouched
    restored = services.removal_undo(user=user, token=receipt.token)
    assert restored.message == "Restored 3 books."
    assert {r.book_id: _stored(r) for r in restored} == before
    again = UserBook.objects.for_keys(user, list(before))
    assert {k: _stored(r) for k, r in again.items()} == before
    counts = UserBook.objects.status_counts(user)
    assert (counts["want"], counts["all"]) == (3, 3)


def test_keys_not_in_the_library_remove_nothing_and_need_no_undo(user, other_user):
    theirs = UserBookFactory(user=other_user)
    receipt = services.userbooks_remove(user=user, book_keys=[theirs.book_id, ""])
    assert (receipt.count, receipt.ignored, receipt.token) == (0, 1, "")
    assert UserBook.objects.get_for_user(other_user, theirs.book_id)
    with pytest.raises(UserBook.DoesNotExist):
        services.userbook_remove(user=user, book_key=theirs.book_id)


def test_more_than_the_most_at_once_is_refused_whole(user):
    record = UserBookFactory(user=user)
    keys = [record.book_id] + [f"M{i:016d}" for i in range(MAX_REMOVE)]
    with pytest.raises(ValidationError, match=f"at most {MAX_REMOVE}"):
        services.userbooks_remove(user=user, book_keys=keys)
    assert UserBook.objects.get_for_user(user, record.book_id)
    # The same key twice counts once: exactly the most is taken.
    receipt = services.userbooks_remove(
        user=user, book_keys=[record.book_id] * 2 + keys[1:MAX_REMOVE]
    )
    assert receipt.count == 1 and receipt.ignored == MAX_REMOVE - 1


def test_undoing_twice_is_harmless(user):
    record = _typed_record(user)
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    services.removal_undo(user=user, token=receipt.token)
    stored = _stored(UserBook.objects.get_for_user(user, record.book_id))
    with pytest.raises(services.UndoUnavailable, match="nothing to undo"):
        services.removal_undo(user=user, token=receipt.token)
    assert _stored(UserBook.objects.get_for_user(user, record.book_id)) == stored
    assert UserBook.objects.status_counts(user)["all"] == 1


def test_someone_elses_token_undoes_nothing(user, other_user):
    record = _typed_record(user)
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    with pytest.raises(services.UndoUnavailable):
        services.removal_undo(user=other_user, token=receipt.token)
    for token in ("", "x" * 2000, "../../etc"):
        with pytest.raises(services.UndoUnavailable):
            services.removal_undo(user=user, token=token)
    assert UserBook.objects.status_counts(other_user)["all"] == 0
    # Still the owner's to undo.
    assert services.removal_undo(user=user, token=receipt.token)


def test_an_expired_removal_cannot_be_undone(user, settings):
    record = _typed_record(user)
    settings.REMOVAL_UNDO_SECONDS = 0
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    with pytest.raises(services.UndoUnavailable, match="Too late to undo"):
        services.removal_undo(user=user, token=receipt.token)
    assert UserBook.objects.status_counts(user)["all"] == 0


def test_the_cleanup_drops_expired_removals_then_their_cover_files(user, settings):
    kept = _typed_record(user, title="Kept")
    gone = _typed_record(user, title="Gone")
    files = [gone.corrections["cover"], gone.corrections["cover_thumb"]]
    receipt = services.userbook_remove(user=user, book_key=gone.book_id)
    recent = services.userbook_remove(user=user, book_key=kept.book_id)

    # Within the window nothing goes.
    assert services.removals_clean_expired() == 0
    assert all(default_storage.exists(name) for name in files)
    # Past it, the held records and then their files go.
    later = _after_undo_window(settings)
    assert services.removals_clean_expired(now=later) == 2
    assert not any(default_storage.exists(name) for name in files)
    assert not default_storage.exists(kept.corrections["cover"])
    for token in (receipt.token, recent.token):
        with pytest.raises(services.UndoUnavailable):
            services.removal_undo(user=user, token=token)
    assert services.removals_clean_expired(now=later) == 0


def test_an_undone_removal_leaves_the_cleanup_nothing_to_delete(user, settings):
    record = _typed_record(user)
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    services.removal_undo(user=user, token=receipt.token)
    assert services.removals_clean_expired(now=_after_undo_window(settings)) == 0
    assert default_storage.exists(record.corrections["cover"])


def test_a_book_added_again_meanwhile_keeps_its_new_record(user, settings):
    record = _typed_record(user)
    old_cover = record.corrections["cover"]
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    again = services.userbook_add(user=user, isbn=record.book_id, status="reading")

    restored = services.removal_undo(user=user, token=receipt.token)

    assert list(restored) == []
    assert [r.book_id for r in restored.kept] == [record.book_id]
    assert "was added again meanwhile" in restored.message
    current = UserBook.objects.get_for_user(user, record.book_id)
    assert (current.status, current.notes, current.version) == ("reading", "", 1)
    assert current.added_at == again.added_at
    assert UserBook.objects.status_counts(user)["all"] == 1
    assert not default_storage.exists(old_cover)  # no record uses it any more


def test_undo_brings_back_a_hand_entered_book_deleted_meanwhile(user):
    record = services.userbook_add_manual(
        user=user, book_fields={"title": "Family recipes"}
    )
    services.userbook_update(
        user=user, book_key=record.book_id, version=1, changes={"notes": "Gran's"}
    )
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    Book.objects.delete_book(record.book_id)  # an administrator tidied up

    (restored,) = services.removal_undo(user=user, token=receipt.token)

    assert restored.notes == "Gran's"
    assert restored.shown.display_title == "Family recipes"
    assert UserBook.objects.get_for_user(user, record.book_id).notes == "Gran's"


def test_a_record_of_the_largest_size_survives_remove_and_undo(user):
    record = UserBookFactory(user=user)
    notes = "é" * records.NOTES_MAX_CHARS
    services.userbook_update(
        user=user, book_key=record.book_id, version=1, changes={"notes": notes}
    )
    others = [UserBookFactory(user=user) for _ in range(2)]
    keys = [record.book_id] + [r.book_id for r in others]
    receipt = services.userbooks_remove(user=user, book_keys=keys)
    restored = services.removal_undo(user=user, token=receipt.token)
    assert len(restored) == 3
    assert UserBook.objects.get_for_user(user, record.book_id).notes == notes


def test_a_record_changed_since_it_was_read_is_held_as_it_is_now(user):
    from catalog.backends import get_backend
    from catalog.backends.base import HeldRemoval

    record = UserBookFactory(user=user, status="want")
    stale = UserBook.objects.get_for_user(user, record.book_id)
    UserBook.objects.update_for_user(
        user,
        record.book_id,
        version=stale.version,
        changes={"notes": "typed in another tab", "status": "reading"},
    )
    now = timezone.now()
    held = HeldRemoval(
        user_id=user.pk,
        token="t" * 32,
        created_at=now,
        held_until=now + timedelta(minutes=10),
    )
    (removed,) = get_backend().hold_and_remove(user, held, [stale])
    assert removed.notes == "typed in another tab"
    assert UserBook.objects.status_counts(user)["all"] == 0
    (restored,) = services.removal_undo(user=user, token=held.token)
    assert (restored.notes, restored.status, restored.version) == (
        "typed in another tab",
        "reading",
        2,
    )
    counts = UserBook.objects.status_counts(user)
    assert (counts["reading"], counts["want"]) == (1, 0)


def test_many_large_records_come_back_with_one_added_again_meanwhile(user):
    big = "𝄞" * records.NOTES_MAX_CHARS  # 200 KB of notes
    made = [UserBookFactory(user=user, status="read") for _ in range(45)]
    for record in made[:18]:
        services.userbook_update(
            user=user, book_key=record.book_id, version=1, changes={"notes": big}
        )
    receipt = services.userbooks_remove(user=user, book_keys=[r.book_id for r in made])
    assert receipt.count == 45
    services.userbook_add(user=user, isbn=made[3].book_id, status="want")

    restored = services.removal_undo(user=user, token=receipt.token)

    assert len(restored) == 44
    assert [r.book_id for r in restored.kept] == [made[3].book_id]
    assert "Restored 44 books." in restored.message
    again = UserBook.objects.for_keys(user, [r.book_id for r in made])
    assert sum(r.notes == big for r in again.values()) == 17
    assert again[made[3].book_id].status == "want"
    counts = UserBook.objects.status_counts(user)
    assert (counts["read"], counts["want"], counts["all"]) == (44, 1, 45)


def test_records_move_in_groups_a_transaction_can_take():
    from catalog.backends.dynamodb.removal_items import groups

    small = {"pk": {"S": "x"}}
    large = {"pk": {"S": "x" * 300_000}}
    entries = [(i, small) for i in range(85)] + [(i, large) for i in range(30)]
    split = list(groups(entries))
    assert [len(g) for g in split[:3]] == [40, 40, 16]
    assert all(len(g) <= 40 for g in split)
    assert sum(len(g) for g in split) == 115
    assert all(sum(len(item["pk"]["S"]) for _, item in g) <= 3_500_000 for g in split)


def test_the_cleanup_finds_expired_removals_earliest_first(user, settings):
    from catalog.backends import get_backend

    receipts = []
    for minutes in (3, 1, 2):
        settings.REMOVAL_UNDO_SECONDS = minutes * 60
        record = UserBookFactory(user=user)
        receipts.append(services.userbook_remove(user=user, book_key=record.book_id))
    later = timezone.now() + timedelta(minutes=2, seconds=30)
    found = get_backend().expired_removals(later, 5)
    assert [r.token for r in found] == [receipts[1].token, receipts[2].token]
    assert [r.token for r in get_backend().expired_removals(later, 1)] == [
        receipts[1].token
    ]
    assert found[0].user_id == user.pk and len(found[0].keys) == 1
    get_backend().drop_removal(found[0])
    assert [r.token for r in get_backend().expired_removals(later, 5)] == [
        receipts[2].token
    ]
    # The one still in its window can be undone.
    assert len(services.removal_undo(user=user, token=receipts[0].token)) == 1


def test_an_undo_overtaken_by_another_says_there_is_nothing_left(user):
    from catalog.backends import get_backend

    record = UserBookFactory(user=user, notes="mine")
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    held = get_backend().get_removal(user, receipt.token)
    services.removal_undo(user=user, token=receipt.token)  # the other tab's
    # This request read the removal before the other one put it back.
    assert get_backend().restore_removal(user, held).restored == []
    assert UserBook.objects.get_for_user(user, record.book_id).notes == "mine"
    assert UserBook.objects.status_counts(user)["all"] == 1
