"""Records stored before the search learned ISBN-10s and punctuation get new keys.

The library page finds the issue's three examples in both modes; records whose
``search_text`` is in the older format are rewritten by the data migration
(ORM), by ``manage.py refresh_search_keys`` (both backends) and by
``migrate_to_dynamo`` on its way into the tables.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from booklibrary import dynamodb
from catalog.backends import orm
from catalog.backends.base import fold, record_listing_fields
from catalog.backends.dynamodb import items as codec
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory

DUNE = "9780441172719"
HITCHHIKER = "9780345391803"
ISSUE_EXAMPLES = {
    "0441172717": "Dune",
    "978-0-441-17271-9": "Dune",
    "hitchhikers": "The Hitchhiker\u2019s Guide to the Galaxy",
}
# What only the current stored format finds (queries are read anew either way).
NEW_FORMAT_ONLY = {
    "hitchhikers": "The Hitchhiker\u2019s Guide to the Galaxy",
    "41172717": "Dune",  # the end of the ISBN-10
    "dauto-stop": "Le Guide du voyageur galactique d\u2019auto-stop",
}
BEFORE = ("catalog", "0004_userbook_corrections")
AFTER = ("catalog", "0005_userbook_search_keys")


def _library(user) -> list[UserBook]:
    return [
        UserBookFactory(
            user=user,
            book=BookFactory(key=DUNE, isbn13=DUNE, title="Dune", authors=["Herbert"]),
        ),
        UserBookFactory(
            user=user,
            book=BookFactory(
                key=HITCHHIKER,
                isbn13=HITCHHIKER,
                title="The Hitchhiker\u2019s Guide to the Galaxy",
                authors=["Douglas Adams"],
            ),
        ),
        UserBookFactory(
            user=user,
            book=BookFactory(title="Le Guide", authors=["Douglas Adams"]),
            corrections={"title": "Le Guide du voyageur galactique d\u2019auto-stop"},
        ),
    ]


def _old_search_text(record: UserBook) -> str:
    """The search text as the earlier format made it."""
    shown = record.shown
    searchable = [shown.isbn13, shown.title, *(shown.authors or []), shown.subtitle]
    return fold(" ".join(s for s in searchable if s))[:2_000]


def _store_old_format(records: list[UserBook], mode: str) -> None:
    for record in records:
        old = _old_search_text(record)
        if mode == "orm":
            UserBook._base_manager.filter(pk=record.pk).update(search_text=old)
            continue
        dynamodb.client().update_item(
            TableName=dynamodb.table_name(dynamodb.USERBOOKS),
            Key=codec.userbook_key(record.user_id, record.book_id),
            UpdateExpression="SET search_text = :old",
            ExpressionAttributeValues={":old": {"S": old}},
        )


def _titles(user, query: str) -> list[str]:
    page = UserBook.objects.page_for_user(user, query=query)
    return [r.shown.title for r in page.items]


def _refresh(*args) -> str:
    out = StringIO()
    call_command("refresh_search_keys", *args, stdout=out)
    return out.getvalue()


@pytest.mark.usefixtures("both_modes")
def test_the_library_page_finds_the_issues_examples(user_client, user):
    titles = [record.shown.title for record in _library(user)]
    for query, title in ISSUE_EXAMPLES.items():
        response = user_client.get(reverse("catalog:book-list"), {"q": query})
        assert response.status_code == 200
        body = response.content.decode()
        assert [t for t in titles if t in body] == [title], query


def test_refresh_search_keys_rewrites_the_older_format_once(user, both_modes):
    records = _library(user)
    _store_old_format(records, both_modes)
    assert all(_titles(user, query) == [] for query in NEW_FORMAT_ONLY)

    dry = _refresh("--dry-run")
    assert "3 records read, 3 to rewrite, 0 already up to date." in dry
    assert all(_titles(user, query) == [] for query in NEW_FORMAT_ONLY)

    output = _refresh("--batch", "2")
    assert "  2 read, 2 rewritten" in output and "  3 read, 3 rewritten" in output
    assert "3 records read, 3 rewritten, 0 already up to date." in output
    for query, title in {**ISSUE_EXAMPLES, **NEW_FORMAT_ONLY}.items():
        assert _titles(user, query) == [title], query
    for record in UserBook.objects.page_for_user(user).items:
        expected = record_listing_fields(record)
        assert {name: getattr(record, name) for name in expected} == expected

    again = _refresh()
    assert "3 records read, 0 rewritten, 3 already up to date." in again


def test_refresh_search_keys_leaves_a_record_an_edit_moved_meanwhile(
    user, both_modes, monkeypatch
):
    dune = _library(user)[0]
    _store_old_format([dune], both_modes)
    edited = []

    def edit_once(key: str) -> None:
        """The reader saves a correction after the step read the record."""
        if key == DUNE and not edited:
            edited.append(key)
            version = UserBook.objects.get_for_user(user, DUNE).version
            changes = {"corrections": {"title": "Dune Messiah"}}
            UserBook.objects.update_for_user(
                user, DUNE, version=version, changes=changes
            )

    if both_modes == "orm":
        real = orm.record_listing_fields

        def reading(record):
            edit_once(record.book_id)
            return real(record)

        monkeypatch.setattr(orm, "record_listing_fields", reading)
    else:
        real_attributes = codec.listing_attributes

        def reading(book, corrections=None, provisional=None):
            edit_once(book.pk)
            return real_attributes(book, corrections, provisional)

        monkeypatch.setattr(codec, "listing_attributes", reading)
    output = _refresh()
    assert edited == [DUNE]
    assert "3 records read, 0 rewritten, 3 already up to date." in output
    assert _titles(user, "messiah") == ["Dune Messiah"]
    stored = UserBook.objects.get_for_user(user, DUNE)
    assert stored.search_text == record_listing_fields(stored)["search_text"]


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_rewrites_the_older_format(user):
    records = _library(user)
    _store_old_format(records, "orm")
    assert all(_titles(user, query) == [] for query in NEW_FORMAT_ONLY)
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    executor.loader.build_graph()
    executor.migrate([AFTER])
    # Then on to the latest schema, which the models read.
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    for query, title in {**ISSUE_EXAMPLES, **NEW_FORMAT_ONLY}.items():
        assert _titles(user, query) == [title], query
    for record in UserBook.objects.page_for_user(user).items:
        assert record.search_text == record_listing_fields(record)["search_text"]


@pytest.mark.django_db
def test_migrate_to_dynamo_copies_the_keys_in_the_current_format(
    user, aws_tables, settings
):
    records = _library(user)
    _store_old_format(records, "orm")
    out = StringIO()
    call_command("migrate_to_dynamo", stdout=out, stderr=StringIO())
    assert "Parity check passed" in out.getvalue()
    settings.CATALOG_BACKEND = "catalog.backends.dynamodb.DynamoCatalogBackend"
    for query, title in {**ISSUE_EXAMPLES, **NEW_FORMAT_ONLY}.items():
        assert _titles(user, query) == [title], query
    stored = aws_tables.get_item(
        TableName=dynamodb.table_name(dynamodb.USERBOOKS),
        Key=codec.userbook_key(user.pk, DUNE),
    )["Item"]["search_text"]["S"]
    assert stored.startswith(f"{DUNE} 0441172717 dune")
