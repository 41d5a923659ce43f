"""Sign-up and log-in input that once gave a server error."""

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
PASSWORD = "a-long enough passphrase 42"


@pytest.mark.parametrize("target", ["0", "home", "catalog:book-list", "javascript:x"])
def test_a_next_that_is_not_a_path_goes_home(client, target):
    data = {
        "username": "Reader",
        "email": "reader@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "next": target,
    }
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 302 and response["Location"] == "/"


def test_logging_in_with_a_name_longer_than_any_is_refused(client):
    response = client.post(
        reverse("accounts:login"), {"username": "{{ x }}" * 292, "password": " x"}
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
