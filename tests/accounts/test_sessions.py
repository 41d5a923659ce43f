"""The DynamoDB session store behaves like Django's database sessions."""

import time

import pytest

from accounts.sessions import SessionStore
from booklibrary import dynamodb


@pytest.fixture
def store(aws_tables):
    return SessionStore()


def _item(key):
    return (
        dynamodb.client()
        .get_item(
            TableName=dynamodb.table_name(dynamodb.USERS),
            Key={"pk": {"S": f"SESSION#{key}"}},
        )
        .get("Item")
    )


def test_save_and_load_round_trip(store):
    store["cart"] = [1, 2]
    store.save()
    again = SessionStore(session_key=store.session_key)
    assert again["cart"] == [1, 2]
    assert again.exists(store.session_key)


def test_the_item_carries_its_expiry_as_the_ttl_attribute(store):
    store["x"] = 1
    store.save()
    expires = int(_item(store.session_key)["expires"]["N"])
    assert abs(expires - (time.time() + store.get_expiry_age())) < 5


def test_expiry_is_checked_on_read_even_before_ttl_removes_it(store):
    store["x"] = 1
    store.set_expiry(-1)
    store.save()
    assert _item(store.session_key) is not None  # TTL has not run yet
    stale = SessionStore(session_key=store.session_key)
    assert stale.load() == {} and stale.session_key is None
    assert not stale.exists(store.session_key)


def test_delete_removes_the_item(store):
    store["x"] = 1
    store.save()
    key = store.session_key
    store.delete()
    assert _item(key) is None


def test_cycle_key_keeps_data_and_drops_the_old_item(store):
    store["x"] = 1
    store.save()
    old = store.session_key
    store.cycle_key()
    assert store.session_key != old and store["x"] == 1
    assert _item(old) is None and _item(store.session_key) is not None


def test_an_unknown_key_is_an_empty_new_session(store):
    fresh = SessionStore(session_key="nosuchsessionkeyatall12345")
    assert fresh.load() == {}
    fresh["y"] = 2
    fresh.save()
    assert fresh.session_key != "nosuchsessionkeyatall12345"


def test_a_session_deleted_by_logout_is_not_written_back_by_a_request_in_flight(
    store,
):
    from django.contrib.sessions.backends.base import UpdateError

    store["_auth_user_id"] = "42"
    store.save()
    key = store.session_key
    in_flight = SessionStore(session_key=key)
    in_flight["seen"] = True  # loaded before the logout below
    SessionStore(session_key=key).delete()  # another request logs out
    with pytest.raises(UpdateError):
        in_flight.save()
    assert _item(key) is None


def test_a_request_in_flight_during_logout_gets_session_interrupted(
    aws_tables, rf, settings
):
    from django.contrib.sessions.exceptions import SessionInterrupted
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.http import HttpResponse

    settings.SESSION_ENGINE = "accounts.sessions"
    store = SessionStore()
    store["_auth_user_id"] = "42"
    store.save()
    key = store.session_key

    def view(request):
        request.session["seen"] = True
        SessionStore(session_key=key).delete()  # logout, concurrently
        return HttpResponse()

    request = rf.get("/")
    request.COOKIES["sessionid"] = key
    with pytest.raises(SessionInterrupted):
        SessionMiddleware(view)(request)
    assert _item(key) is None


def test_a_new_session_never_overwrites_an_existing_one(store):
    from django.contrib.sessions.backends.base import CreateError

    store["x"] = 1
    store.save()
    clash = SessionStore(session_key=store.session_key)
    clash._session_cache = {"y": 2}
    with pytest.raises(CreateError):
        clash.save(must_create=True)
    assert SessionStore(session_key=store.session_key)["x"] == 1
