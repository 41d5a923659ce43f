"""Series pages: the library's filter and order, the series page with its gaps,
the list of series, corrections and the suggestion from a title, on the ORM and
on DynamoDB (moto)."""

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _record(user, title, *series, **fields):
    entries = [{"name": name, "position": position} for name, position in series]
    return UserBookFactory(
        user=user, book=BookFactory(title=title, series=entries), **fields
    )


def _text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(unescape(body).split())


def _library(**params) -> str:
    return f"{reverse('catalog:book-list')}?{urlencode(params)}"


def _dune(user):
    _record(user, "Dune", ("Dune Chronicles", "1"))
    _record(user, "Dune Messiah", ("Dune Chronicles", "2"))
    _record(user, "God Emperor of Dune", ("dune chronicles", "4"))
    _record(user, "Heretics of Dune", ("Dune Chronicles", "10"))
    _record(user, "Emma")


def test_the_series_page_lists_books_by_number_with_the_gaps(user_client, user):
    _dune(user)
    response = user_client.get(reverse("catalog:series", args=["DUNE Chronicles"]))
    assert response.status_code == 200
    text = _text(response)
    assert "You have 1, 2, 4 and 10; missing 3, 5–9." in text
    assert "4 books in your library" in text
    order = [
        text.index(s)
        for s in (
            "#1 Dune",
            "#2 Dune Messiah",
            "Missing: 3",
            "#4 God Emperor",
            "Missing: 5–9",
            "#10 Heretics",
        )
    ]
    assert order == sorted(order)
    assert "Emma" not in text


def test_the_series_list_counts_each_series_and_links_its_page(user_client, user):
    _dune(user)
    _record(user, "Mort", ("Discworld", "4"))
    response = user_client.get(reverse("catalog:series-list"))
    text = _text(response)
    assert "Discworld 1 book" in text and "Dune Chronicles 4 books" in text
    html = response.content.decode()
    assert f'href="{reverse("catalog:series", args=["dune chronicles"])}"' in html


def test_the_library_filters_by_series_and_sorts_by_it(user_client, user):
    _dune(user)
    _record(user, "Mort", ("Discworld", "4"))
    response = user_client.get(_library(series="dune  CHRONICLES", sort="series"))
    assert response.status_code == 200
    text = _text(response)
    assert "Mort" not in text and "Emma" not in text
    assert text.index("Dune Messiah") < text.index("Heretics of Dune")
    html = response.content.decode()
    assert 'id="series-filter"' in html
    assert 'name="series" value="dune CHRONICLES"' in html
    everything = _text(user_client.get(_library(sort="series")))
    # Discworld before Dune; within Dune 2 before 10; books in no series last.
    assert (
        everything.index("Mort")
        < everything.index("Dune Messiah")
        < everything.index("Heretics of Dune")
        < everything.index("Emma")
    )
    nothing = user_client.get(_library(series="x" * 500))
    assert nothing.status_code == 200 and "Emma" in _text(nothing)


def test_the_book_page_links_its_series(user_client, user):
    record = _record(user, "Dune", ("Dune Chronicles", "1"))
    html = user_client.get(record.get_absolute_url()).content.decode()
    assert "Dune Chronicles #1" in html
    assert reverse("catalog:series", args=["dune chronicles"]) in html


def test_a_correction_of_the_series_wins_and_clearing_it_returns(user_client, user):
    record = _record(user, "Dune", ("Dune Chronicles", "1"))
    url = reverse("catalog:book-correct", args=[record.book_id])
    form = user_client.get(url).context["corrections_form"]
    data = {
        f"fix-{name}": form[name].value() if form[name].value() is not None else ""
        for name in form.fields
    }
    for name in form.correctable():
        value = form[name].field.prepare_value(form[name].initial)
        data[f"initial-fix-{name}"] = "" if value is None else value
        data[f"fix-{name}"] = data[f"initial-fix-{name}"]
    data["fix-loaded"] = "{}"
    assert data["fix-series"] == "Dune Chronicles #1"
    data["fix-series"] = "Dune Saga #1.5\nHerbert Omnibus #1-3"
    response = user_client.post(url, data)
    assert response.status_code == 302
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert stored.corrections["series"] == [
        {"name": "Dune Saga", "position": "1.5"},
        {"name": "Herbert Omnibus", "position": "1-3"},
    ]
    assert "Dune" in _text(user_client.get(_library(series="herbert omnibus")))
    assert "Dune" not in _text(user_client.get(_library(series="dune chronicles")))
    # Nobody else sees the reader's series.
    other = UserFactory()
    UserBookFactory(user=other, book=record.book)
    client = Client()
    client.force_login(other)
    assert "Dune Saga" not in client.get(record.get_absolute_url()).content.decode()
    # Emptying the field goes back to the fetched series.
    data.update(
        {
            "fix-version": stored.version,
            "fix-loaded": '{"series": [{"name": "Dune Saga", "position": "1.5"}, '
            '{"name": "Herbert Omnibus", "position": "1-3"}]}',
            "initial-fix-series": "Dune Saga #1.5\nHerbert Omnibus #1-3",
            "fix-series": "",
        }
    )
    assert user_client.post(url, data).status_code == 302
    back = UserBook.objects.get_for_user(user, record.book_id)
    assert "series" not in back.corrections
    assert "Dune" in _text(user_client.get(_library(series="dune chronicles")))


def test_a_bad_series_position_is_refused_and_kept_in_the_form(user_client, user):
    record = _record(user, "Dune")
    url = reverse("catalog:book-correct", args=[record.book_id])
    response = user_client.post(
        url,
        {
            "fix-title": "Dune",
            "initial-fix-title": "Dune",
            "fix-series": "A|B #1",
            "initial-fix-series": "",
            "fix-version": record.version,
            "fix-loaded": "{}",
        },
    )
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert "cannot hold" in html and "A|B #1" in html


def test_a_series_suggested_by_the_title_is_accepted_in_one_click(user_client, user):
    record = _record(user, "Dune (Dune Chronicles, #1)")
    page = user_client.get(record.get_absolute_url())
    assert "Perhaps Dune Chronicles #1, from the title." in _text(page)
    assert (
        user_client.get(_library(series="dune chronicles")).context["page"].items == []
    )
    accept = reverse("catalog:book-series-accept", args=[record.book_id])
    response = user_client.post(accept)
    assert response.status_code == 302
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert stored.corrections["series"] == [
        {"name": "Dune Chronicles", "position": "1"}
    ]
    series_page = user_client.get(reverse("catalog:series", args=["dune chronicles"]))
    assert "#1 Dune (Dune Chronicles, #1)" in _text(series_page)
    assert user_client.get(accept).status_code == 405


def test_series_pages_are_the_readers_own(user_client, user, other_user):
    _record(other_user, "Theirs", ("Secret Series", "1"))
    response = user_client.get(reverse("catalog:series", args=["secret series"]))
    assert response.status_code == 404
    assert "Theirs" not in _text(response)
    theirs = UserBook.objects.page_for_user(other_user).items[0]
    accept = reverse("catalog:book-series-accept", args=[theirs.book_id])
    assert user_client.post(accept).status_code == 404
    assert "Secret" not in _text(user_client.get(reverse("catalog:series-list")))
