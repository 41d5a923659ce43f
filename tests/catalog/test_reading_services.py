"""Every reading of a book, and the progress of the current one, on both backends.

Status and dates are derived from the latest reading by every write path (the
record form, one-tap, bulk status, adding with a status); readings are read
again, edited, merged and deleted through the services; records stored before
readings existed read as if migrated, and ``manage.py store_readings`` writes
them down.
"""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from booklibrary import dynamodb
from catalog import services
from catalog.backends import orm
from catalog.backends.dynamodb import items as codec
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, isbn13_for

D1, D2, D3 = date(2024, 1, 5), date(2024, 2, 10), date(2024, 6, 1)


def _stored(user, key) -> UserBook:
    return UserBook.objects.get_for_user(user, key)


def _outcomes(record) -> list[tuple]:
    return [
        (r["outcome"], r["started_on"], r["finished_on"])
        for r in record.reading_history
    ]


def _update(user, record, **changes) -> UserBook:
    current = _stored(user, record.book_id)
    return services.userbook_update(
        user=user, book_key=record.book_id, version=current.version, changes=changes
    )


@pytest.fixture
def record(user, both_modes) -> UserBook:
    return services.userbook_add(user=user, isbn=isbn13_for(9100))


# Write paths map onto readings ---------------------------------------------------


def test_adding_with_a_status_starts_with_the_reading_it_implies(user, both_modes):
    today = timezone.localdate().isoformat()
    cases = {"want": [], "reading": [("reading", today, None)]}
    cases["read"] = [("finished", None, today)]
    cases["dnf"] = [("dnf", None, today)]
    for n, (status, expected) in enumerate(cases.items()):
        added = services.userbook_add(
            user=user, isbn=isbn13_for(9200 + n), status=status
        )
        stored = _stored(user, added.book_id)
        assert _outcomes(stored) == expected
        assert stored.readings == [dict(r, id=1) for r in stored.reading_history]


def test_reading_then_read_finishes_the_same_reading(user, record):
    _update(user, record, status="reading", started_on=D1)
    saved = _update(user, record, status="read", finished_on=D2)
    assert _outcomes(saved) == [("finished", "2024-01-05", "2024-02-10")]
    assert (saved.status, saved.started_on, saved.finished_on) == ("read", D1, D2)
    assert UserBook.objects.status_counts(user)["read"] == 1


def test_want_to_read_with_no_dates_becomes_read_finished_today(user, record):
    saved = _update(user, record, status="read")
    assert _outcomes(saved) == [("finished", None, timezone.localdate().isoformat())]


def test_editing_the_dates_in_the_form_edits_the_latest_reading(user, record):
    _update(user, record, status="read", started_on=D1, finished_on=D2)
    services.userbook_read_again(user=user, book_key=record.book_id)
    _update(user, record, status="read", started_on=D2, finished_on=D3)
    saved = _update(user, record, started_on=date(2024, 3, 1))
    assert _outcomes(saved) == [
        ("finished", "2024-01-05", "2024-02-10"),
        ("finished", "2024-03-01", "2024-06-01"),
    ]


def test_back_to_want_to_read_keeps_every_past_reading(user, record):
    _update(user, record, status="read", started_on=D1, finished_on=D2)
    saved = _update(user, record, status="want")
    assert saved.status == "want"
    assert _outcomes(saved) == [("finished", "2024-01-05", "2024-02-10")]
    # The dates shown stay the latest reading's.
    assert (saved.started_on, saved.finished_on) == (D1, D2)
    assert UserBook.objects.status_counts(user)["want"] == 1


def test_want_over_a_reading_going_keeps_it_as_not_finished(user, record):
    _update(user, record, status="reading", started_on=D1)
    saved = _update(user, record, status="want")
    assert saved.status == "want"
    assert _outcomes(saved) == [("dnf", "2024-01-05", None)]


def test_want_right_after_a_tap_on_reading_drops_that_empty_reading(user, record):
    _update(user, record, status="reading")
    saved = _update(user, record, status="want")
    assert (saved.status, saved.reading_history) == ("want", [])


def test_want_with_a_date_typed_over_a_tap_keeps_it_on_that_reading(user, record):
    # An older reading finished long ago never takes the date typed for the
    # reading a tap started (it was refused: "finish date before start date").
    _update(user, record, status="dnf", finished_on=D1)
    _update(user, record, status="reading", started_on=None)
    saved = _update(user, record, status="want", started_on=D3)
    assert saved.status == "want"
    assert _outcomes(saved) == [
        ("dnf", None, "2024-01-05"),
        ("dnf", "2024-06-01", None),
    ]


