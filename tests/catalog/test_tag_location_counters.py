"""Tag and location counts stay exact through every write, on both backends.

On DynamoDB they are counters kept on the reader's ``TALLY#`` item, moved in
the same transaction as each record write; on the ORM they are counted by SQL.
"""

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command

from booklibrary import dynamodb
from catalog import services
from catalog.backends.dynamodb import tallies
from catalog.models import UserBook
from tests.dynamo_library import fill_dynamo_library
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = pytest.mark.usefixtures("both_modes")


def _tags(user):
    counted = UserBook.objects.tag_counts(user)
    assert counted.complete
    return [(shown, n) for shown, _key, n in counted.tags]


def _places(user):
    counted = UserBook.objects.location_counts(user)
    assert counted.complete
    return [(shown, n) for shown, _key, n in counted.locations]


def _shelve(user, title, tags, location=""):
    record = UserBookFactory(user=user, book=BookFactory(title=title))
    return UserBook.objects.update_for_user(
        user,
        record.book_id,
        version=record.version,
        changes={"tags": tags, "location": location},
    )


def test_counts_follow_adds_edits_bulk_changes_and_renames(user):
    dune = _shelve(user, "Dune", ["Sci fi", "Classic"], "Hall")
    emma = _shelve(user, "Emma", ["classic"], "hall")
    _shelve(user, "Kim", ["sci fi"], "Study")
    assert _tags(user) == [("Classic", 2), ("Sci fi", 2)]
    assert _places(user) == [("Hall", 2), ("Study", 1)]

    services.userbook_set_tags(user=user, book_key=emma.book_id, tags="classic, Été")
    services.userbooks_tag(user=user, book_keys=[dune.book_id], remove="classic")
    assert _tags(user) == [("classic", 1), ("Sci fi", 2), ("Été", 1)]

    services.tag_rename(user=user, tag="sci fi", new_name="SF")
    services.tag_delete(user=user, tag="Été")
    services.location_rename(user=user, old="HALL", new="Attic")
    assert _tags(user) == [("classic", 1), ("SF", 2)]
    assert _places(user) == [("Attic", 2), ("Study", 1)]
    # Another reader's counts are their own.
    assert _tags(UserFactory()) == []


def test_counts_follow_removals_their_undo_and_emptying_the_library(user):
    dune = _shelve(user, "Dune", ["Classic"], "Hall")
    emma = _shelve(user, "Emma", ["Classic", "Gift"], "Hall")
    removal = services.userbooks_remove(
        user=user, book_keys=[dune.book_id, emma.book_id]
    )
    assert _tags(user) == [] and _places(user) == []
    services.removal_undo(user=user, token=removal.token)
    assert _tags(user) == [("Classic", 2), ("Gift", 1)]
    assert _places(user) == [("Hall", 2)]
    services.userbook_remove(user=user, book_key=emma.book_id)
    assert _tags(user) == [("Classic", 1)]
    UserBook.objects.remove_all_for_user(user)
    assert _tags(user) == [] and _places(user) == []
    _shelve(user, "Kim", ["New"], "Study")
    assert _tags(user) == [("New", 1)] and _places(user) == [("Study", 1)]


def test_rebuilding_the_counters_is_idempotent(user):
    _shelve(user, "Dune", ["Classic"], "Hall")
    assert UserBook.objects.counters_built(user)
    UserBook.objects.rebuild_counters(user)
    UserBook.objects.rebuild_counters(user)
    assert _tags(user) == [("Classic", 1)] and _places(user) == [("Hall", 1)]


