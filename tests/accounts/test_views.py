import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.factories import UserBookFactory, UserFactory

# Every account page, on the ORM backends and on DynamoDB (moto).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
User = get_user_model()
PASSWORD = "a-long enough passphrase 42"


def _signup(client, username="Reader", email="reader@example.com", **extra):
    data = {
        "username": username,
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post(reverse("accounts:signup"), data)


def test_signup_logs_in_and_goes_home(client):
    response = _signup(client)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/books/").status_code == 200


def test_signup_honours_a_safe_next_only(client):
    assert _signup(client, next="/books/add/")["Location"] == "/books/add/"
    client.logout()
    response = _signup(client, "Other", "o@example.com", next="https://evil.test/")
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("READER", "new@example.com", "That username is taken"),
        ("someone", "Reader@Example.COM", "An account with that email already exists"),
    ],
)
def test_usernames_and_emails_are_unique_ignoring_case(
    client, username, email, message
):
    _signup(client)
    client.logout()
    response = _signup(client, username, email)
    assert response.status_code == 200
    assert message in response.content.decode()
    # The second sign-up created nothing: neither its new username nor its email.
    assert not User.objects.username_taken("someone")
    assert not User.objects.email_taken("new@example.com")


def test_the_database_refuses_case_variants_too():
    from django.db import IntegrityError, transaction

    User.objects.create_user("Ann", "ann@example.com", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ANN", "other@example.com", PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("Bob", "ANN@example.com", PASSWORD)


def test_login_ignores_username_case_and_returns_to_next(client):
    UserFactory(username="Mixed", password=PASSWORD)
    response = client.post(
        "/login/?next=/books/",
        {"username": "mIXED", "password": PASSWORD, "next": "/books/"},
    )
    assert response.status_code == 302 and response["Location"] == "/books/"


def test_wrong_password_says_so(client):
    UserFactory(username="ann", password=PASSWORD)
    response = client.post("/login", {"username": "ann", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_is_post_only(user_client):
    assert user_client.get("/logout/").status_code == 405
    assert user_client.post("/logout/").status_code == 302
    assert user_client.get("/books/").status_code == 302


def test_password_change(client):
    user = UserFactory(password=PASSWORD)
    client.force_login(user)
    response = client.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another fine phrase 7",
            "new_password2": "another fine phrase 7",
        },
    )
    assert response.status_code == 302
    user = User.objects.get_by_id(user.pk)
    assert user.check_password("another fine phrase 7")


def test_password_reset_by_email_end_to_end(client):
    user = UserFactory(email="Reset.Me@example.com", password=PASSWORD)
    response = client.post(
        reverse("accounts:password-reset"), {"email": "reset.me@EXAMPLE.com"}
    )
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password/reset/\S+)", mail.outbox[0].body)[1]
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "brand new phrase 99",
            "new_password2": "brand new phrase 99",
        },
    )
    assert done["Location"] == reverse("accounts:password-reset-complete")
    user = User.objects.get_by_id(user.pk)
    assert user.check_password("brand new phrase 99")


def test_password_reset_for_an_unknown_email_reveals_nothing(client):
    response = client.post(
        reverse("accounts:password-reset"), {"email": "no@example.com"}
    )
    assert response.status_code == 302 and mail.outbox == []


def test_profile_edits_name_and_refuses_a_taken_email(user_client, user):
    UserFactory(email="taken@example.com")
    response = user_client.post(
        reverse("accounts:profile"),
        {"first_name": "Ada", "last_name": "L", "email": "TAKEN@example.com"},
    )
    assert "Another account already uses that email" in response.content.decode()
    response = user_client.post(
        reverse("accounts:profile"),
        {"first_name": "Ada", "last_name": "L", "email": user.email},
    )
    assert response.status_code == 302
    user = User.objects.get_by_id(user.pk)
    assert user.first_name == "Ada"


def test_argon2_is_the_first_password_hasher():
    from booklibrary.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.AUTH_USER_MODEL == "accounts.User"


def test_profile_counts_every_status_and_they_add_up_to_the_total(user_client, user):
    for status in ("want", "reading", "read", "dnf", "dnf"):
        UserBookFactory(user=user, status=status)
    body = user_client.get(reverse("accounts:profile")).content.decode()
    rows = {
        label.strip(): int(count)
        for label, count in re.findall(r"\n\s*([^<>\n]+?) <span>(\d+)</span>", body)
    }
    assert rows["Books"] == 5 and rows["Did not finish"] == 2
    statuses = ["Want to read", "Reading", "Read", "Did not finish"]
    assert sum(rows[label] for label in statuses) == rows["Books"]
