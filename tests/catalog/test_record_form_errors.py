"""The book page's record form: a refused save is summarised at the top of the form."""

import re
from html import unescape

import pytest

from catalog.models import UserBook
from tests.factories import UserBookFactory
from tests.html_forms import form_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

FORM = "userbook-form"


@pytest.fixture
def record(user) -> UserBook:
    return UserBookFactory(user=user)


def _open(client, record) -> dict[str, str]:
    return form_values(client.get(record.get_absolute_url()).content.decode(), FORM)


def _summary(html: str) -> str:
    start = html.index('<div id="form-errors"')
    return html[start : html.index('<form method="post"', start)]


def _input(html: str, name: str) -> str:
    return re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', html).group(0)


def test_the_form_sends_the_browser_to_its_errors(user_client, record):
    html = user_client.get(record.get_absolute_url()).content.decode()
    assert f'action="{record.get_absolute_url()}#form-errors"' in html
    assert 'id="form-errors"' not in html  # nothing to fix yet
    assert "save-bar" in html


def test_a_refused_date_is_listed_first_with_a_link_to_its_field(user_client, record):
    values = _open(user_client, record)
    response = user_client.post(
        record.get_absolute_url(),
        {**values, "started_on": "2024-05-02", "finished_on": "2024-05-01"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    summary = _summary(html)
    assert 'tabindex="-1"' in summary
    assert 'aria-labelledby="form-errors-title"' in summary
    assert "One thing to fix before saving:" in summary
    link = re.search(r'<a href="#id_finished_on"[^>]*>(.*?)</a>', summary)
    assert unescape(link.group(1)) == (
        "Finished on: The finish date is before the start date (2 May 2024)."
    )
    assert html.index('id="form-errors"') < html.index(f'id="{FORM}"')
    field = _input(html, "finished_on")
    assert 'aria-invalid="true"' in field
    described = re.search(r'aria-describedby="([^"]+)"', field).group(1)
    assert "id_finished_on_error" in described.split()
    error = html[html.index('id="id_finished_on_error"') :]
    assert "The finish date is before the start date" in error[:300]
    assert 'aria-invalid="true"' not in _input(html, "started_on")


def test_several_refusals_are_counted_and_each_named(user_client, record):
    values = _open(user_client, record)
    response = user_client.post(
        record.get_absolute_url(),
        {**values, "location": "x" * 201, "started_on": "1850-01-01"},
    )
    summary = _summary(response.content.decode())
    assert "2 things to fix before saving:" in summary
    assert 'href="#id_location"' in summary
    assert 'href="#id_started_on"' in summary
    location = _input(response.content.decode(), "location")
    assert 'aria-invalid="true"' in location
    described = re.search(r'aria-describedby="([^"]+)"', location).group(1).split()
    assert "id_location_error" in described


def test_an_error_of_the_whole_form_is_listed_without_a_link(user_client, record):
    values = _open(user_client, record)
    values.pop("loaded")
    values.pop("version")
    response = user_client.post(record.get_absolute_url(), values)
    summary = _summary(response.content.decode())
    assert "This page is out of date: reload it and make your change again." in summary
    assert "<a " not in summary


def test_an_unsettled_conflict_is_listed_and_its_choices_marked(
    user_client, user, record
):
    tab_b = _open(user_client, record)
    user_client.post(
        record.get_absolute_url(), {**_open(user_client, record), "notes": "A"}
    )
    asked = user_client.post(record.get_absolute_url(), {**tab_b, "notes": "B"})
    assert 'id="stale-edit"' in _summary(asked.content.decode())
    again = form_values(asked.content.decode(), FORM)
    unsettled = user_client.post(record.get_absolute_url(), again)
    html = unsettled.content.decode()
    summary = _summary(html)
    assert '<a href="#conflict-notes"' in summary
    assert "Choose which to keep." in summary
    radios = re.findall(r'<input[^>]*name="choose_notes"[^>]*>', html)
    assert len(radios) == 3
    for radio in radios:
        assert 'aria-invalid="true"' in radio
        assert 'aria-describedby="conflict-notes-error"' in radio
    error = html[html.index('id="conflict-notes-error"') :]
    assert "Choose which to keep." in error[:200]