@pytest.mark.parametrize("both_modes", ["dynamodb"], indirect=True)
def test_records_stored_before_the_counters_are_counted_once_rebuilt(user):
    fill_dynamo_library(
        user, 30, tags_for=lambda n: ["Even"] if n % 2 == 0 else [], tallied=False
    )
    assert not UserBook.objects.counters_built(user)
    # Until then the pages count the records they can read in bounded calls.
    assert UserBook.objects.tag_counts(user).tags == [("Even", "even", 15)]
    call_command("rebuild_counters", "--user", user.username)
    assert UserBook.objects.counters_built(user)
    assert _tags(user) == [("Even", 15)]
    stored = tallies.read(user.pk)
    assert stored.tags == {"Even": 15} and stored.usable


@pytest.mark.parametrize("both_modes", ["dynamodb"], indirect=True)
def test_two_writes_adding_the_same_new_tag_both_count(user):
    one = UserBookFactory(user=user, book=BookFactory(title="One"))
    two = UserBookFactory(user=user, book=BookFactory(title="Two"))
    # Both moves are made against the same counters: ADD adds them up.
    client = dynamodb.client()
    for record in (one, two):
        record.tags = ["Brand new"]
        client.transact_write_items(
            TransactItems=[tallies.update_action(user.pk, tallies.moves([], [record]))]
        )
    assert _tags(user) == [("Brand new", 2)]


@pytest.mark.parametrize("both_modes", ["dynamodb"], indirect=True)
def test_a_write_too_large_for_the_counters_is_made_without_them(user, monkeypatch):
    record = UserBookFactory(user=user, book=BookFactory(title="Dune"))
    real = tallies.transact_write
    refused = []

    def refuse_the_counters(client, actions):
        if len(tallies.without_tally(actions, user.pk)) != len(actions):
            refused.append(actions)
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": "Item size to update has exceeded the maximum "
                        "allowed size",
                    }
                },
                "TransactWriteItems",
            )
        return real(client, actions)

    monkeypatch.setattr(tallies, "transact_write", refuse_the_counters)
    saved = UserBook.objects.update_for_user(
        user, record.book_id, version=record.version, changes={"tags": ["Kept"]}
    )
    assert refused and saved.tags == ["Kept"]
    assert UserBook.objects.get_for_user(user, record.book_id).tags == ["Kept"]
    assert not UserBook.objects.counters_built(user)
    monkeypatch.setattr(tallies, "transact_write", real)
    UserBook.objects.rebuild_counters(user)
    assert _tags(user) == [("Kept", 1)]


@pytest.mark.parametrize("both_modes", ["dynamodb"], indirect=True)
def test_a_new_account_starts_counted_and_its_items_go_with_it(user):
    from catalog.backends.dynamodb import tag_jobs

    assert tallies.read(user.pk).usable
    _shelve(user, "Dune", ["Classic"], "Hall")
    client, table = dynamodb.client(), dynamodb.table_name(dynamodb.USERS)
    client.put_item(TableName=table, Item=tag_jobs.job_key(user.pk))
    user.delete()
    for key in (tallies.tally_key(user.pk), tag_jobs.job_key(user.pk)):
        assert "Item" not in client.get_item(TableName=table, Key=key)


@pytest.mark.parametrize("both_modes", ["dynamodb"], indirect=True)
def test_the_command_counts_the_readers_without_counters_once(user, capsys):
    from django.core.management.base import CommandError

    counted = UserFactory()
    _shelve(counted, "Dune", ["Classic"], "Hall")
    fill_dynamo_library(user, 4, tags_for=lambda n: ["Even"], tallied=False)
    call_command("rebuild_counters", "--missing")
    assert "1 of 2 readers counted." in capsys.readouterr().out
    assert _tags(user) == [("Even", 4)] and _tags(counted) == [("Classic", 1)]
    call_command("rebuild_counters", "--missing")
    assert "0 of 2 readers counted." in capsys.readouterr().out
    call_command("rebuild_counters")
    assert "2 of 2 readers counted." in capsys.readouterr().out
    assert _tags(user) == [("Even", 4)] and _tags(counted) == [("Classic", 1)]
    with pytest.raises(CommandError):
        call_command("rebuild_counters", "--user", "nobody-here")