def test_one_tap_and_bulk_status_follow_the_same_rules(user, record):
    current = _stored(user, record.book_id)
    services.userbook_quick_set(
        user=user,
        book_key=record.book_id,
        loaded=services.quick_unsign(
            services.quick_sign(current), user_id=user.pk, book_key=record.book_id
        ),
        changes={"status": "reading"},
    )
    result = services.userbooks_set_status(
        user=user, book_keys=[record.book_id], status="dnf"
    )
    [saved] = result.changed
    today = timezone.localdate().isoformat()
    assert _outcomes(saved) == [("dnf", today, today)]
    assert UserBook.objects.status_counts(user)["dnf"] == 1


# Read it again --------------------------------------------------------------------


def test_read_it_again_starts_a_new_reading_today_and_keeps_the_first(user, record):
    _update(user, record, status="read", started_on=D1, finished_on=D2)
    saved = services.userbook_read_again(user=user, book_key=record.book_id)
    today = timezone.localdate()
    assert (saved.status, saved.started_on, saved.finished_on) == (
        "reading",
        today,
        None,
    )
    assert _outcomes(saved) == [
        ("finished", "2024-01-05", "2024-02-10"),
        ("reading", today.isoformat(), None),
    ]
    assert [r["id"] for r in saved.reading_history] == [1, 2]
    assert UserBook.objects.status_counts(user)["reading"] == 1
    # Twice (a second tab) starts no third reading.
    again = services.userbook_read_again(user=user, book_key=record.book_id)
    assert (again.version, len(again.reading_history)) == (saved.version, 2)


def test_a_record_holds_at_most_so_many_readings(user, record, monkeypatch):
    from catalog import readings

    monkeypatch.setattr(readings, "MAX_READINGS", 2)
    _update(user, record, status="read")
    services.userbook_read_again(user=user, book_key=record.book_id)
    _update(user, record, status="read")
    with pytest.raises(ValidationError) as exc:
        services.userbook_read_again(user=user, book_key=record.book_id)
    assert "at most 2 readings" in str(exc.value)
    assert len(_stored(user, record.book_id).reading_history) == 2


# Editing and deleting a reading -----------------------------------------------------


def _two_readings(user, record) -> UserBook:
    _update(user, record, status="read", started_on=D1, finished_on=D2)
    services.userbook_read_again(user=user, book_key=record.book_id)
    return _stored(user, record.book_id)


def _edit(user, record, reading_id, loaded, **changes) -> UserBook:
    return services.userbook_reading_update(
        user=user,
        book_key=record.book_id,
        reading_id=reading_id,
        loaded=loaded,
        changes={**loaded, **changes},
    )


def _loaded(record, reading_id) -> dict:
    from catalog import readings

    return readings.editable(readings.find(record.reading_history, reading_id))


def test_a_past_reading_is_edited_and_the_status_follows_the_latest(user, record):
    shown = _two_readings(user, record)
    saved = _edit(user, record, 1, _loaded(shown, 1), outcome="dnf", finished_on=D3)
    assert _outcomes(saved)[0] == ("dnf", "2024-01-05", "2024-06-01")
    assert saved.status == "reading"
    saved = _edit(user, record, 2, _loaded(saved, 2), outcome="finished")
    assert (saved.status, saved.finished_on) == ("read", None)


def test_a_stale_reading_edit_merges_a_different_field(user, record):
    shown = _two_readings(user, record)
    loaded = _loaded(shown, 1)
    _edit(user, record, 1, loaded, finished_on=D3)  # another tab
    saved = _edit(user, record, 1, loaded, started_on=D2)
    assert _outcomes(saved)[0] == ("finished", "2024-02-10", "2024-06-01")


def test_a_stale_reading_edit_of_the_same_field_is_refused(user, record):
    shown = _two_readings(user, record)
    loaded = _loaded(shown, 1)
    _edit(user, record, 1, loaded, finished_on=D3)  # another tab
    with pytest.raises(services.ReadingConflict) as exc:
        _edit(user, record, 1, loaded, finished_on=date(2024, 3, 3))
    assert exc.value.conflicts == {"finished_on": (D3, date(2024, 3, 3))}
    assert _outcomes(_stored(user, record.book_id))[0][2] == "2024-06-01"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"finished_on": date(2023, 1, 1)}, "finished_on"),
        ({"started_on": date(1850, 1, 1)}, "started_on"),
        ({"outcome": "lost"}, "outcome"),
        ({"outcome": "reading"}, "outcome"),  # only the latest may be going
    ],
)
def test_a_bad_reading_edit_is_refused_by_field(user, record, changes, field):
    shown = _two_readings(user, record)
    with pytest.raises(ValidationError) as exc:
        _edit(user, record, 1, _loaded(shown, 1), **changes)
    assert list(exc.value.message_dict) == [field]
    assert _stored(user, record.book_id).version == shown.version


