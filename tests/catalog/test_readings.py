"""The rules of readings (``catalog.readings``): pure, no storage."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from catalog import readings

TODAY = date(2025, 6, 10)


def _r(n, outcome, started=None, finished=None, **progress):
    reading = readings.new(n, outcome, started, finished)
    reading.update(progress)
    return reading


@pytest.mark.parametrize(
    ("status", "started", "finished", "expected"),
    [
        ("want", None, None, []),
        ("reading", date(2025, 1, 2), None, [("reading", "2025-01-02", None)]),
        ("read", None, None, [("finished", None, None)]),
        ("dnf", None, date(2025, 2, 1), [("dnf", None, "2025-02-01")]),
        ("want", date(2025, 1, 2), None, [("dnf", "2025-01-02", None)]),
        ("want", None, date(2025, 2, 1), [("finished", None, "2025-02-01")]),
    ],
)
def test_a_status_and_dates_stand_for_one_reading(status, started, finished, expected):
    made = readings.from_status(status, started, finished)
    assert [(r["outcome"], r["started_on"], r["finished_on"]) for r in made] == expected
    # And they derive the same status and dates back.
    assert readings.derive(made, status) == {
        "status": status,
        "started_on": started,
        "finished_on": finished,
    }


def test_the_latest_reading_decides_unless_the_reader_wants_it_again():
    history = [_r(1, "finished", "2024-01-01", "2024-02-01"), _r(2, "dnf")]
    assert readings.derive(history, "read")["status"] == "dnf"
    assert readings.derive(history, "want")["status"] == "want"
    history.append(_r(3, "reading", "2025-01-01"))
    assert readings.derive(history, "want") == {
        "status": "reading",
        "started_on": date(2025, 1, 1),
        "finished_on": None,
    }


def test_statuses_move_the_readings():
    going = readings.with_status([], "want", "reading", today=TODAY)
    assert going == [_r(1, "reading", "2025-06-10")]
    done = readings.with_status(going, "reading", "read", today=TODAY)
    assert done == [_r(1, "finished", "2025-06-10", "2025-06-10")]
    assert readings.with_status(done, "read", "dnf", today=TODAY)[0]["outcome"] == "dnf"
    again = readings.with_status(done, "read", "reading", today=TODAY)
    assert [r["id"] for r in again] == [1, 2] and again[0] == done[0]
    # The input is never changed in place.
    assert going == [_r(1, "reading", "2025-06-10")]


def test_want_keeps_readings_and_drops_only_an_empty_tap():
    tapped = [_r(1, "reading", TODAY.isoformat())]
    assert readings.with_status(tapped, "reading", "want", today=TODAY) == []
    typed = [_r(1, "reading", "2025-05-01")]
    assert readings.with_status(typed, "reading", "want", today=TODAY) == [
        _r(1, "dnf", "2025-05-01")
    ]
    progressed = [_r(1, "reading", TODAY.isoformat(), progress_page=3)]
    kept = readings.with_status(progressed, "reading", "want", today=TODAY)
    assert kept[0]["outcome"] == "dnf"
    finished = [_r(1, "finished", None, "2025-01-01")]
    assert readings.with_status(finished, "read", "want", today=TODAY) == finished


def test_today_is_no_finish_date_before_a_later_start():
    future = [_r(1, "reading", "2025-07-01")]
    assert readings.with_status(future, "reading", "read", today=TODAY) == [
        _r(1, "finished", "2025-07-01")
    ]


@pytest.mark.parametrize(
    ("typed", "pages", "expected"),
    [
        ("120", 412, (120, None)),
        ("p. 120", None, (120, None)),
        ("Page 7", None, (7, None)),
        ("45%", None, (None, 45)),
        (" 45 % ", None, (None, 45)),
        ("12,5%", None, (None, 12)),
        ("", 412, (None, None)),
        ("١٢٠", 412, (120, None)),  # digits of any script
    ],
)
def test_progress_is_read_as_a_page_or_a_percent(typed, pages, expected):
    found = readings.parse_progress(typed, pages=pages)
    assert (found["progress_page"], found["progress_percent"]) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("413", "This book has 412 pages"),
        ("101%", "from 0 to 100"),
        ("abc", "a page number (like 120)"),
        ("1e3", "a page number (like 120)"),
    ],
)
def test_bad_progress_says_what_to_type(typed, message):
    with pytest.raises(ValidationError) as exc:
        readings.parse_progress(typed, pages=412)
    assert message in exc.value.message_dict["progress"][0]


def test_progress_shows_pages_of_the_book_or_a_percent():
    assert readings.progress(_r(1, "reading", progress_page=120), 412) == (
        readings.Progress("p. 120 of 412", 29)
    )
    assert readings.progress(_r(1, "reading", progress_page=120), None) == (
        readings.Progress("p. 120", None)
    )
    assert readings.progress(_r(1, "reading", progress_percent=45), 412).text == "45%"
    assert readings.progress(_r(1, "reading"), 412) is None


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([_r(1, "reading"), _r(2, "finished")], "Only the latest reading"),
        ([_r(1, "finished", "2025-02-01", "2025-01-01")], "before its start date"),
        ([_r(1, "finished"), _r(1, "dnf")], "its own id"),
        ([_r(1, "lost")], "still reading, finished or did not finish"),
        ([_r(1, "reading", progress_page=2, progress_percent=3)], "not both"),
        ([{"id": 1}], "A reading has an id"),
        ([_r(1, "finished", "yesterday")], "as a date (YYYY-MM-DD)"),
        ([_r(1, "finished", "1800-01-01")], "a year from 1900"),
    ],
)
def test_readings_that_break_a_rule_are_refused(history, message):
    with pytest.raises(ValidationError) as exc:
        readings.check(history)
    assert message in " ".join(exc.value.message_dict["readings"])


def test_the_page_lists_readings_newest_first_numbered_from_the_first():
    history = [_r(1, "finished", None, "2024-01-01"), _r(2, "reading", "2025-01-01")]
    shown = readings.shown(history, None)
    assert [(s.number, s.outcome_label, s.is_latest) for s in shown] == [
        (2, "Still reading", True),
        (1, "Finished", False),
    ]
    assert shown[1].finished_on == date(2024, 1, 1)
