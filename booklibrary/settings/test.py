"""Test settings: fast hashing, in-memory mail, throwaway media."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import (
    FILESYSTEM_BROKER_TRANSPORT,
    env,
    filesystem_broker_options,
    sqlite_for_several_processes,
)

SECRET_KEY = "test-only-not-secret"  # noqa: S105
# A file, so that a real worker process (browser and worker tests) can share
# the test database; TEST_DATABASE_URL points such a worker straight at it.
TEST_DB_FILE = Path(tempfile.mkdtemp(prefix="booklibrary-test-db-")) / "test.sqlite3"
DATABASES = {
    "default": sqlite_for_several_processes(
        env.db_url("TEST_DATABASE_URL", default=f"sqlite:///{TEST_DB_FILE}")
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("TEST", {"NAME": str(TEST_DB_FILE)})
else:
    # A server several runs share (PostgreSQL): each makes a database of its own.
    DATABASES["default"].setdefault("TEST", {"NAME": f"test_booklibrary_{os.getpid()}"})
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = Path(
    env.str("MEDIA_ROOT", default=tempfile.mkdtemp(prefix="booklibrary-test-media-"))
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="booklibrary-test-static-"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# A worker started by a test may queue its retries as in use (TEST_TASKS_BACKEND).
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TEST_TASKS_BACKEND",
            default="django.tasks.backends.immediate.ImmediateBackend",
        )
    }
}
# A worker started by a test gets its broker folder through the environment.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
if env.str("CELERY_BROKER_DIR", default=""):
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(
        Path(env.str("CELERY_BROKER_DIR"))
    )
    CELERY_BROKER_TRANSPORT = FILESYSTEM_BROKER_TRANSPORT
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# A worker started by a test may be told to wait between tries, as in use.
METADATA_RETRY_BASE_SECONDS = env.float("TEST_METADATA_RETRY_BASE_SECONDS", default=0.0)
# No test reaches the internet: providers default to a closed local port, and
# tests that need answers start the fake provider server.
OPENLIBRARY_URL = OPENLIBRARY_COVERS_URL = GOOGLE_BOOKS_URL = env.str(
    "TEST_PROVIDER_URL", default="http://127.0.0.1:9"
)
METADATA_HTTP_BACKOFF_SECONDS = 0.0
# Each test starts with an empty cache (tests/conftest.py clears it).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
