"""The user manager contract, on the ORM and on DynamoDB (moto) alike."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.usefixtures("both_modes")
PASSWORD = "a long passphrase 9"


def _create(username="Ann", email="ann@example.com"):
    with transaction.atomic():
        return User.objects.create_user(username, email, PASSWORD)


def test_create_assigns_an_id_and_the_user_can_be_found_again():
    user = _create()
    assert user.pk
    found = User.objects.get_by_id(user.pk)
    assert (found.username, found.email) == ("Ann", "ann@example.com")
    assert found.check_password(PASSWORD)
    assert User.objects.get_by_natural_key("aNN").pk == user.pk


def test_unknown_users_raise_does_not_exist():
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_id(999999)
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_id("not a number")
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("nobody")


@pytest.mark.parametrize(
    ("username", "email"), [("ANN", "x@example.com"), ("Bob", "ANN@example.com")]
)
def test_usernames_and_emails_stay_unique_whatever_their_case(username, email):
    _create()
    with pytest.raises(IntegrityError):
        _create(username, email)
    assert (
        User.objects.username_taken("ann")
        and User.objects.email_taken("ANN@x.y") is False
    )
    assert User.objects.email_taken("Ann@Example.com")


def test_taken_checks_ignore_the_user_themselves():
    user = _create()
    assert not User.objects.username_taken("ann", exclude_pk=user.pk)
    assert not User.objects.email_taken("ann@example.com", exclude_pk=user.pk)


def test_changing_email_frees_the_old_one():
    user = _create()
    user.email = "new@example.com"
    user.save()
    assert User.objects.get_by_id(user.pk).email == "new@example.com"
    assert not User.objects.email_taken("ann@example.com")
    other = _create("Bob", "ann@example.com")
    assert other.pk != user.pk


def test_saving_some_fields_keeps_the_others():
    user = _create()
    user.last_login = timezone.now()
    user.first_name = "not saved"
    user.save(update_fields=["last_login"])
    stored = User.objects.get_by_id(user.pk)
    assert stored.last_login is not None and stored.first_name == ""


def test_password_reset_finds_active_users_by_email():
    user = _create()
    assert [u.pk for u in User.objects.active_with_email("ANN@example.com")] == [
        user.pk
    ]
    user.is_active = False
    user.save()
    assert User.objects.active_with_email("ann@example.com") == []


def test_delete_frees_the_username():
    user = _create()
    user.delete()
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("ann")
    assert _create().pk


def test_all_users_lists_every_account_and_nothing_else():
    ann, bob = _create(), _create("Bob", "bob@example.com")
    listed = {user.pk: user.username for user in User.objects.all_users()}
    assert listed == {ann.pk: "Ann", bob.pk: "Bob"}
