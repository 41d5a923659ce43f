"""The front door's throttles: failed logins, reset mails, sign-ups (both modes)."""

import time

import pytest
from django.core import mail
from django.urls import reverse

from accounts import throttling
from accounts.throttling import Counter, Throttled
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
PASSWORD = "a-long enough passphrase 42"
TOO_MANY = "Too many attempts; try again in"


def _login(client, username, password, url=None, addr="198.51.100.7"):
    return client.post(
        url or reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=addr,
    )


def test_ten_failed_logins_lock_the_account_for_fifteen_minutes(client):
    UserFactory(username="ann", password=PASSWORD)
    for _ in range(10):
        response = _login(client, "ann", "wrong")
        assert "Please enter a correct username" in response.content.decode()
    # Even the right password is refused now, from anywhere, whatever the case.
    response = _login(client, "ANN", PASSWORD, addr="203.0.113.9")
    assert response.status_code == 200
    assert "Too many attempts; try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_login_clears_the_accounts_failures(client):
    UserFactory(username="ann", password=PASSWORD)
    for _ in range(9):
        _login(client, "ann", "wrong")
    assert _login(client, "ann", PASSWORD).status_code == 302
    client.logout()
    for _ in range(9):
        _login(client, "ann", "wrong")
    assert _login(client, "ann", PASSWORD).status_code == 302


def test_thirty_failures_from_one_address_lock_that_address_only(client, settings):
    UserFactory(username="ann", password=PASSWORD)
    for n in range(30):
        _login(client, f"nobody{n}", "wrong")
    blocked = _login(client, "ann", PASSWORD)
    assert TOO_MANY in blocked.content.decode()
    assert _login(client, "ann", PASSWORD, addr="203.0.113.9").status_code == 302


def test_the_admin_login_is_throttled_too(client):
    UserFactory(username="boss", password=PASSWORD, is_staff=True)
    url = reverse("admin:login")
    for _ in range(10):
        assert _login(client, "boss", "wrong", url=url).status_code == 200
    response = _login(client, "boss", PASSWORD, url=url)
    assert TOO_MANY in response.content.decode()
    # The login page shares the count: the account is locked there as well.
    assert TOO_MANY in _login(client, "boss", PASSWORD).content.decode()


def test_the_lock_ends_with_its_window(client, settings):
    settings.THROTTLE_RULES = {**settings.THROTTLE_RULES, "login-account": (2, 2)}
    UserFactory(username="ann", password=PASSWORD)
    _login(client, "ann", "wrong")
    _login(client, "ann", "wrong")
    assert "try again in 1 minute." in _login(client, "ann", PASSWORD).content.decode()
    time.sleep(2.1)
    assert _login(client, "ann", PASSWORD).status_code == 302


def _reset(client, email, addr="198.51.100.7"):
    return client.post(
        reverse("accounts:password-reset"), {"email": email}, REMOTE_ADDR=addr
    )


@pytest.mark.parametrize("known", [True, False])
def test_three_reset_mails_an_hour_per_address_known_or_not(client, known):
    if known:
        UserFactory(email="ann@example.com", password=PASSWORD)
    done = reverse("accounts:password-reset-done")
    for n in range(3):
        response = _reset(client, "ann@example.com", addr=f"198.51.100.{n}")
        assert response.status_code == 302 and response["Location"] == done
    assert len(mail.outbox) == (3 if known else 0)
    refused = _reset(client, "ANN@example.com", addr="203.0.113.9")
    assert refused.status_code == 200
    assert "Too many attempts; try again in 60 minutes." in refused.content.decode()
    assert 'value="ANN@example.com"' in refused.content.decode()  # kept as typed
    assert len(mail.outbox) == (3 if known else 0)


def test_reset_requests_are_throttled_per_client(client):
    for n in range(10):
        assert _reset(client, f"someone{n}@example.com").status_code == 302
    assert TOO_MANY in _reset(client, "another@example.com").content.decode()
    assert _reset(client, "another@example.com", addr="203.0.113.9").status_code == 302


