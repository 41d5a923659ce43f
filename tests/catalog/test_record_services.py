"""userbook_update checks every field and merges stale edits, on both backends."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import records, services
from catalog.backends import get_backend
from catalog.backends.base import StaleEdit
from catalog.models import UserBook
from tests.factories import UserBookFactory

pytestmark = pytest.mark.usefixtures("both_modes")


@pytest.fixture
def record(user) -> UserBook:
    return UserBookFactory(user=user, notes="First thoughts", location="Study")


def _update(user, record, version=1, loaded=None, **changes) -> UserBook:
    return services.userbook_update(
        user=user,
        book_key=record.book_id,
        version=version,
        changes=changes,
        loaded=loaded,
    )


def _stored(user, record) -> UserBook:
    return UserBook.objects.get_for_user(user, record.book_id)


def _refusal(user, record, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        _update(user, record, **changes)
    assert _stored(user, record).version == 1  # nothing written
    return exc.value.message_dict


# Limits and rules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"status": "lost"}, "status", "Choose a reading status: Want to read"),
        ({"rating": Decimal("4.25")}, "rating", "0.5 to 5 stars, in half stars"),
        ({"rating": Decimal("5.5")}, "rating", "0.5 to 5 stars"),
        ({"rating": Decimal(0)}, "rating", "0.5 to 5 stars"),
        ({"rating": "NaN"}, "rating", "0.5 to 5 stars"),
        ({"rating": "4.96"}, "rating", "0.5 to 5 stars"),
        ({"rating": "10E999999"}, "rating", "0.5 to 5 stars"),
        ({"notes": "x" * 50_001}, "notes", "at most 50,000 characters; this is 50,001"),
        ({"notes": "a\x00b"}, "notes", "null characters"),
        ({"location": "y" * 201}, "location", "at most 200 characters"),
        ({"started_on": date(1899, 12, 31)}, "started_on", "year from 1900"),
        ({"finished_on": date(9999, 1, 1)}, "finished_on", "year from 1900"),
        (
            {"started_on": date(2024, 5, 2), "finished_on": date(2024, 5, 1)},
            "finished_on",
            "before the start date (2 May 2024)",
        ),
        ({"owned": "yes"}, "owned", "yes or no"),
    ],
)
def test_the_service_refuses_each_bad_value_by_field(
    user, record, changes, field, message
):
    errors = _refusal(user, record, **changes)
    assert list(errors) == [field]
    assert message in errors[field][0]


def test_every_refusal_is_reported_at_once(user, record):
    errors = _refusal(user, record, status="x", rating=Decimal(9), location="z" * 300)
    assert set(errors) == {"status", "rating", "location"}


def test_a_finish_date_before_a_stored_start_date_is_refused(user, record):
    _update(user, record, started_on=date(2024, 5, 2))
    with pytest.raises(ValidationError, match="before the start date"):
        _update(user, record, version=2, finished_on=date(2024, 5, 1))


def test_the_longest_notes_fit_a_dynamodb_item(user, record):
    # 50,000 four-byte characters: 200 KB of UTF-8, half of the 400 KB item.
    notes = "😀" * records.NOTES_MAX_CHARS
    saved = _update(user, record, notes=notes)
    assert _stored(user, record).notes == notes and saved.version == 2


def test_oversize_notes_never_reach_the_backend(user, record, monkeypatch):
    backend = get_backend()

    def refuse(*args, **kwargs):
        raise AssertionError("the backend was asked to store oversize notes")

    monkeypatch.setattr(backend, "update_userbook", refuse)
    with pytest.raises(AssertionError):  # the spy is the backend in use
        _update(user, record, notes="Short")
    notes = "é" * (450 * 1024 // 2)  # 450 KB of UTF-8
    with pytest.raises(ValidationError) as exc:
        _update(user, record, notes=notes)
    assert "at most 50,000 characters" in exc.value.message_dict["notes"][0]
    assert _stored(user, record).notes == "First thoughts"


def test_values_are_stored_as_a_form_sends_them(user, record):
    saved = _update(
        user,
        record,
        notes="one\r\ntwo\rthree",
        location="  Hall,\n shelf  2 ",
        rating="4",
    )
    assert (saved.notes, saved.location, saved.rating) == (
        "one\ntwo\nthree",
        "Hall, shelf 2",
        Decimal("4.0"),
    )


def test_adding_checks_the_shelf_too(user, make_book):
    with pytest.raises(ValidationError) as exc:
        services.userbook_add(user=user, isbn="9780306406157", location="s" * 201)
    assert list(exc.value.message_dict) == ["location"]


# Stale edits -------------------------------------------------------------------


def test_a_fresh_edit_writes_only_what_the_editor_changed(user, record):
    loaded = records.values(record)
    saved = _update(user, record, loaded=loaded, **{**loaded, "status": "reading"})
    assert saved.status == "reading" and saved.changed_elsewhere == []
    assert saved.started_on == timezone.localdate()  # implied by the new status


def test_an_unchanged_save_writes_nothing(user, record):
    loaded = records.values(record)
    saved = _update(user, record, loaded=loaded, **loaded)
    assert saved.version == 1 == _stored(user, record).version


def test_a_stale_edit_keeps_what_changed_elsewhere(user, record):
    loaded = records.values(record)  # tab B opens the page
    _update(user, record, rating=Decimal("4.5"), notes="Tab A's note")  # tab A saves
    saved = _update(user, record, loaded=loaded, **{**loaded, "status": "reading"})
    stored = _stored(user, record)
    assert (stored.status, stored.rating, stored.notes) == (
        "reading",
        Decimal("4.5"),
        "Tab A's note",
    )
    assert saved.changed_elsewhere == ["rating", "notes"]
    assert records.saved_message(saved) == (
        "Saved. Changed in another tab or device: rating (now 4.5 stars), notes."
    )


def test_the_same_change_on_both_sides_is_no_conflict(user, record):
    loaded = records.values(record)
    _update(user, record, location="Hall")
    saved = _update(user, record, loaded=loaded, **{**loaded, "location": "Hall"})
    assert saved.location == "Hall" and saved.version == 2


def test_a_field_changed_on_both_sides_differently_is_a_conflict(user, record):
    loaded = records.values(record)
    _update(user, record, notes="Tab A's note", rating=Decimal(3))
    with pytest.raises(services.EditConflict) as exc:
        _update(
            user,
            record,
            loaded=loaded,
            **{**loaded, "notes": "Tab B's note", "status": "read"},
        )
    merge = exc.value.merge
    assert merge.conflicts == {"notes": ("Tab A's note", "Tab B's note")}
    assert merge.changes == {"status": "read"}
    assert merge.changed_elsewhere == ["rating", "notes"]
    stored = _stored(user, record)
    assert (stored.version, stored.notes, stored.status) == (2, "Tab A's note", "want")
    assert exc.value.current.version == 2


def test_without_what_was_loaded_every_difference_is_a_conflict(user, record):
    _update(user, record, notes="Tab A's note")
    with pytest.raises(services.EditConflict) as exc:
        _update(user, record, status="want", notes="Mine", location="Study")
    assert exc.value.merge.conflicts == {"notes": ("Tab A's note", "Mine")}
    assert isinstance(exc.value, StaleEdit)


def test_a_merge_that_makes_dates_disagree_is_refused(user, record):
    loaded = records.values(record)
    _update(user, record, finished_on=date(2024, 1, 1))
    with pytest.raises(ValidationError, match="before the start date"):
        _update(
            user, record, loaded=loaded, **{**loaded, "started_on": date(2024, 3, 1)}
        )
    assert _stored(user, record).started_on is None


def test_a_record_changing_again_while_merging_is_merged_again(
    user, record, monkeypatch
):
    loaded = records.values(record)
    _update(user, record, rating=Decimal(2))
    real = UserBook.objects.update_for_user
    calls = []

    def racing(user_, key, *, version, changes):
        calls.append(version)
        if len(calls) == 1:  # a third tab saves just before this write
            real(user_, key, version=version, changes={"location": "Attic"})
        return real(user_, key, version=version, changes=changes)

    monkeypatch.setattr(UserBook.objects, "update_for_user", racing)
    saved = _update(user, record, loaded=loaded, **{**loaded, "owned": False})
    assert calls == [2, 3]
    assert (saved.rating, saved.location, saved.owned) == (Decimal(2), "Attic", False)
    assert saved.changed_elsewhere == ["rating", "location"]


def test_a_value_stored_before_a_rule_does_not_block_other_changes(user):
    record = UserBookFactory(user=user, location="x" * 250)
    loaded = records.values(record)
    saved = _update(user, record, loaded=loaded, **{**loaded, "status": "read"})
    assert (saved.status, saved.location) == ("read", "x" * 250)
    with pytest.raises(ValidationError):
        _update(user, record, version=2, loaded=loaded, location="y" * 250)


def test_reading_again_after_a_dated_past_reading_keeps_that_reading(user, record):
    _update(user, record, finished_on=date(2000, 1, 1))
    saved = _update(user, record, version=2, status="reading")
    today = timezone.localdate()
    assert (saved.status, saved.started_on, saved.finished_on) == (
        "reading",
        today,
        None,
    )
    assert [(r["outcome"], r["finished_on"]) for r in saved.reading_history] == [
        ("finished", "2000-01-01"),
        ("reading", None),
    ]


def test_a_new_status_implies_no_date_out_of_order(user, record):
    _update(user, record, status="reading", started_on=date(2999 - 1000, 1, 1))
    saved = _update(user, record, version=2, status="read")
    # Today is after the start: the implied finish date is today.
    assert saved.finished_on == timezone.localdate()
    future = timezone.localdate().replace(year=timezone.localdate().year + 1)
    _update(user, record, version=3, status="reading")
    _update(user, record, version=4, started_on=future)
    saved = _update(user, record, version=5, status="read")
    # Today is before the start: no finish date is implied.
    assert (saved.status, saved.finished_on) == ("read", None)


def test_a_record_that_keeps_changing_leaves_the_choice_to_the_reader(
    user, record, monkeypatch
):
    loaded = records.values(record)
    real = UserBook.objects.update_for_user

    def always_racing(user_, key, *, version, changes):
        real(user_, key, version=version, changes={"location": f"Shelf {version}"})
        return real(user_, key, version=version, changes=changes)

    monkeypatch.setattr(UserBook.objects, "update_for_user", always_racing)
    with pytest.raises(services.EditConflict) as exc:
        _update(user, record, loaded=loaded, **{**loaded, "notes": "Mine"})
    assert exc.value.merge.conflicts == {"notes": ("First thoughts", "Mine")}
    stored = _stored(user, record)
    assert (stored.notes, stored.location, stored.version) == (
        "First thoughts",
        "Shelf 3",
        4,
    )


def test_dates_stored_out_of_order_do_not_block_other_changes(user):
    record = UserBookFactory(
        user=user, started_on=date(2024, 5, 2), finished_on=date(2024, 5, 1)
    )
    loaded = records.values(record)
    saved = _update(user, record, loaded=loaded, **{**loaded, "notes": "Still mine"})
    assert saved.notes == "Still mine"
    with pytest.raises(ValidationError, match="before the start date"):
        _update(user, record, version=2, finished_on=date(2024, 4, 1))
