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
    "SECRET_KEY": "k" * 50,
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
