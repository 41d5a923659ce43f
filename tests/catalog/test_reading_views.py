"""The book page's readings and progress, the cards' progress, in both modes."""

import re
from datetime import date
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog import readings, services
from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def _stored(user, key) -> UserBook:
    return UserBook.objects.get_for_user(user, key)


def _read_twice(user, title="Dune", pages=412) -> UserBook:
    record = UserBookFactory(user=user, book=BookFactory(title=title, pages=pages))
    services.userbook_update(
        user=user,
        book_key=record.book_id,
        version=1,
        changes={
            "status": "read",
            "started_on": date(2023, 1, 2),
            "finished_on": date(2023, 2, 3),
        },
    )
    services.userbook_read_again(user=user, book_key=record.book_id)
    return _stored(user, record.book_id)


def _reading_post(client, record, reading_id, **values):
    form = readings.find(record.reading_history, reading_id)
    loaded = services.reading_sign(record, form)
    data = {f"reading-{reading_id}-loaded": loaded}
    shown = readings.editable(form)
    for name in ("started_on", "finished_on", "outcome"):
        value = values.get(name, shown[name])
        data[f"reading-{reading_id}-{name}"] = (
            value.isoformat() if isinstance(value, date) else value or ""
        )
    if "action" in values:
        data["action"] = values["action"]
    url = reverse(
        "catalog:book-reading", kwargs={"key": record.book_id, "reading_id": reading_id}
    )
    return client.post(url, data)


def test_the_book_page_lists_every_reading_newest_first(user_client, user):
    record = _read_twice(user)
    page = _text(user_client.get(record.get_absolute_url()))
    assert "2 readings: read 1 time." in page
    second, first = page.index("Reading 2"), page.index("Reading 1")
    assert second < first
    assert "Started 2 Jan 2023 · finished 3 Feb 2023" in page
    assert f"Started {timezone.localdate():%-d %b %Y} · going on" in page
    assert "Set progress" in page and "Read it again" not in page
    assert "Choosing “Want to read” keeps these readings." in page


def test_read_it_again_starts_a_new_reading_and_the_page_shows_both(user_client, user):
    record = _read_twice(user)
    services.userbook_update(
        user=user,
        book_key=record.book_id,
        version=record.version,
        changes={"status": "read"},
    )
    page = _text(user_client.get(record.get_absolute_url()))
    assert "2 readings: read 2 times." in page and "Read it again" in page
    url = reverse("catalog:book-read-again", kwargs={"key": record.book_id})
    response = user_client.post(url)
    assert response.status_code == 302
    assert response["Location"].endswith("#readings")
    page = _text(user_client.get(response["Location"]))
    assert "A new reading starts today." in page
    assert "3 readings: read 2 times." in page
    assert _stored(user, record.book_id).status == "reading"


def test_read_it_again_is_post_only(user_client, user):
    record = _read_twice(user)
    url = reverse("catalog:book-read-again", kwargs={"key": record.book_id})
    assert user_client.get(url).status_code == 405
    assert len(_stored(user, record.book_id).reading_history) == 2


def test_progress_is_set_in_one_step_and_shows_on_the_card_and_home(user_client, user):
    record = _read_twice(user)
    url = reverse("catalog:book-progress", kwargs={"key": record.book_id})
    response = user_client.post(url, {"progress-progress": "120"})
    assert response.status_code == 302
    page = _text(user_client.get(response["Location"]))
    assert "Progress: p. 120 of 412." in page
    assert 'value="120"' in page  # the form shows it back
    home = _text(user_client.get(reverse("catalog:home")))
    reading = home[home.index("Currently reading") : home.index("Recently added")]
    assert "p. 120 of 412" in reading
    assert '<progress class="w-100" max="100" value="29"' in reading
    user_client.post(url, {"progress-progress": "45%"})
    listing = _text(user_client.get(reverse("catalog:book-list")))
    assert "45%" in listing and 'value="45"' in listing


def test_bad_progress_is_refused_and_keeps_what_was_typed(user_client, user):
    record = _read_twice(user)
    url = reverse("catalog:book-progress", kwargs={"key": record.book_id})
    response = user_client.post(url, {"progress-progress": "500"})
    assert response.status_code == 400
    page = _text(response)
    assert "This book has 412 pages: give a page up to 412." in page
    assert 'value="500"' in page
    assert _stored(user, record.book_id).progress is None


def test_a_past_reading_is_edited_from_the_book_page(user_client, user):
    record = _read_twice(user)
    response = _reading_post(user_client, record, 1, finished_on=date(2023, 3, 1))
    assert response.status_code == 302
    page = _text(user_client.get(response["Location"]))
    assert "Reading saved." in page
    assert "finished 1 Mar 2023" in page


def test_a_bad_reading_is_refused_and_keeps_what_was_typed(user_client, user):
    record = _read_twice(user)
    response = _reading_post(user_client, record, 1, finished_on=date(2022, 12, 1))
    assert response.status_code == 400
    page = _text(response)
    assert "The finish date is before the start date (2 January 2023)." in page
    assert 'value="2022-12-01"' in page
    assert '<details class="mt-1" open>' in page