def test_editing_a_reading_deleted_elsewhere_says_so(user, record):
    shown = _two_readings(user, record)
    loaded = _loaded(shown, 1)
    services.userbook_reading_delete(
        user=user, book_key=record.book_id, reading_id=1, loaded=loaded
    )
    with pytest.raises(services.ReadingGone):
        _edit(user, record, 1, loaded, finished_on=D3)


def test_deleting_the_latest_reading_derives_from_the_one_before(user, record):
    shown = _two_readings(user, record)
    saved = services.userbook_reading_delete(
        user=user, book_key=record.book_id, reading_id=2, loaded=_loaded(shown, 2)
    )
    assert (saved.status, saved.started_on, saved.finished_on) == ("read", D1, D2)
    assert UserBook.objects.status_counts(user)["read"] == 1
    saved = services.userbook_reading_delete(
        user=user, book_key=record.book_id, reading_id=1, loaded=_loaded(saved, 1)
    )
    assert (saved.status, saved.reading_history, saved.started_on) == ("want", [], None)


def test_deleting_a_reading_changed_elsewhere_is_refused(user, record):
    shown = _two_readings(user, record)
    loaded = _loaded(shown, 1)
    _edit(user, record, 1, loaded, finished_on=D3)
    with pytest.raises(services.ReadingConflict):
        services.userbook_reading_delete(
            user=user, book_key=record.book_id, reading_id=1, loaded=loaded
        )
    assert len(_stored(user, record.book_id).reading_history) == 2


# Progress ---------------------------------------------------------------------------


def test_progress_is_a_page_or_a_percent_set_in_one_step(user, both_modes):
    book = BookFactory(pages=412)
    record = UserBookFactory(user=user, book=book, status="reading")
    saved = services.userbook_set_progress(
        user=user, book_key=book.pk, progress="p. 120"
    )
    assert saved.progress.text == "p. 120 of 412"
    assert saved.progress.percent == 29
    saved = services.userbook_set_progress(user=user, book_key=book.pk, progress="45%")
    assert (saved.progress.text, saved.progress.percent) == ("45%", 45)
    latest = saved.reading_history[-1]
    assert (latest["progress_page"], latest["progress_percent"]) == (None, 45)
    saved = services.userbook_set_progress(user=user, book_key=book.pk, progress="")
    assert saved.progress is None
    assert record.book_id == book.pk


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("413", "This book has 412 pages"),
        ("101%", "from 0 to 100"),
        ("half", "a page number (like 120) or a percent"),
        ("-3", "a page number (like 120) or a percent"),
    ],
)
def test_bad_progress_is_refused(user, both_modes, typed, message):
    book = BookFactory(pages=412)
    UserBookFactory(user=user, book=book, status="reading")
    with pytest.raises(ValidationError) as exc:
        services.userbook_set_progress(user=user, book_key=book.pk, progress=typed)
    assert message in exc.value.message_dict["progress"][0]
    assert _stored(user, book.pk).progress is None


def test_progress_needs_a_reading_going(user, record):
    with pytest.raises(ValidationError) as exc:
        services.userbook_set_progress(
            user=user, book_key=record.book_id, progress="12"
        )
    assert "not being read now" in exc.value.message_dict["progress"][0]


def test_progress_for_a_reading_that_ended_elsewhere_is_refused(user, record):
    _update(user, record, status="reading")
    reading_id = _stored(user, record.book_id).current_reading["id"]
    _update(user, record, status="read")
    services.userbook_read_again(user=user, book_key=record.book_id)
    with pytest.raises(ValidationError):
        services.userbook_set_progress(
            user=user, book_key=record.book_id, progress="12", reading_id=reading_id
        )


# Records stored before readings -----------------------------------------------------


def _strip_readings(record: UserBook, mode: str) -> None:
    """Store the record as it was before readings existed."""
    if mode == "orm":
        UserBook._base_manager.filter(pk=record.pk).update(readings=[])
        return
    dynamodb.client().update_item(
        TableName=dynamodb.table_name(dynamodb.USERBOOKS),
        Key=codec.userbook_key(record.user_id, record.book_id),
        UpdateExpression="REMOVE readings",
    )


def _old_library(user, mode) -> list[UserBook]:
    made = [
        UserBookFactory(user=user, status="read", started_on=D1, finished_on=D2),
        UserBookFactory(user=user, status="reading", started_on=D3),
        UserBookFactory(user=user, status="want"),
    ]
    for record in made:
        _strip_readings(record, mode)
    return made


