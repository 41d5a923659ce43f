"""The jobs a person waits for never queue behind bulk details lookups.

An import queues hundreds of ``fetch_metadata`` jobs; another reader's import
queued after them must start at once. Locally the details go to Celery's
"background" queue, which the worker consumes in turn with the default one;
on AWS the worker runs a batch's other jobs before its background ones.
"""

import json
import os
import sqlite3
import subprocess
import time
from unittest import mock

import pytest

from booklibrary.celery import app
from tests.fake_provider import FakeProviderServer, isbn13_for
from tests.worker.test_celery_roundtrip import BIN, ROOT, _manage
from worker import jobs, tasks
from worker.sqs_handler import handle

CELERY_BACKEND = "worker.backends.celery.CeleryTaskBackend"


@pytest.fixture
def celery_backend(settings):
    settings.TASKS = {"default": {"BACKEND": CELERY_BACKEND}}
    with mock.patch("booklibrary.celery.run_job.apply_async") as send:
        yield send


def test_details_jobs_go_to_the_background_queue_the_rest_to_the_default(
    celery_backend,
):
    tasks.fetch_metadata.enqueue(["book-1"])
    tasks.run_import.enqueue(1, "import-1", False)
    tasks.run_tag_job.enqueue(1, "token")
    queues = [call.kwargs.get("queue") for call in celery_backend.call_args_list]
    # No queue named: Celery's default queue ("celery").
    assert queues == ["background", None, None]
    assert app.conf.task_default_queue == "celery"


def test_a_details_retry_goes_to_the_background_queue_too(celery_backend):
    tasks.enqueue_later(tasks.fetch_metadata, 30, ["book-1"], 2)
    (call,) = celery_backend.call_args_list
    assert call.kwargs["queue"] == "background"
    assert "eta" in call.kwargs


def test_every_worker_consumes_both_queues_one_job_per_slot():
    assert set(app.amqp.queues) == {"celery", "background"}
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_acks_late is True


def _record(message_id, task, *args):
    body = json.dumps(jobs.encode(task, args, {}))
    return {"messageId": message_id, "body": body}


def test_the_aws_worker_runs_a_batchs_background_jobs_last():
    records = [
        _record("fetch-1", tasks.fetch_metadata, ["a"]),
        _record("fetch-2", tasks.fetch_metadata, ["b"]),
        {"messageId": "poison", "body": "{not json"},
        _record("import", tasks.run_import, 1, "import-1", False),
        _record("fetch-3", tasks.fetch_metadata, ["c"]),
    ]
    ran = []

    def run(message):
        ran.append(message["args"][0])
        if message["args"][0] == ["b"]:
            raise RuntimeError("the provider broke")

    with mock.patch.object(jobs, "run", run):
        answer = handle({"Records": records}, None)

    assert ran == [1, ["a"], ["b"], ["c"]]
    failed = [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]
    assert failed == ["fetch-2", "poison"]  # reported in the batch's order


# A real worker, one slot, busy with slow details jobs


SLOW_BOOKS = [isbn13_for(n) for n in range(1, 7)]
IMPORTED = ["9780441172719", "9780140328721", "9780261103573", "9780547928227"]


@pytest.fixture
def busy_worker(tmp_path):
    provider = FakeProviderServer().start()
    provider.slow_isbns.update(SLOW_BOOKS)
    provider.delay = 2.0
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "booklibrary.settings.local",
        "DATA_DIR": str(tmp_path),
        "CELERY_BROKER_URL": "filesystem://",
        "OPENLIBRARY_URL": provider.url,
        "OPENLIBRARY_COVERS_URL": provider.url,
        "GOOGLE_BOOKS_URL": provider.url,
        "METADATA_MAX_ATTEMPTS": "1",
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
            "--concurrency",
            "1",
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
    worker.wait(timeout=30)
    log.close()
    provider.close()


def _pending(data_dir):
    with sqlite3.connect(data_dir / "db.sqlite3") as db:
        rows = db.execute("SELECT isbn13, metadata_status FROM catalog_book").fetchall()
    return sum(1 for isbn, status in rows if isbn in SLOW_BOOKS and status == "pending")


def _import_state(data_dir):
    with sqlite3.connect(data_dir / "db.sqlite3") as db:
        row = db.execute("SELECT state, imported FROM catalog_importjob").fetchone()
    return row


def test_an_import_starts_at_once_while_the_worker_is_busy_with_details(
    busy_worker,
):
    env, data_dir = busy_worker
    # Six details jobs of about 2 s each, queued first (one job per book
    # added), then another reader's four-row import.
    code = (
        "from django.core.files.base import ContentFile; "
        "from accounts.models import User; from catalog import services; "
        "a = User.objects.create(username='bulk'); "
        "b = User.objects.create(username='small'); "
        + "; ".join(f"services.userbook_add(user=a, isbn='{i}')" for i in SLOW_BOOKS)
        + "; services.import_start(user=b, file_name='list.txt', uploaded_file="
        f"ContentFile(chr(10).join({IMPORTED!r}).encode(), name='list.txt'))"
    )
    _manage(env, "shell", "-c", code)
    queued = time.monotonic()
    assert _pending(data_dir) == len(SLOW_BOOKS)

    deadline = queued + 60
    while time.monotonic() < deadline:
        state = _import_state(data_dir)
        if state and state[0] == "done":
            break
        time.sleep(0.2)
    waited = time.monotonic() - queued
    log = (data_dir / "worker.log").read_text()[-3000:]
    assert state == ("done", len(IMPORTED)), log
    # Behind the six details jobs it would wait 12 s or more; it waits for
    # at most the one already running.
    assert waited < 8, f"the import waited {waited:.1f} s\n{log}"
    assert _pending(data_dir) >= len(SLOW_BOOKS) - 2, log
