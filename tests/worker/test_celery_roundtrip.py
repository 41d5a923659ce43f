"""A real Celery worker runs a real job: on the embedded broker and on Redis.

The app and the worker are separate processes sharing a SQLite file, as under
`make run`; metadata comes from the fake provider server on 127.0.0.1.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fake_provider import FakeProviderServer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DUNE = "9780441172719"
FOX = "9780140328721"


def _redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _brokers():
    yield pytest.param("filesystem://", id="embedded")
    marks = []
    if not _redis_available() and not os.environ.get("CI"):
        marks = [pytest.mark.skip(reason="no Redis on 127.0.0.1:6379")]
    yield pytest.param("redis://127.0.0.1:6379/15", id="redis", marks=marks)


@pytest.fixture
def provider():
    with FakeProviderServer() as server:
        yield server


@pytest.fixture(params=list(_brokers()))
def app_env(request, tmp_path, provider):
    broker = request.param
    if broker.startswith("redis://"):
        import redis

        redis.Redis.from_url(broker).flushdb()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "booklibrary.settings.local",
        "DATA_DIR": str(tmp_path),
        "CELERY_BROKER_URL": broker,
        "OPENLIBRARY_URL": provider.url,
        "OPENLIBRARY_COVERS_URL": provider.url,
        "GOOGLE_BOOKS_URL": provider.url,
        "METADATA_RETRY_BASE_SECONDS": "1",
    }
    env.pop("DATABASE_URL", None)
    _manage(env, "migrate", "--noinput")
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "booklibrary",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield env, tmp_path
    worker.terminate()
    worker.wait(timeout=20)
    log.close()


def _manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def _add_books(env, *isbns):
    code = (
        "from accounts.models import User; from catalog import services; "
        "u, _ = User.objects.get_or_create(username='reader'); "
        + "; ".join(f"services.userbook_add(user=u, isbn='{i}')" for i in isbns)
    )
    _manage(env, "shell", "-c", code)


def _book(data_dir, key):
    with sqlite3.connect(data_dir / "db.sqlite3") as db:
        return db.execute(
            "SELECT metadata_status, title, cover, metadata_error FROM catalog_book "
            "WHERE key = ?",
            (key,),
        ).fetchone()


def _wait_for(data_dir, key, statuses, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = _book(data_dir, key)
        if row and row[0] in statuses:
            return row
        time.sleep(0.3)
    log = (data_dir / "worker.log").read_text()[-3000:]
    pytest.fail(f"{key} stayed {row!r}; worker log:\n{log}")


def test_the_worker_fetches_details_for_added_books(app_env):
    env, data_dir = app_env
    _add_books(env, DUNE, FOX)
    status, title, cover, _ = _wait_for(data_dir, DUNE, {"complete", "failed"})
    assert (status, title) == ("complete", "Dune")
    assert cover.startswith("covers/")
    assert (data_dir / "media" / cover).exists()
    assert _wait_for(data_dir, FOX, {"complete"})[1] == "Fantastic Mr. Fox"


def test_an_outage_is_retried_with_backoff_then_succeeds(app_env, provider):
    env, data_dir = app_env
    provider.fail_isbns.add(DUNE)
    _add_books(env, DUNE)
    time.sleep(1.5)  # the first attempt meets the outage
    assert _book(data_dir, DUNE)[0] == "pending"
    provider.fail_isbns.discard(DUNE)
    assert _wait_for(data_dir, DUNE, {"complete", "failed"})[:2] == ("complete", "Dune")