def test_a_record_stored_before_readings_reads_as_if_migrated(user, both_modes):
    read, reading, want = _old_library(user, both_modes)
    stored = _stored(user, read.book_id)
    assert stored.readings == []
    assert _outcomes(stored) == [("finished", "2024-01-05", "2024-02-10")]
    assert stored.times_read == 1
    saved = services.userbook_read_again(user=user, book_key=read.book_id)
    assert len(saved.readings) == 2  # written down with the change
    assert _outcomes(_stored(user, want.book_id)) == []
    assert _stored(user, reading.book_id).current_reading["started_on"] == "2024-06-01"


def _store(*args) -> str:
    out = StringIO()
    call_command("store_readings", *args, stdout=out)
    return out.getvalue()


def test_store_readings_writes_them_once_and_changes_nothing_shown(user, both_modes):
    made = _old_library(user, both_modes)
    before = {r.book_id: _stored(user, r.book_id) for r in made}
    assert "3 records read, 2 to write, 1 already" in _store("--dry-run")
    assert all(_stored(user, r.book_id).readings == [] for r in made)
    output = _store("--batch", "2")
    assert "  2 read," in output
    assert "3 records read, 2 written, 1 already had their readings." in output
    for key, was in before.items():
        now = _stored(user, key)
        assert now.readings == was.reading_history
        assert (now.status, now.version) == (was.status, was.version)
    assert "3 records read, 0 written, 3 already" in _store()


def test_store_readings_leaves_a_record_an_edit_moved_meanwhile(
    user, both_modes, monkeypatch
):
    from catalog import readings
    from catalog.backends.dynamodb import admin_listing

    [read, *_] = _old_library(user, both_modes)
    edited = []
    real = readings.stored_as_derived

    def edit_once(record):
        answer = real(record)
        if record.book_id == read.book_id and not edited:
            edited.append(record.book_id)
            _update(user, read, notes="Typed meanwhile")
            _strip_readings(read, both_modes)
        return answer

    module = orm if both_modes == "orm" else admin_listing
    monkeypatch.setattr(module.readings, "stored_as_derived", edit_once)
    output = _store()
    assert edited == [read.book_id]
    assert "2 records read" not in output and "1 written" in output
    stored = _stored(user, read.book_id)
    assert (stored.notes, stored.readings) == ("Typed meanwhile", [])


@pytest.mark.django_db(transaction=True)
def test_the_data_migration_builds_readings_from_status_and_dates(user):
    made = [
        UserBookFactory(user=user, status="read", started_on=D1, finished_on=D2),
        UserBookFactory(user=user, status="dnf", finished_on=D2),
        UserBookFactory(user=user, status="want", started_on=D1),
        UserBookFactory(user=user, status="want"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate([("catalog", "0009_userbook_location_key")])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    stored = [UserBook._base_manager.get(pk=r.pk) for r in made]
    assert [r.readings for r in stored] == [
        [_reading("finished", "2024-01-05", "2024-02-10")],
        [_reading("dnf", None, "2024-02-10")],
        [_reading("dnf", "2024-01-05", None)],
        [],
    ]
    assert [r.status for r in stored] == ["read", "dnf", "want", "want"]


def _reading(outcome, started, finished) -> dict:
    return {
        "id": 1,
        "started_on": started,
        "finished_on": finished,
        "outcome": outcome,
        "progress_page": None,
        "progress_percent": None,
    }


def test_a_date_typed_on_a_book_to_read_keeps_it_to_read(user, record):
    saved = _update(user, record, finished_on=D2 - timedelta(days=1))
    assert saved.status == "want"
    assert _outcomes(saved) == [("finished", None, "2024-02-09")]


def test_undoing_a_removal_brings_every_reading_back(user, record):
    _update(user, record, status="read", started_on=D1, finished_on=D2)
    services.userbook_read_again(user=user, book_key=record.book_id)
    services.userbook_set_progress(user=user, book_key=record.book_id, progress="9")
    before = _stored(user, record.book_id).readings
    receipt = services.userbook_remove(user=user, book_key=record.book_id)
    services.removal_undo(user=user, token=receipt.token)
    restored = _stored(user, record.book_id)
    assert restored.readings == before and len(before) == 2
    assert restored.progress.text == "p. 9"


def test_progress_counts_the_pages_the_reader_corrected(user, both_modes):
    book = BookFactory(pages=412)
    UserBookFactory(user=user, book=book, status="reading", corrections={"pages": 300})
    saved = services.userbook_set_progress(user=user, book_key=book.pk, progress="150")
    assert (saved.progress.text, saved.progress.percent) == ("p. 150 of 300", 50)
    with pytest.raises(ValidationError):
        services.userbook_set_progress(user=user, book_key=book.pk, progress="301")
