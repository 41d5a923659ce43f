"""manage.py migrate_to_dynamo: batched, idempotent, resumable, checked for parity."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from accounts.models import User
from booklibrary import dynamodb
from catalog import dynamo_copy
from catalog.models import UserBook
from tests.aws import DYNAMO_MODE
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "my old local passphrase"


@pytest.fixture
def local_library():
    readers = [UserFactory(password=PASSWORD) for _ in range(3)]
    statuses = ["want", "reading", "read", "dnf"]
    for n in range(40):
        UserBookFactory(
            user=readers[n % 3],
            book=BookFactory(title=f"Title {n}", authors=[f"Author {n % 7}"]),
            status=statuses[n % 4],
            rating=Decimal(n % 10 + 1) / 2 if n % 3 else None,
            notes=f"note {n}",
            corrections={"title": f"Mine {n}", "pages": n + 1} if n % 5 == 0 else {},
            provisional={"title": f"Searched {n}"} if n % 7 == 0 else {},
        )
    return readers


def _run(*args) -> str:
    out = StringIO()
    call_command("migrate_to_dynamo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_dry_run_writes_nothing(aws_tables, local_library):
    output = _run("--dry-run")
    assert "users: would write 3" in output and "user books: would write 40" in output
    table = dynamodb.table_name(dynamodb.BOOKS)
    assert aws_tables.scan(TableName=table, Select="COUNT")["Count"] == 0


def test_copy_then_parity_then_a_second_run_changes_nothing(aws_tables, local_library):
    output = _run()
    assert "books: wrote 40" in output and "Parity check passed" in output
    assert "[##############################] 40/40" in output
    again = _run()
    assert "Nothing to do" in again and "user books: wrote 0, unchanged 40" in again


def test_migrated_users_log_in_with_their_old_password_on_aws(
    aws_tables, local_library, settings
):
    _run()
    local_counts = UserBook.objects.status_counts(local_library[0])
    local_page = UserBook.objects.page_for_user(
        local_library[0], sort="title", limit=50
    )
    for name, value in DYNAMO_MODE.items():
        setattr(settings, name, value)
    reader = local_library[0]
    user = authenticate(username=reader.username.upper(), password=PASSWORD)
    assert user is not None and user.pk == reader.pk
    assert UserBook.objects.status_counts(user) == local_counts
    page = UserBook.objects.page_for_user(user, sort="title", limit=50)
    assert len(page.items) == local_counts["all"]
    # The reader's own corrections came along, and the lists still sort by them.
    assert [(r.book_id, r.corrections, r.provisional) for r in page.items] == [
        (r.book_id, r.corrections, r.provisional) for r in local_page.items
    ]
    assert any(r.shown.title.startswith("Mine") for r in page.items)
    # New accounts on AWS get ids above the migrated ones.
    newcomer = User.objects.create_user("newcomer", "new@example.com", "pw pw pw pw")
    assert newcomer.pk > max(r.pk for r in local_library)


def test_an_interrupted_copy_is_finished_by_the_next_run(
    aws_tables, local_library, monkeypatch
):
    calls = {"n": 0}
    real = dynamo_copy.batch_put

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("network dropped")
        return real(*args, **kwargs)

    monkeypatch.setattr(dynamo_copy, "batch_put", flaky)
    with pytest.raises(ConnectionError):
        _run()
    monkeypatch.setattr(dynamo_copy, "batch_put", real)
    output = _run()
    assert "Parity check passed" in output
    assert "users: wrote 0" in output  # the first batch had landed already


def test_parity_reports_what_differs_and_the_command_fails(
    aws_tables, local_library, monkeypatch
):
    _run()
    reader = local_library[1]
    table = dynamodb.table_name(dynamodb.USERBOOKS)
    record = UserBook.objects.page_for_user(reader).items[0]
    aws_tables.delete_item(
        TableName=table,
        Key={"user_id": {"N": str(reader.pk)}, "book_key": {"S": record.book_id}},
    )
    report = dynamo_copy.check_parity()
    assert not report.ok
    assert report.counts["user books"] == (40, 39)
    assert any("missing" in line for line in report.mismatches)
    monkeypatch.setattr(
        dynamo_copy, "copy_library", lambda **kw: dynamo_copy.CopyReport()
    )
    with pytest.raises(CommandError, match="Parity check failed"):
        _run()


def test_parity_sees_a_readers_corrections(aws_tables, local_library):
    _run()
    record = next(r for r in UserBook.objects.all() if r.corrections)
    UserBook.objects.filter(pk=record.pk).update(corrections={"title": "Changed"})
    report = dynamo_copy.check_parity()
    assert report.mismatches == [
        f"user books {record.user_id}/{record.book_id}: differs"
    ]
    assert "user books: wrote 1, unchanged 39" in _run()


def test_copied_accounts_are_claimed_by_their_folded_names(aws_tables, settings):
    elise = UserFactory(username="Élise", email="elise@exämple.com", password=PASSWORD)
    _run()
    table = dynamodb.table_name(dynamodb.USERS)
    for key in ("USERNAME#élise", "EMAIL#elise@exämple.com"):
        item = aws_tables.get_item(TableName=table, Key={"pk": {"S": key}})["Item"]
        assert item["user_id"] == {"N": str(elise.pk)}
    for name, value in DYNAMO_MODE.items():
        setattr(settings, name, value)
    assert authenticate(username="ÉLISE", password=PASSWORD).pk == elise.pk
    with pytest.raises(IntegrityError):
        User.objects.create_user("élise", "other@example.com", PASSWORD)


def test_loans_are_copied_open_and_returned_and_read_back_on_aws(
    aws_tables, local_library, settings
):
    from datetime import date

    from catalog.models import Loan

    reader = local_library[0]
    records = UserBook.objects.filter(user=reader, owned=True).order_by("pk")[:2]
    out, back = records
    Loan.objects.create(
        user=reader,
        book_key=back.book_id,
        person="Ann",
        lent_on=date(2026, 1, 2),
        returned_on=date(2026, 1, 20),
    )
    Loan.objects.create(
        user=reader,
        book_key=out.book_id,
        person="Bob",
        email="bob@example.com",
        remind_person=True,
        lent_on=date(2026, 2, 1),
        due_on=date(2026, 3, 1),
        note="Signed copy",
    )
    output = _run()
    assert "loans: wrote 2" in output and "Parity check passed" in output
    assert "loans: wrote 0, unchanged 2" in _run()

    Loan.objects.filter(person="Bob").update(note="Changed")
    report = dynamo_copy.check_parity()
    assert len(report.mismatches) == 1 and report.mismatches[0].startswith("loans ")
    Loan.objects.filter(person="Bob").update(note="Signed copy")

    for name, value in DYNAMO_MODE.items():
        setattr(settings, name, value)
    user = User.objects.get(pk=reader.pk)
    opened = Loan.objects.open_for(user, out.book_id)
    assert (opened.person, opened.due_on, opened.remind_person) == (
        "Bob",
        date(2026, 3, 1),
        True,
    )
    assert [x.person for x in Loan.objects.open_by_due(user, "lent", 5)] == ["Bob"]
    history = Loan.objects.for_book(user, back.book_id)
    assert [(x.person, x.returned_on) for x in history] == [("Ann", date(2026, 1, 20))]


def test_tags_are_copied_filtered_on_aws_and_checked_for_parity(
    aws_tables, settings, local_library
):
    reader = local_library[0]
    tagged = [r for r in UserBook.objects.all() if r.user_id == reader.pk][:3]
    for record in tagged:
        UserBook.objects.filter(pk=record.pk).update(
            tags=["Été", "to lend"], tag_keys="|été|to lend|"
        )
    assert "Parity check passed" in _run()
    settings.CATALOG_BACKEND = DYNAMO_MODE["CATALOG_BACKEND"]
    page = UserBook.objects.page_for_user(reader, tags=["ÉTÉ"], limit=50)
    assert sorted(r.book_id for r in page.items) == sorted(r.book_id for r in tagged)
    assert page.items[0].tags == ["Été", "to lend"]
    assert UserBook.objects.tag_counts(reader).tags == [
        ("to lend", "to lend", 3),
        ("Été", "été", 3),
    ]
    UserBook._base_manager.filter(pk=tagged[0].pk).update(tags=["Été"])
    report = dynamo_copy.check_parity()
    # The reader's tag counters no longer match their records either.
    assert report.mismatches == [
        f"users TALLY#{reader.pk}: differs",
        f"user books {reader.pk}/{tagged[0].book_id}: differs",
    ]


def test_location_keys_are_copied_filtered_on_aws_and_checked_for_parity(
    aws_tables, settings, local_library
):
    reader = local_library[0]
    placed = [r for r in UserBook.objects.all() if r.user_id == reader.pk][:2]
    for record in placed:
        UserBook.objects.filter(pk=record.pk).update(
            location="Hall Shelf", location_key="hall shelf"
        )
    assert "Parity check passed" in _run()
    settings.CATALOG_BACKEND = DYNAMO_MODE["CATALOG_BACKEND"]
    page = UserBook.objects.page_for_user(reader, location="HALL shelf", limit=50)
    assert sorted(r.book_id for r in page.items) == sorted(r.book_id for r in placed)
    counts = UserBook.objects.location_counts(reader).locations
    assert ("Hall Shelf", "hall shelf", 2) in counts
    UserBook._base_manager.filter(pk=placed[0].pk).update(location_key="hall")
    report = dynamo_copy.check_parity()
    assert report.mismatches == [f"user books {reader.pk}/{placed[0].book_id}: differs"]


def test_series_are_copied_ordered_on_aws_and_checked_for_parity(
    aws_tables, settings, local_library
):
    from catalog.models import Book

    reader = local_library[0]
    records = [r for r in UserBook.objects.all() if r.user_id == reader.pk][:3]
    for position, record in zip(("10", "2", "1-3"), records, strict=True):
        book = Book.objects.get(pk=record.book_id)
        book.series = [{"name": "Dune Chronicles", "position": position}]
        Book.objects.save_book(book)
    mine = records[2]
    UserBook.objects.filter(pk=mine.pk).update(
        corrections={"series": [{"name": "Mine", "position": "1"}]}
    )
    assert "Parity check passed" in _run()
    settings.CATALOG_BACKEND = DYNAMO_MODE["CATALOG_BACKEND"]
    copied = Book.objects.get_by_key(records[0].book_id)
    assert copied.series == [{"name": "Dune Chronicles", "position": "10"}]
    page = UserBook.objects.page_for_user(
        reader, series="dune chronicles", sort="series", limit=50
    )
    assert [r.book_id for r in page.items] == [records[1].book_id, records[0].book_id]
    assert UserBook.objects.series_counts(reader).series == [
        ("Dune Chronicles", "dune chronicles", 2),
        ("Mine", "mine", 1),
    ]
    # A book's series changed behind the copy's back: the book and the keys
    # its record would carry both differ.
    Book._base_manager.filter(pk=records[0].book_id).update(series=[])
    report = dynamo_copy.check_parity()
    assert report.mismatches == [
        f"books {records[0].book_id}: differs",
        f"user books {reader.pk}/{records[0].book_id}: differs",
    ]


def test_readings_are_copied_and_checked_for_parity(
    aws_tables, settings, local_library
):
    from catalog import services

    reader = local_library[0]
    reread = next(
        r
        for r in UserBook.objects.all()
        if r.user_id == reader.pk and r.status == "read"
    )
    services.userbook_read_again(user=reader, book_key=reread.book_id)
    services.userbook_set_progress(user=reader, book_key=reread.book_id, progress="30%")
    # A row kept before readings (none stored) is copied with the ones it stands for.
    legacy = next(
        r
        for r in UserBook.objects.all()
        if r.user_id == reader.pk and r.status == "dnf"
    )
    UserBook._base_manager.filter(pk=legacy.pk).update(readings=[])
    local = UserBook.objects.get_for_user(reader, reread.book_id)
    legacy_history = UserBook.objects.get_for_user(
        reader, legacy.book_id
    ).reading_history
    assert "Parity check passed" in _run()
    settings.CATALOG_BACKEND = DYNAMO_MODE["CATALOG_BACKEND"]
    copied = UserBook.objects.get_for_user(reader, reread.book_id)
    assert copied.readings == local.readings and len(copied.readings) == 2
    assert (copied.status, copied.progress.text) == ("reading", "30%")
    assert UserBook.objects.get_for_user(reader, legacy.book_id).readings == (
        legacy_history
    )
    UserBook._base_manager.filter(pk=reread.pk).update(readings=local.readings[:1])
    report = dynamo_copy.check_parity()
    assert report.mismatches == [f"user books {reader.pk}/{reread.book_id}: differs"]
