import pytest

from worker import jobs, tasks


def test_a_message_is_plain_json_and_runs_the_named_job(db, monkeypatch):
    calls = []
    monkeypatch.setattr(
        tasks.services, "books_refresh_metadata", lambda **kw: calls.append(kw) or {}
    )
    message = jobs.encode(tasks.fetch_metadata, (["9780441172719"],), {})
    assert message["task"] == "worker.tasks.fetch_metadata"
    assert message["args"] == [["9780441172719"]] and message["kwargs"] == {}
    assert message["enqueued_at"]
    jobs.run(message)
    assert calls == [{"book_keys": ["9780441172719"]}]


@pytest.mark.parametrize(
    "message",
    [
        None,
        "text",
        {"args": []},
        {"task": "no.such.module.job"},
        {"task": "worker.tasks.retry_delay"},  # a function, not a task
        {"task": "worker.tasks.fetch_metadata", "args": "not a list"},
    ],
)
def test_a_bad_message_is_refused_with_a_reason(message):
    with pytest.raises(jobs.BadJobMessage):
        jobs.run(message)


def test_backoff_grows_exponentially_and_honours_retry_after(settings):
    settings.METADATA_RETRY_BASE_SECONDS = 30
    assert [tasks.retry_delay(n, None) for n in (1, 2, 3)] == [30, 60, 120]
    assert tasks.retry_delay(1, 90) == 90
    assert tasks.retry_delay(1, 10**6) == tasks.MAX_RETRY_DELAY


def test_enqueue_later_defers_where_the_backend_can(settings, monkeypatch):
    settings.TASKS = {
        "default": {"BACKEND": "worker.backends.celery.CeleryTaskBackend"}
    }
    sent = []
    from booklibrary import celery

    monkeypatch.setattr(celery.run_job, "apply_async", lambda **kw: sent.append(kw))
    tasks.enqueue_later(tasks.fetch_metadata, 60, ["k"], 2)
    (call,) = sent
    assert call["args"][0]["args"] == [["k"], 2]
    assert call["eta"] is not None


def test_beat_cleans_expired_removals_on_its_schedule(db, settings):
    from booklibrary import celery
    from catalog import services
    from catalog.models import UserBook
    from tests.factories import UserBookFactory

    entry = settings.CELERY_BEAT_SCHEDULE["clean-removals"]
    assert entry["task"] == celery.clean_removals.name == "booklibrary.clean_removals"
    assert 0 < entry["schedule"] <= settings.REMOVAL_UNDO_SECONDS
    record = UserBookFactory()
    settings.REMOVAL_UNDO_SECONDS = -services.removal.CLEANUP_GRACE.total_seconds()
    receipt = services.userbook_remove(user=record.user, book_key=record.book_id)
    celery.clean_removals()  # what the worker runs when beat sends it
    with pytest.raises(services.UndoUnknown):
        services.removal_undo(user=record.user, token=receipt.token)
    assert UserBook.objects.status_counts(record.user)["all"] == 0


def test_beat_sends_the_loan_reminders_once_a_day(db, settings, mailoutbox):
    from datetime import timedelta

    from django.utils import timezone

    from booklibrary import celery
    from catalog import services
    from tests.factories import UserBookFactory, UserFactory

    entry = settings.CELERY_BEAT_SCHEDULE["loan-reminders"]
    assert entry["task"] == celery.send_loan_reminders.name
    assert entry["task"] == "booklibrary.send_loan_reminders"
    assert entry["schedule"] == 24 * 3600
    reader = UserFactory(email="ann@example.com")
    record = UserBookFactory(user=reader)
    services.loan_lend(
        user=reader,
        book_key=record.book_id,
        person="Sam",
        lent_on=timezone.localdate() - timedelta(days=3),
        due_on=timezone.localdate(),
    )
    celery.send_loan_reminders()  # what the worker runs when beat sends it
    celery.send_loan_reminders()  # delivered twice: still one mail
    assert [m.to for m in mailoutbox] == [["ann@example.com"]]
    assert "due today" in mailoutbox[0].body


def test_beat_sweep_finishes_a_tag_job_whose_delivery_was_lost(
    db, settings, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from booklibrary import celery
    from catalog import services
    from catalog.backends import get_backend
    from catalog.models import UserBook
    from catalog.services import tag_jobs, tagging
    from tests.factories import UserBookFactory, UserFactory

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-metadata"]
    assert entry["task"] == celery.sweep.name == "booklibrary.sweep"
    assert entry["schedule"] < tag_jobs.STALL_SECONDS
    monkeypatch.setattr(tagging, "TAG_CHANGE_BATCH", 1)
    reader = UserFactory()
    records = [UserBookFactory(user=reader, tags=["Scifi"]) for _ in range(3)]
    # Started, but its message never reaches a worker (on_commit never runs
    # inside the test's transaction).
    job = services.tag_rename(user=reader, tag="scifi", new_name="SF").job
    assert get_backend().get_tag_job(reader).running
    later = timezone.now() + timedelta(seconds=tag_jobs.STALL_SECONDS + 1)
    monkeypatch.setattr(tag_jobs.timezone, "now", lambda: later)
    celery.sweep()  # what the worker runs when beat sends it: runs the job here
    stored = get_backend().get_tag_job(reader)
    assert stored.token == job.token and not stored.running
    assert all(
        UserBook.objects.get_for_user(reader, r.book_id).tags == ["SF"] for r in records
    )
