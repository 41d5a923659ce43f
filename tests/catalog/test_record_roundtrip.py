"""A reader's record survives its form: open the page, save it unchanged, nothing moves.

The page is read as a browser reads it (``tests/html_forms.py``) and posted
back through the real view, form and service, on both backends.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import records, services
from catalog.models import ReadingStatus, UserBook
from tests.factories import UserBookFactory
from tests.html_forms import form_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

FORM = "userbook-form"
RATINGS = [Decimal(half) / 2 for half in range(1, 11)]

# Text a reader might keep: any character but NUL (which the services refuse),
# with the line breaks, right-to-left runs and emoji that trip forms up.
_TRICKY = [
    "\r\n",
    "\n",
    "\r",
    "\n\n",
    " ",
    "\t",
    "שלום עולם",
    "مرحبا",
    "\u200f",
    "\u202e",
    "😀",
    "👩‍👩‍👧",
    "e\u0301",
    "<b>&amp;</b>",
    '"quoted"',
    "\x85",
    "\u2028",
]
_ANY = st.characters(codec="utf-8", exclude_characters="\x00")
_TEXT = st.lists(
    st.one_of(st.sampled_from(_TRICKY), st.text(_ANY, max_size=12)), max_size=12
).map("".join)
_DATES = st.one_of(
    st.none(), st.dates(date(records.MIN_YEAR, 1, 1), date(2026, 12, 31))
)


@pytest.fixture
def record(user) -> UserBook:
    return UserBookFactory(user=user)


@st.composite
def record_values(draw) -> dict:
    started, finished = draw(_DATES), draw(_DATES)
    if started and finished and finished < started:
        started, finished = finished, started
    return {
        "status": draw(st.sampled_from(ReadingStatus.values)),
        "rating": draw(st.sampled_from([None, *RATINGS])),
        "notes": draw(_TEXT),
        "location": draw(_TEXT.map(lambda text: text[: records.LOCATION_MAX_CHARS])),
        "started_on": started,
        "finished_on": finished,
        "owned": draw(st.booleans()),
    }


def _store(user, record, values: dict) -> UserBook:
    current = UserBook.objects.get_for_user(user, record.book_id)
    services.userbook_update(
        user=user, book_key=record.book_id, version=current.version, changes=values
    )
    return UserBook.objects.get_for_user(user, record.book_id)


def _save_unchanged(client, record):
    url = reverse("catalog:book-detail", kwargs={"key": record.book_id})
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, form_values(page.content.decode(), FORM))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(values=record_values())
def test_saving_the_page_unchanged_changes_nothing(client, user, record, values):
    client.force_login(user)
    before = _store(user, record, values)
    response = _save_unchanged(client, record)
    assert response.status_code == 302, response.content.decode()[:2000]
    after = UserBook.objects.get_for_user(user, record.book_id)
    assert records.values(after) == records.values(before)
    assert {n: getattr(after, n) for n in records.FIELDS} == {
        n: getattr(before, n) for n in records.FIELDS
    }
    assert after.version == before.version  # nothing was even written


@pytest.mark.parametrize("rating", RATINGS, ids=str)
def test_every_rating_shows_selected_and_survives_a_save(user_client, user, rating):
    record = UserBookFactory(user=user)
    stored = _store(user, record, {"rating": rating})
    page = user_client.get(stored.get_absolute_url()).content.decode()
    assert f'<option value="{rating:.1f}" selected>' in page
    assert form_values(page, FORM)["rating"] == f"{rating:.1f}"
    assert _save_unchanged(user_client, record).status_code == 302
    assert UserBook.objects.get_for_user(user, record.book_id).rating == rating


def test_no_rating_shows_no_rating_selected(user_client, user):
    record = UserBookFactory(user=user)
    page = user_client.get(record.get_absolute_url()).content.decode()
    assert '<option value="" selected>No rating</option>' in page


def test_a_stored_crlf_note_is_left_as_it_is(user_client, user):
    # A browser sends every line break as CRLF and reads CR as LF: the note the
    # reader did not touch is not rewritten either way.
    record = UserBookFactory(user=user, notes="one\r\ntwo\rthree\n")
    assert _save_unchanged(user_client, record).status_code == 302
    assert UserBook.objects.get_for_user(user, record.book_id).notes == (
        "one\r\ntwo\rthree\n"
    )
