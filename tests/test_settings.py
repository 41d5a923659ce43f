"""Settings behaviour that only shows when a settings module is imported afresh."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run_settings(module: str, env: dict, code: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in AWS_ENV}
    clean.update(env, DJANGO_SETTINGS_MODULE=module, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=clean,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_local_secret_key_is_generated_once_and_kept(tmp_path):
    show = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {"DATA_DIR": str(tmp_path)}
    first = _run_settings("booklibrary.settings.local", env, show)
    second = _run_settings("booklibrary.settings.local", env, show)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout.strip()) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


AWS_ENV = {
    "SECRET_KEY": "settings-test-" + "0123456789abcdefghij" * 3,
    "ALLOWED_HOSTS": "x",
    "JOBS_QUEUE_URL": "https://sqs.us-west-2.amazonaws.com/1/BookLibrary-Jobs-dev",
    "MEDIA_BUCKET": "booklibrary-media-dev",
}


@pytest.mark.parametrize("missing", sorted(AWS_ENV))
def test_aws_settings_refuse_to_start_without_a_required_value(missing):
    env = {k: v for k, v in AWS_ENV.items() if k != missing}
    result = _run_settings("booklibrary.settings.aws", env, "pass")
    assert result.returncode != 0
    assert missing in result.stderr


def test_aws_settings_use_secure_cookies():
    show = (
        "from django.conf import settings; "
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)"
    )
    result = _run_settings("booklibrary.settings.aws", AWS_ENV, show)
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_database_url_is_honoured(tmp_path):
    show = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])"
    )
    result = _run_settings(
        "booklibrary.settings.local",
        {"DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@127.0.0.1:5432/test"},
        show,
    )
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr


@pytest.mark.django_db
def test_passwords_are_stored_with_argon2(settings):
    from booklibrary.settings import base
    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    user = UserFactory(password="some long passphrase")
    assert user.password.startswith("argon2$")
    assert user.check_password("some long passphrase")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("catalog.backends.nowhere.Backend", "cannot be imported"),
        ("catalog.models.Book", "is not a CatalogBackend"),
        ("catalog.backends.base.listing_fields", "is not a CatalogBackend"),
    ],
)
def test_a_wrong_backend_setting_says_what_is_wrong(settings, path, message):
    from django.core.exceptions import ImproperlyConfigured

    from catalog.backends import get_backend

    settings.CATALOG_BACKEND = path
    with pytest.raises(ImproperlyConfigured, match=message):
        get_backend()


@pytest.mark.parametrize(
    "key",
    [
        "short-but-random-Zq8",
        "k" * 64,  # long, but one character
        "django-insecure-" + "0123456789abcdefghij" * 3,
    ],
)
def test_aws_settings_refuse_a_weak_secret_key(key):
    result = _run_settings(
        "booklibrary.settings.aws", {**AWS_ENV, "SECRET_KEY": key}, ""
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is too weak" in result.stderr


@pytest.mark.parametrize("hosts", ["*", "books.example.org,*", "*.example.org", ""])
def test_aws_settings_refuse_wildcard_or_empty_allowed_hosts(hosts):
    env = {**AWS_ENV, "ALLOWED_HOSTS": hosts}
    result = _run_settings("booklibrary.settings.aws", env, "")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must name the site's host names" in result.stderr


def test_check_deploy_passes_with_the_readmes_aws_environment(tmp_path):
    # Step 7's variables, nothing more (no DATA_DIR, no SMTP): no error, no warning.
    env = {
        "DJANGO_SETTINGS_MODULE": "booklibrary.settings.aws",
        "SECRET_KEY": AWS_ENV["SECRET_KEY"],
        "ALLOWED_HOSTS": "abc123defg.execute-api.us-west-2.amazonaws.com",
        "JOBS_QUEUE_URL": AWS_ENV["JOBS_QUEUE_URL"],
        "MEDIA_BUCKET": AWS_ENV["MEDIA_BUCKET"],
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_aws_policy_lets_images_come_from_the_media_bucket_only():
    show = (
        "from django.conf import settings; "
        "print(' '.join(settings.SECURE_CSP['img-src']))"
    )
    result = _run_settings("booklibrary.settings.aws", AWS_ENV, show)
    assert result.stdout.split() == [
        "'self'",
        "data:",
        "blob:",
        "https://booklibrary-media-dev.s3.amazonaws.com",
        "https://booklibrary-media-dev.s3.us-west-2.amazonaws.com",
    ], result.stderr


def test_aws_mail_without_smtp_is_not_written_to_the_logs(caplog):
    from django.core.mail import EmailMessage

    from booklibrary.mail import UnsentMailBackend

    message = EmailMessage("Reset", "secret-link-123", to=["a@example.org"])
    assert UnsentMailBackend().send_messages([message]) == 0
    assert "no SMTP_HOST" in caplog.text and "secret-link-123" not in caplog.text


def test_aws_media_is_private_and_reached_by_signed_urls():
    show = (
        "from django.conf import settings; "
        "o = settings.STORAGES['default']['OPTIONS']; "
        "print(o['default_acl'], o['querystring_auth'], o['querystring_expire'], "
        "settings.SERVE_MEDIA)"
    )
    result = _run_settings("booklibrary.settings.aws", AWS_ENV, show)
    assert result.stdout.split() == ["None", "True", "3600", "False"], result.stderr


def test_trusted_proxies_come_from_the_environment_and_are_checked(tmp_path):
    show = "from django.conf import settings; print(settings.TRUSTED_PROXIES)"
    env = {"DATA_DIR": str(tmp_path), "TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"}
    result = _run_settings("booklibrary.settings.local", env, show)
    assert result.stdout.strip() == "['127.0.0.1', '10.0.0.0/8']", result.stderr
    env["TRUSTED_PROXIES"] = "127.0.0.1,localhost"
    refused = _run_settings("booklibrary.settings.local", env, show)
    assert refused.returncode != 0
    assert "TRUSTED_PROXIES: 'localhost' is not an IP address" in refused.stderr
    # On AWS the client's address is API Gateway's source IP: no proxy is trusted.
    aws = {**AWS_ENV, "TRUSTED_PROXIES": "0.0.0.0/0"}
    assert _run_settings("booklibrary.settings.aws", aws, show).stdout.strip() == "[]"


def test_aws_exports_fit_a_lambda_response_or_go_through_s3():
    show = (
        "from django.conf import settings as s; "
        "print(s.EXPORT_TO_STORAGE, s.EXPORT_INLINE_MAX_BYTES, s.EXPORT_URL_SECONDS)"
    )
    result = _run_settings("booklibrary.settings.aws", AWS_ENV, show)
    on, inline, seconds = result.stdout.split()
    assert on == "True", result.stderr
    # A ZIP answered directly goes out in base64, a third larger, headers too.
    assert int(inline) * 4 / 3 + 64 * 1024 < 6 * 1024 * 1024
    assert 0 < int(seconds) <= 15 * 60
