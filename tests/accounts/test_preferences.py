"""A reader's library view is kept on their account, on the ORM and on DynamoDB."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("both_modes")


def test_a_new_reader_sees_the_grid():
    assert User.objects.get_by_id(UserFactory().pk).library_view == "grid"


def test_the_choice_is_stored_for_that_reader_only():
    reader, other = UserFactory(), UserFactory()
    assert services.user_set_library_view(user=reader, view="list") == "list"
    assert reader.library_view == "list"
    assert User.objects.get_by_id(reader.pk).library_view == "list"
    assert User.objects.get_by_id(other.pk).library_view == "grid"
    services.user_set_library_view(user=reader, view="grid")
    assert User.objects.get_by_id(reader.pk).library_view == "grid"


def test_the_choice_survives_other_changes_to_the_account():
    reader = UserFactory()
    services.user_set_library_view(user=reader, view="list")
    loaded = User.objects.get_by_id(reader.pk)
    loaded.first_name = "Ann"
    loaded.save()
    again = User.objects.get_by_id(reader.pk)
    assert (again.first_name, again.library_view) == ("Ann", "list")


def test_an_unknown_view_is_refused_and_nothing_changes():
    reader = UserFactory()
    with pytest.raises(ValidationError, match="grid or list"):
        services.user_set_library_view(user=reader, view="carousel")
    assert User.objects.get_by_id(reader.pk).library_view == "grid"


def test_the_backend_method_refuses_a_departed_account():
    reader = UserFactory()
    gone = User.objects.get_by_id(reader.pk)
    gone.delete()
    with pytest.raises(User.DoesNotExist):
        User.objects.set_library_view(reader, "list")