def test_reset_answers_known_and_unknown_addresses_alike(client):
    UserFactory(email="ann@example.com", password=PASSWORD)
    known = _reset(client, "ann@example.com", addr="198.51.100.1")
    unknown = _reset(client, "nobody@example.com", addr="198.51.100.2")
    assert (known.status_code, known["Location"]) == (
        unknown.status_code,
        unknown["Location"],
    )
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def _signup(client, n, addr="198.51.100.7"):
    return client.post(
        reverse("accounts:signup"),
        {
            "username": f"new{n}",
            "email": f"new{n}@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        REMOTE_ADDR=addr,
    )


def test_sign_ups_are_throttled_per_client(client):
    from django.contrib.auth import get_user_model

    for n in range(10):
        assert _signup(client, n).status_code == 302
        client.logout()
    refused = _signup(client, 10)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Too many attempts; try again in 60 minutes." in page
    assert 'value="new10"' in page  # what was typed is kept
    assert not get_user_model().objects.username_taken("new10")
    assert _signup(client, 11, addr="203.0.113.9").status_code == 302


def test_the_message_rounds_up_to_whole_minutes():
    assert Throttled(1).message == "Too many attempts; try again in 1 minute."
    assert Throttled(60).message == "Too many attempts; try again in 1 minute."
    assert Throttled(61).message == "Too many attempts; try again in 2 minutes."
    assert Throttled(719.2).message == "Too many attempts; try again in 12 minutes."


def test_the_wait_is_the_longest_of_the_counters_refusing(settings):
    settings.THROTTLE_RULES = {
        **settings.THROTTLE_RULES,
        "login-account": (1, 120),
        "login-client": (1, 900),
    }
    account = Counter(throttling.LOGIN_ACCOUNT, "ann")
    client = Counter(throttling.LOGIN_CLIENT, "198.51.100.7")
    throttling.hit(account, client)
    with pytest.raises(Throttled) as refused:
        throttling.check(account, client)
    assert 890 <= refused.value.retry_after <= 900
    throttling.reset(account)
    with pytest.raises(Throttled):
        throttling.check(client)
    throttling.check(account)


def test_reset_does_the_same_work_in_the_request_for_known_and_unknown(
    client, settings
):
    from django.tasks import task_backends

    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    UserFactory(email="ann@example.com", password=PASSWORD)
    _reset(client, "ann@example.com", addr="198.51.100.1")
    _reset(client, "nobody@example.com", addr="198.51.100.2")
    queued = task_backends["default"].results
    assert [(r.task.name, r.kwargs["email"]) for r in queued] == [
        ("password_reset_mail", "ann@example.com"),
        ("password_reset_mail", "nobody@example.com"),
    ]
    assert mail.outbox == []  # nothing is sent while the visitor waits
    for result in queued:
        result.task.call(*result.args, **result.kwargs)
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_the_account_lock_holds_for_every_spelling_that_logs_in(client):
    UserFactory(username="jessica", password=PASSWORD)
    for _ in range(10):
        _login(client, "jessica", "wrong")
    # "jeßica" and "ＪＥＳＳＩＣＡ" fold to "jessica": the same account, the same lock.
    for spelling in ("jeßica", "ＪＥＳＳＩＣＡ"):
        response = _login(client, spelling, PASSWORD, addr="203.0.113.9")
        assert TOO_MANY in response.content.decode()
        assert "_auth_user_id" not in client.session


def test_failures_under_another_spelling_count_against_the_account(client):
    UserFactory(username="jessica", password=PASSWORD)
    for n in range(10):
        _login(client, "jeßica" if n % 2 else "JESSICA", "wrong")
    assert TOO_MANY in _login(client, "jessica", PASSWORD).content.decode()


def test_the_reset_limit_holds_for_every_spelling_of_the_address(client):
    UserFactory(email="jessica@example.com", password=PASSWORD)
    for n in range(3):
        _reset(client, "jessica@example.com", addr=f"198.51.100.{n}")
    # Full-width letters fold to ASCII: the same address, the same limit.
    refused = _reset(client, "jessica@ｅｘａｍｐｌｅ.com", addr="203.0.113.9")
    assert TOO_MANY in refused.content.decode()
    assert len(mail.outbox) == 3


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.THROTTLE_RULES = {**settings.THROTTLE_RULES, "login-client": (2, 900)}
    UserFactory(username="ann", password=PASSWORD)
    for n in range(2):
        client.post(
            reverse("accounts:login"),
            {"username": f"nobody{n}", "password": "wrong"},
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"6.6.6.{n}",
        )
    refused = client.post(
        reverse("accounts:login"),
        {"username": "ann", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="6.6.6.9",
    )
    assert TOO_MANY in refused.content.decode()


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(client, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    settings.THROTTLE_RULES = {**settings.THROTTLE_RULES, "login-client": (2, 900)}
    UserFactory(username="ann", password=PASSWORD)

    def through_proxy(username, password, forwarded):
        return client.post(
            reverse("accounts:login"),
            {"username": username, "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    # The client forges the left-most entry; the proxies append the real one.
    for n in range(2):
        through_proxy(f"nobody{n}", "wrong", f"6.6.6.{n}, 198.51.100.7, 10.1.2.3")
    blocked = through_proxy("ann", PASSWORD, "6.6.6.9, 198.51.100.7, 10.1.2.3")
    assert TOO_MANY in blocked.content.decode()
    # Another client behind the same proxy is not locked out.
    assert through_proxy("ann", PASSWORD, "203.0.113.9").status_code == 302


def test_the_client_address_reads_forwarded_for_only_from_trusted_proxies(settings):
    from django.test import RequestFactory

    def address(peer, forwarded=None):
        extra = {"REMOTE_ADDR": peer}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return throttling.client_address(RequestFactory().get("/", **extra))

    settings.TRUSTED_PROXIES = []
    assert address("127.0.0.1", "203.0.113.9") == "127.0.0.1"
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.0.0.0/8"]
    assert address("198.51.100.7", "6.6.6.6") == "198.51.100.7"
    assert address("127.0.0.1", "6.6.6.6, 203.0.113.9") == "203.0.113.9"
    assert address("::1", "203.0.113.9, 10.0.0.2") == "203.0.113.9"
    assert address("127.0.0.1", "10.0.0.3, 10.0.0.2") == "10.0.0.3"
    assert address("127.0.0.1") == "127.0.0.1"
