"""Usernames and emails are one account whatever their Unicode case or form.

The store itself refuses the second account (unique folded keys on SQL, claim
items on DynamoDB), so a sign-up racing past the form's check ends in a form
error too, never a second account or a server error.
"""

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.keys import fold
from accounts.models import User, UserManager

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
PASSWORD = "a-long enough passphrase 42"


def _signup(client, username, email):
    data = {
        "username": username,
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return client.post(reverse("accounts:signup"), data)


def _create(username, email):
    with transaction.atomic():
        return User.objects.create_user(username, email, PASSWORD)


def _accounts() -> list[str]:
    return sorted(user.username for user in User.objects.all_users())


def test_fold_ignores_unicode_case_and_compatibility_forms():
    assert fold("Élise") == fold("élise") == fold("E\u0301LISE") == "élise"
    assert fold("ＡＮＮ") == fold("ann") and fold("Straße") == fold("STRASSE")
    assert fold("Ǆemal") == fold("ǆemal") == fold("DŽEMAL")


@pytest.mark.parametrize(
    "second", ["élise", "ÉLISE", "E\u0301lise", "ｅ\u0301ｌｉｓｅ"]
)
def test_signing_up_as_another_case_of_a_taken_name_is_refused(client, second):
    assert _signup(client, "Élise", "elise@example.com").status_code == 302
    client.logout()
    response = _signup(client, second, "other@example.com")
    assert response.status_code == 200
    assert "That username is taken" in response.content.decode()
    assert _accounts() == ["Élise"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Élise", "e@example.com"), ("élise", "f@example.com")),
        (("Dženan", "d@example.com"), ("DŽENAN", "g@example.com")),
        (("ann", "ann@straße.example"), ("bob", "ANN@STRASSE.example")),
        (("ann", "ann@example.com"), ("bob", "ann@ｅｘａｍｐｌｅ.com")),
    ],
)
def test_the_store_itself_refuses_a_second_account_with_a_folded_name(first, second):
    _create(*first)
    with pytest.raises(IntegrityError):
        _create(*second)
    assert _accounts() == [first[0]]


@pytest.mark.parametrize("typed", ["Élise", "élise", "ÉLISE", "E\u0301lise"])
def test_logging_in_by_any_case_of_the_name(client, typed):
    _create("Élise", "elise@example.com")
    user = authenticate(username=typed, password=PASSWORD)
    assert user is not None and user.username == "Élise"
    response = client.post(
        reverse("accounts:login"), {"username": typed, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_password_reset_finds_the_account_by_any_case_of_its_email():
    user = _create("ann", "ann@Éxample.com")
    found = User.objects.active_with_email("ANN@éXAMPLE.COM")
    assert [u.pk for u in found] == [user.pk]


def test_renaming_frees_the_old_name_and_claims_the_new_one():
    user = _create("Élise", "elise@example.com")
    user.username = "Zoé"
    user.save()
    assert User.objects.username_taken("ZOÉ")
    assert not User.objects.username_taken("élise")
    assert _create("élise", "x@example.com").pk != user.pk
    with pytest.raises(IntegrityError):
        _create("zoé", "y@example.com")


@pytest.fixture
def check_passes(monkeypatch):
    """The form's checks ran before the other sign-up was stored: they saw nothing.

    Each check's first call answers "free"; later calls (after the store has
    refused the save) see the store as it is.
    """
    for name in ("username_taken", "email_taken"):
        real = getattr(UserManager, name)
        calls = []

        def first_sees_nothing(self, *args, _real=real, _calls=calls, **kwargs):
            _calls.append(args)
            return False if len(_calls) == 1 else _real(self, *args, **kwargs)

        monkeypatch.setattr(UserManager, name, first_sees_nothing)


def test_a_sign_up_racing_past_the_check_gets_a_form_error(client, check_passes):
    _create("Élise", "elise@example.com")
    response = _signup(client, "élise", "other@example.com")
    assert response.status_code == 200
    body = response.content.decode()
    assert "That username is taken" in body and 'value="élise"' in body
    assert _accounts() == ["Élise"]
    assert not client.session.get("_auth_user_id")


def test_an_email_racing_past_the_check_gets_a_form_error(client, check_passes):
    _create("Élise", "elise@example.com")
    response = _signup(client, "someone", "ELISE@example.com")
    assert response.status_code == 200
    assert "An account with that email already exists" in response.content.decode()
    assert _accounts() == ["Élise"]


def test_a_profile_email_racing_past_the_check_gets_a_form_error(client, check_passes):
    _create("Élise", "elise@example.com")
    bob = _create("bob", "bob@example.com")
    client.force_login(bob)
    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Bob", "last_name": "", "email": "Elise@example.com"},
    )
    assert response.status_code == 200
    assert "Another account already uses that email" in response.content.decode()
    assert User.objects.get_by_id(bob.pk).email == "bob@example.com"