def test_a_stale_reading_edit_of_the_same_date_is_refused_keeping_the_typing(
    user_client, user
):
    record = _read_twice(user)
    _reading_post(Client(), record, 1)  # not logged in: nothing happens
    other_tab = Client()
    other_tab.force_login(user)
    _reading_post(other_tab, record, 1, finished_on=date(2023, 3, 1))
    response = _reading_post(user_client, record, 1, finished_on=date(2023, 4, 1))
    assert response.status_code == 400
    page = _text(response)
    assert "Changed in another tab or device: finish date (now 1 March 2023)" in page
    assert 'value="2023-04-01"' in page
    stored = _stored(user, record.book_id).reading_history[0]
    assert stored["finished_on"] == "2023-03-01"


def test_a_reading_is_deleted_and_the_status_follows(user_client, user):
    record = _read_twice(user)
    response = _reading_post(user_client, record, 2, action="delete")
    assert response.status_code == 302
    page = _text(user_client.get(response["Location"]))
    assert "Reading deleted." in page and "1 reading: read 1 time." in page
    assert _stored(user, record.book_id).status == "read"


def test_another_readers_book_is_not_found(user, other_user):
    record = _read_twice(user)
    client = Client()
    client.force_login(other_user)
    for name, kwargs in (
        ("catalog:book-read-again", {}),
        ("catalog:book-progress", {}),
        ("catalog:book-reading", {"reading_id": 1}),
    ):
        url = reverse(name, kwargs={"key": record.book_id, **kwargs})
        assert client.post(url, {"progress-progress": "3"}).status_code == 404
    assert _stored(user, record.book_id).version == record.version


def test_progress_is_set_from_a_card_in_one_tap(user_client, user):
    record = _read_twice(user)
    home = _text(user_client.get(reverse("catalog:home")))
    assert 'aria-label="Page or percent read of “Dune”"' in home
    url = reverse("catalog:book-set", kwargs={"key": record.book_id})
    reading = str(record.current_reading["id"])
    answer = user_client.post(
        url,
        {"progress": "45%", "reading": reading, "fragment": "card", "next": "/"},
        headers={"X-Requested-With": "fetch"},
    ).json()
    assert (answer["ok"], answer["message"]) == (True, "“Dune”: 45%.")
    assert 'value="45"' in answer["html"] and 'value="45%"' in answer["html"]
    refused = user_client.post(url, {"progress": "999", "reading": reading})
    assert (
        refused.status_code == 302 and refused["Location"] == record.get_absolute_url()
    )
    page = _text(user_client.get(refused["Location"]))
    assert "“Dune”: This book has 412 pages: give a page up to 412." in page
    assert _stored(user, record.book_id).progress.text == "45%"


def test_a_card_shows_no_progress_box_when_nothing_is_being_read(user_client, user):
    UserBookFactory(user=user, book=BookFactory(title="Emma"), status="read")
    listing = _text(user_client.get(reverse("catalog:book-list")))
    assert "Emma" in listing and "Page or percent read of" not in listing


def _fragment_target(page: str, form_id: str) -> str:
    """The part of the page a form's post lands on: from its id to the end."""
    action = re.search(rf'action="([^"]*)"\s+id="{form_id}"', page).group(1)
    assert "#" in action, action
    anchor = action.rpartition("#")[2]
    return page[page.index(f'id="{anchor}"') :]


def test_a_refused_progress_lands_on_the_readings_with_the_message(user_client, user):
    record = _read_twice(user)
    url = reverse("catalog:book-progress", kwargs={"key": record.book_id})
    page = _text(user_client.post(url, {"progress-progress": "150%"}))
    landed = _fragment_target(page, "progress-form")
    assert "A percent is from 0 to 100." in landed
    assert 'value="150%"' in landed


def test_a_refused_reading_lands_on_that_reading_with_the_message(user_client, user):
    record = _read_twice(user)
    page = _text(_reading_post(user_client, record, 1, finished_on=date(2022, 12, 1)))
    landed = _fragment_target(page, "reading-1-form")
    assert landed.startswith('id="reading-1"')
    assert "The finish date is before the start date" in landed


def test_a_refused_progress_on_a_card_keeps_what_was_typed(user_client, user):
    record = _read_twice(user)
    url = reverse("catalog:book-set", kwargs={"key": record.book_id})
    reading = str(record.current_reading["id"])
    answer = user_client.post(
        url,
        {"progress": "150 %", "reading": reading, "fragment": "card", "next": "/"},
        headers={"X-Requested-With": "fetch"},
    ).json()
    assert answer["ok"] is False
    assert answer["message"] == "“Dune”: A percent is from 0 to 100."
    box = re.search(r'<input type="text"\s+name="progress"[^>]*>', answer["html"])
    assert 'value="150 %"' in box.group(0)
    assert 'aria-invalid="true"' in box.group(0) and "is-invalid" in box.group(0)
    assert _stored(user, record.book_id).progress is None
    saved = user_client.post(
        url,
        {"progress": "45%", "reading": reading, "fragment": "card", "next": "/"},
        headers={"X-Requested-With": "fetch"},
    ).json()
    assert saved["ok"] is True and "aria-invalid" not in saved["html"]
