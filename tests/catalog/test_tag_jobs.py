"""Tag and location changes too large for a request run as jobs, on both backends.

The job's record is the truth: the worker saves its progress after each
batch, a killed run goes on from there, and the sweep queues again a job whose
heartbeat stopped.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog import locations, services
from catalog.backends import get_backend
from catalog.backends.base import TagJob, TagJobRunning
from catalog.models import UserBook
from catalog.services import tag_jobs, tagging
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _shelve(user, count, tags=("Scifi", "Owned"), location="Hall"):
    return [
        UserBookFactory(
            user=user,
            book=BookFactory(title=f"Book {n:02d}"),
            tags=list(tags),
            location=location,
        )
        for n in range(count)
    ]


def _counts(user):
    return [(shown, n) for shown, _key, n in UserBook.objects.tag_counts(user).tags]


def _tags(user, record):
    return UserBook.objects.get_for_user(user, record.book_id).tags


@pytest.fixture
def small_batches(monkeypatch):
    """A request changes at most 3 records; a job 2 per batch."""
    monkeypatch.setattr(tagging, "TAG_CHANGE_BATCH", 3)
    monkeypatch.setattr(locations, "RENAME_MAX_RECORDS", 3)
    monkeypatch.setattr(tag_jobs, "TAG_JOB_BATCH", 2)


@pytest.fixture
def runs(monkeypatch):
    """The runs the services queued: (user id, token), not run."""
    queued = []
    monkeypatch.setattr(
        tag_jobs, "_enqueue", lambda job: queued.append((job.user_id, job.token))
    )
    # Queued once the job is stored, as outside a test's transaction.
    monkeypatch.setattr(
        tag_jobs.transaction, "on_commit", lambda queue, *a, **k: queue()
    )
    return queued


def _job(user) -> TagJob:
    return get_backend().get_tag_job(user)


# The job store (every backend) -------------------------------------------------


def _new_job(user, **fields) -> TagJob:
    now = timezone.now()
    values = {
        "user_id": user.pk,
        "token": "t1",
        "kind": "rename",
        "old": "Scifi",
        "new": "Sci-fi",
        "total": 5,
        "created_at": now,
        "heartbeat_at": now,
    }
    return TagJob(**{**values, **fields})


def test_a_reader_has_one_running_job_and_a_finished_one_gives_way(user):
    backend = get_backend()
    assert backend.get_tag_job(user) is None
    job = backend.start_tag_job(user, _new_job(user))
    assert backend.get_tag_job(user) == job
    with pytest.raises(TagJobRunning) as caught:
        backend.start_tag_job(user, _new_job(user, token="t2"))
    assert caught.value.job.token == "t1"
    # Another reader's job is theirs.
    other = UserFactory()
    backend.start_tag_job(other, _new_job(other, token="t3"))
    seen = job.heartbeat_at
    job.running, job.finished_at = False, timezone.now()
    job.heartbeat_at = seen + timedelta(seconds=1)
    assert backend.save_tag_job(job, seen=seen)
    second = backend.start_tag_job(user, _new_job(user, token="t4"))
    assert backend.get_tag_job(user) == second
    assert backend.get_tag_job(other).token == "t3"


def test_progress_is_saved_only_by_the_run_that_saw_the_last_heartbeat(user):
    backend = get_backend()
    job = backend.start_tag_job(user, _new_job(user))
    seen = job.heartbeat_at
    job.done, job.cursor = 2, "next-place"
    job.heartbeat_at = seen + timedelta(seconds=1)
    assert backend.save_tag_job(job, seen=seen)
    stored = backend.get_tag_job(user)
    assert (stored.done, stored.cursor) == (2, "next-place")
    # A second run that read the older heartbeat is refused.
    job.done = 4
    assert not backend.save_tag_job(job, seen=seen)
    assert backend.get_tag_job(user).done == 2
    # As is a run of a replaced job.
    stale = _new_job(user, token="old", heartbeat_at=job.heartbeat_at)
    assert not backend.save_tag_job(stale, seen=job.heartbeat_at)


def test_stalled_jobs_are_the_running_ones_whose_heartbeat_stopped(user):
    backend = get_backend()
    now = timezone.now()
    old = now - timedelta(minutes=10)
    backend.start_tag_job(user, _new_job(user, heartbeat_at=old))
    beating = UserFactory()
    backend.start_tag_job(beating, _new_job(beating, token="b", heartbeat_at=now))
    finished = UserFactory()
    job = backend.start_tag_job(
        finished, _new_job(finished, token="f", heartbeat_at=old)
    )
    job.running, job.heartbeat_at = False, old + timedelta(seconds=1)
    assert backend.save_tag_job(job, seen=old)
    stalled = backend.stalled_tag_jobs(now - timedelta(minutes=3), 10)
    assert [j.token for j in stalled] == ["t1"]


# The services -------------------------------------------------------------------


def test_a_small_rename_stays_in_the_request(user, small_batches, runs):
    records = _shelve(user, 3)
    result = services.tag_rename(user=user, tag="scifi", new_name="Sci-fi")
    assert result.job is None and len(result.changed) == 3
    assert runs == [] and _job(user) is None
    assert all(_tags(user, r) == ["Sci-fi", "Owned"] for r in records)


def test_a_large_rename_is_a_job_that_runs_in_batches_to_the_end(
    user, small_batches, runs
):
    records = _shelve(user, 5)
    result = services.tag_rename(user=user, tag="scifi", new_name="Sci-fi")
    assert result.job is not None and result.changed == []
    assert runs == [(user.pk, result.job.token)]
    # Nothing changed yet: the job says so.
    job = _job(user)
    assert job.running and (job.done, job.total) == (0, 5)
    assert (
        services.describe_tag_job(job) == "Renaming “scifi” to “Sci-fi”: 0 of 5 books"
    )
    done = services.tag_job_run(user_id=user.pk, token=job.token)
    assert not done.running and done.changed == 5
    assert all(_tags(user, r) == ["Sci-fi", "Owned"] for r in records)
    assert _counts(user) == [("Owned", 5), ("Sci-fi", 5)]
    assert services.describe_tag_job(_job(user)) == (
        "Renamed “scifi” to “Sci-fi” on 5 books."
    )


def test_a_second_change_is_refused_while_a_job_runs(user, small_batches, runs):
    records = _shelve(user, 5)
    services.tag_delete(user=user, tag="Scifi")
    for change in (
        lambda: services.tag_rename(user=user, tag="owned", new_name="Mine"),
        lambda: services.tag_delete(user=user, tag="owned"),
    ):
        with pytest.raises(ValidationError) as caught:
            change()
        assert caught.value.message_dict["tag"] == [
            "Taking “Scifi” off your books: 0 of 5 books. Wait until it finishes, "
            "then try again."
        ]
    with pytest.raises(ValidationError) as caught:
        services.location_rename(user=user, old="Hall", new="Attic")
    assert "Wait until it finishes" in caught.value.message_dict["old"][0]
    assert all(_tags(user, r) == ["Scifi", "Owned"] for r in records)
    assert len(runs) == 1


def test_a_killed_run_goes_on_from_its_last_saved_batch(
    user, small_batches, runs, monkeypatch
):
    records = _shelve(user, 7)
    token = services.tag_rename(user=user, tag="scifi", new_name="Sci-fi").job.token
    # The worker dies after its second batch, once its progress is saved.
    real = tag_jobs._run_batch
    batches = []

    def dies_after_two(user, job):
        if len(batches) == 2:
            raise SystemExit("killed")
        batches.append(job.cursor)
        real(user, job)

    monkeypatch.setattr(tag_jobs, "_run_batch", dies_after_two)
    with pytest.raises(SystemExit):
        services.tag_job_run(user_id=user.pk, token=token)
    job = _job(user)
    assert job.running and job.done == 4 and job.cursor
    assert _counts(user) == [("Owned", 7), ("Sci-fi", 4), ("Scifi", 3)]
    # Run again (as the sweep would queue it): from the cursor saved, once each.
    monkeypatch.setattr(tag_jobs, "_run_batch", real)
    written = []
    real_write = tagging._write
    monkeypatch.setattr(
        tagging, "_write", lambda *a, **k: written.append(a[1]) or real_write(*a, **k)
    )
    done = services.tag_job_run(user_id=user.pk, token=token)
    assert not done.running and done.changed == 7 and done.done == 7
    assert len(written) == 3
    assert all(_tags(user, r) == ["Sci-fi", "Owned"] for r in records)


def test_a_batch_done_twice_changes_nothing_the_second_time(
    user, small_batches, runs, monkeypatch
):
    records = _shelve(user, 5)
    token = services.tag_delete(user=user, tag="scifi").job.token
    # The first batch is written, but the run dies before saving its progress.
    real_save, saves = tag_jobs._save, []

    def dies_before_the_progress(job):
        saves.append(job.done)
        if len(saves) == 2:
            raise SystemExit("killed")
        return real_save(job)

    monkeypatch.setattr(tag_jobs, "_save", dies_before_the_progress)
    with pytest.raises(SystemExit):
        services.tag_job_run(user_id=user.pk, token=token)
    assert saves == [0, 2] and _job(user).done == 0
    assert _counts(user) == [("Owned", 5), ("Scifi", 3)]
    monkeypatch.setattr(tag_jobs, "_save", real_save)
    written = []
    real_write = tagging._write
    monkeypatch.setattr(
        tagging, "_write", lambda *a, **k: written.append(a[1]) or real_write(*a, **k)
    )
    done = services.tag_job_run(user_id=user.pk, token=token)
    # The two records already changed are not written again.
    assert not done.running and len(written) == 3
    assert all(_tags(user, r) == ["Owned"] for r in records)
    assert _counts(user) == [("Owned", 5)]


def test_a_run_stops_after_its_time_and_queues_the_rest(user, small_batches, runs):
    records = _shelve(user, 5)
    token = services.tag_rename(user=user, tag="scifi", new_name="SF").job.token
    runs.clear()
    first = services.tag_job_run(user_id=user.pk, token=token, seconds=0)
    assert first.running and first.done == 2
    assert runs == [(user.pk, token)]
    services.tag_job_run(user_id=user.pk, token=token)
    assert all(_tags(user, r) == ["SF", "Owned"] for r in records)


def test_a_run_of_an_unknown_or_finished_job_does_nothing(user, small_batches, runs):
    assert services.tag_job_run(user_id=user.pk, token="nothing") is None
    _shelve(user, 4)
    token = services.tag_delete(user=user, tag="owned").job.token
    assert services.tag_job_run(user_id=user.pk, token="other") is None
    assert services.tag_job_run(user_id=user.pk, token=token).changed == 4
    assert services.tag_job_run(user_id=user.pk, token=token) is None


def test_the_sweep_queues_again_a_job_whose_delivery_was_lost(
    user, small_batches, runs
):
    records = _shelve(user, 5)
    token = services.tag_rename(user=user, tag="scifi", new_name="SF").job.token
    runs.clear()  # the delivery is lost: no worker ever runs it
    assert services.tag_jobs_sweep().requeued == []
    later = timezone.now() + timedelta(seconds=tag_jobs.STALL_SECONDS + 1)
    assert services.tag_jobs_sweep(now=later).requeued == [user.pk]
    assert runs == [(user.pk, token)]
    # Queued once: the next sweep leaves it to that run.
    assert services.tag_jobs_sweep(now=later).requeued == []
    services.tag_job_run(user_id=user.pk, token=token)
    assert all(_tags(user, r) == ["SF", "Owned"] for r in records)
    much_later = later + timedelta(seconds=tag_jobs.STALL_SECONDS * 2)
    assert services.tag_jobs_sweep(now=much_later).requeued == []


def test_edits_made_while_the_job_runs_are_kept(user, small_batches, runs):
    records = _shelve(user, 5)
    token = services.tag_rename(user=user, tag="scifi", new_name="SF").job.token
    services.tag_job_run(user_id=user.pk, token=token, seconds=0)
    # The reader tags the last book meanwhile, and adds a note to another.
    last = records[-1]
    services.userbook_set_tags(
        user=user, book_key=last.book_id, tags="Scifi, Owned, Gift"
    )
    services.userbook_update(
        user=user,
        book_key=records[0].book_id,
        version=UserBook.objects.get_for_user(user, records[0].book_id).version,
        changes={"notes": "Lent to Kim"},
    )
    services.tag_job_run(user_id=user.pk, token=token)
    assert _tags(user, last) == ["SF", "Owned", "Gift"]
    assert (
        UserBook.objects.get_for_user(user, records[0].book_id).notes == "Lent to Kim"
    )
    assert _counts(user) == [("Gift", 1), ("Owned", 5), ("SF", 5)]


def test_a_large_location_rename_is_a_job(user, small_batches, runs):
    records = _shelve(user, 5, location="hall")
    result = services.location_rename(user=user, old="Hall", new="Attic")
    assert result.job is not None and result.changed == []
    assert _job(user).kind == "location"
    done = services.tag_job_run(user_id=user.pk, token=result.job.token)
    assert done.changed == 5
    places = {UserBook.objects.get_for_user(user, r.book_id).location for r in records}
    assert places == {"Attic"}
    assert services.describe_tag_job(done) == "Moved 5 books from “Hall” to “Attic”."
