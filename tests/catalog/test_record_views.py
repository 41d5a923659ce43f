"""The book page's record form: stale edits merge, refusals keep what was typed."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import records
from catalog.models import UserBook
from tests.factories import UserBookFactory
from tests.html_forms import form_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

FORM = "userbook-form"


@pytest.fixture
def record(user) -> UserBook:
    return UserBookFactory(user=user, notes="First thoughts")


def _url(record) -> str:
    return reverse("catalog:book-detail", kwargs={"key": record.book_id})


def _open(client, record) -> dict[str, str]:
    """What the page's form would send unchanged (a tab opened now)."""
    return form_values(client.get(_url(record)).content.decode(), FORM)


def _text(response) -> str:
    """The page's visible text, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(body).split())


def _stored(user, record) -> UserBook:
    return UserBook.objects.get_for_user(user, record.book_id)


def _field_block(response, name: str) -> str:
    body = response.content.decode()
    start = body.index(f'id="div_id_{name}"')
    ends = [body.find(end, start + 1) for end in ('<div id="div_id_', "</form>")]
    return body[start : min(end for end in ends if end > 0)]


def test_a_stale_edit_keeps_the_other_tabs_rating_and_notes(user_client, user, record):
    tab_b = _open(user_client, record)
    tab_a = _open(user_client, record)
    saved_a = user_client.post(
        _url(record), {**tab_a, "rating": "4.5", "notes": "Loved the ending"}
    )
    assert saved_a.status_code == 302
    response = user_client.post(
        _url(record), {**tab_b, "status": "reading"}, follow=True
    )
    stored = _stored(user, record)
    assert (stored.status, stored.rating, stored.notes) == (
        "reading",
        Decimal("4.5"),
        "Loved the ending",
    )
    assert (
        "Saved. Changed in another tab or device: rating (now 4.5 stars), notes."
        in _text(response)
    )


def test_a_conflict_shows_both_values_and_saves_the_choice(user_client, user, record):
    tab_b = _open(user_client, record)
    user_client.post(
        _url(record), {**_open(user_client, record), "notes": "A", "rating": "4.5"}
    )
    response = user_client.post(
        _url(record), {**tab_b, "notes": "B", "status": "read", "location": "Hall"}
    )
    assert response.status_code == 200
    text = _text(response)
    assert (
        "Changed in another tab or device: rating (now 4.5 stars), notes. "
        "You changed notes too: choose below which to keep, then save."
    ) in text
    assert not re.search(r" [,.]", text.split("Your copy")[1].split("Status")[0])
    body = response.content.decode()
    start = body.index('id="conflict-notes"')
    conflict = body[start : body.index("</fieldset>", start)]
    assert ">A</span>" in conflict and ">B</span>" in conflict
    assert "conflict-rating" not in body  # changed on one side only: kept
    assert _stored(user, record).notes == "A"  # nothing saved yet

    again = form_values(body, FORM)
    assert (again["status"], again["rating"], again["location"]) == (
        "read",
        "4.5",
        "Hall",
    )
    unsettled = user_client.post(_url(record), again)
    assert unsettled.status_code == 200
    assert "Choose which to keep." in unsettled.content.decode()
    assert _stored(user, record).version == 2

    chosen = user_client.post(_url(record), {**again, "choose_notes": "mine"})
    assert chosen.status_code == 302
    stored = _stored(user, record)
    assert (stored.notes, stored.rating, stored.status, stored.location) == (
        "B",
        Decimal("4.5"),
        "read",
        "Hall",
    )


@pytest.mark.parametrize(
    ("choice", "notes"), [("stored", "A"), ("both", "A\n\nB\r\nmore")]
)
def test_keeping_the_stored_notes_or_both(user_client, user, record, choice, notes):
    tab_b = _open(user_client, record)
    user_client.post(_url(record), {**_open(user_client, record), "notes": "A"})
    response = user_client.post(_url(record), {**tab_b, "notes": "B\r\nmore"})
    again = form_values(response.content.decode(), FORM)
    assert user_client.post(_url(record), {**again, "choose_notes": choice}).status_code
    assert _stored(user, record).notes == notes.replace("\r\n", "\n")


def test_450_kb_of_notes_is_refused_next_to_the_field_and_kept(
    user_client, user, record
):
    notes = "Long notes. " * (450 * 1024 // 12)
    response = user_client.post(
        _url(record), {**_open(user_client, record), "notes": notes}
    )
    assert response.status_code == 200
    block = _field_block(response, "notes")
    assert "Notes can be at most 50,000 characters; this is 460,800." in block
    assert notes in unescape(block)
    assert _stored(user, record).notes == "First thoughts"


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("location", "L" * 201, "A location can be at most 200 characters"),
        ("started_on", "1850-02-03", "Give a year from 1900 to"),
        ("notes", "nul \x00 here", "Null characters are not allowed"),
        ("rating", "4.25", "Choose a rating from 0.5 to 5 stars"),
    ],
)
def test_a_refusal_sits_next_to_its_field_with_the_typed_text(
    user_client, user, record, field, typed, message
):
    response = user_client.post(
        _url(record), {**_open(user_client, record), field: typed}
    )
    assert response.status_code == 200
    block = _field_block(response, field)
    assert message in block
    if field != "rating":
        assert typed in unescape(block)
    assert _stored(user, record).version == 1


def test_a_form_loaded_for_another_book_cannot_write_to_it(user_client, user, record):
    other = UserBookFactory(user=user, notes="Other book")
    other_form = _open(user_client, other)
    form = {**_open(user_client, record), "loaded": other_form["loaded"], "notes": "X"}
    assert user_client.post(_url(record), form).status_code == 302
    assert _stored(user, record).notes == "X"
    assert _stored(user, other).notes == "Other book"
    assert _stored(user, other).version == 1


def test_an_altered_snapshot_is_not_trusted(user_client, user, record):
    tab_b = _open(user_client, record)
    user_client.post(_url(record), {**_open(user_client, record), "notes": "A"})
    forged = {**tab_b, "loaded": tab_b["loaded"][:-3] + "abc", "status": "read"}
    response = user_client.post(_url(record), forged)
    # Without a trusted snapshot, every difference from the stored record
    # (the notes here) is the reader's to settle.
    assert response.status_code == 200
    assert 'id="conflict-notes"' in response.content.decode()
    assert _stored(user, record).notes == "A"


def test_a_form_without_what_it_loaded_asks_for_a_reload(user_client, user, record):
    form = {**_open(user_client, record), "notes": "Kept"}
    del form["loaded"], form["version"]
    response = user_client.post(_url(record), form)
    assert response.status_code == 200
    body = response.content.decode()
    assert "This page is out of date: reload it" in body and "Kept" in body
    assert _stored(user, record).version == 1


_FIELDS = ["status", "rating", "started_on", "finished_on", "location", "owned"]
_ODD = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "5",
            "5.00",
            "4.5",
            "-1",
            "1e999999999",
            "NaN",
            "read",
            "0001-01-01",
            "2024-02-30",
            "99999999999999999999",
            "on",
            "\x00",
        ]
    ),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    typed=st.dictionaries(
        st.sampled_from([*_FIELDS, "notes", "version", "loaded", "choose_notes"]),
        _ODD,
    )
)
def test_whatever_is_posted_the_page_answers_without_an_error(
    client, user, record, typed
):
    client.force_login(user)
    response = client.post(_url(record), {**_open(client, record), **typed})
    assert response.status_code in (200, 302)


@pytest.mark.parametrize(
    ("name", "first", "second", "tampered"),
    [
        ("rating", "4.5", "3.0", "7"),
        ("started_on", "2024-01-02", "2024-03-04", "nonsense"),
        ("status", "read", "reading", "zzqx"),
    ],
)
def test_a_tampered_value_in_a_conflict_form_is_refused_not_an_error(
    user_client, user, record, name, first, second, tampered
):
    tab_b = _open(user_client, record)
    user_client.post(_url(record), {**_open(user_client, record), name: first})
    response = user_client.post(_url(record), {**tab_b, name: second})
    assert f'id="conflict-{name}"' in response.content.decode()
    again = form_values(response.content.decode(), FORM)
    tampered_response = user_client.post(
        _url(record), {**again, name: tampered, f"choose_{name}": "mine"}
    )
    assert tampered_response.status_code == 200
    body = tampered_response.content.decode()
    conflict = body[body.index(f'id="conflict-{name}"') : body.index("</fieldset>")]
    assert f">{tampered}<" not in conflict
    assert str(records.values(_stored(user, record))[name]) == first
