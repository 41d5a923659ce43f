"""Input larger than anything real is refused with a message, never a 500.

The fuzzers found these; on DynamoDB (moto) the tests also fail any key that
real DynamoDB would refuse (see tests/aws.py), which moto lets through.
"""

import pytest
from django.urls import reverse

from catalog.models import UserBook
from catalog.records import NOTES_MAX_CHARS as NOTES_MAX_LENGTH
from catalog.services.limits import AUTHOR_LIMIT, AUTHORS_MAX
from tests.factories import BookFactory, UserBookFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
HUGE = "x" * 500_000  # past DynamoDB's 400 KB per item


@pytest.fixture
def record(user):
    return UserBookFactory(user=user, book=BookFactory(title="Owned"))


@pytest.mark.parametrize("name", ["book-detail", "book-details", "book-remove"])
def test_a_book_key_longer_than_any_is_not_found(user_client, record, name):
    url = reverse(f"catalog:{name}", kwargs={"key": "9" * 3000})
    assert user_client.get(url).status_code == 404


def test_cards_for_keys_longer_than_any_are_left_out(user_client, record):
    keys = ",".join(["9" * 3000, record.book_id, "x" * 21])
    response = user_client.get(reverse("catalog:book-cards"), {"keys": keys})
    assert response.status_code == 200 and "Owned" in response.content.decode()


def test_a_session_cookie_longer_than_any_session_key_is_a_new_visitor(client):
    client.cookies["sessionid"] = "a" * 3000
    response = client.get(reverse("catalog:home"))
    assert response.status_code == 200 and "Log in" in response.content.decode()


def test_notes_past_the_limit_are_refused_and_kept_in_the_form(
    user_client, user, record
):
    url = reverse("catalog:book-detail", kwargs={"key": record.book_id})
    data = {"status": "read", "notes": HUGE, "version": record.version}
    response = user_client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"at most {NOTES_MAX_LENGTH:,} characters" in body
    stored = UserBook.objects.get_for_user(user, record.book_id)
    assert (stored.status, stored.notes) == ("want", "")
    ok = {"status": "read", "notes": "n" * NOTES_MAX_LENGTH, "version": record.version}
    assert user_client.post(url, ok).status_code == 302


@pytest.mark.parametrize(
    ("authors", "message"),
    [
        (HUGE, f"at most {AUTHOR_LIMIT} characters"),
        ("\n".join(f"Author {n}" for n in range(AUTHORS_MAX + 1)), "Up to 50 authors"),
    ],
)
def test_authors_past_the_limits_are_refused_by_hand(
    user_client, user, authors, message
):
    data = {
        "mode": "manual",
        "manual-title": "Family recipes",
        "manual-authors": authors,
        "manual-status": "want",
    }
    response = user_client.post(reverse("catalog:book-add"), data)
    assert response.status_code == 200 and message in response.content.decode()
    assert 'value="Family recipes"' in response.content.decode()
    assert UserBook.objects.status_counts(user)["all"] == 0
