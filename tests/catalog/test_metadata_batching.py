"""Details for imported books: Open Library in batches, Google Books sparingly.

An import only asks for details (jobs of 25 books); the jobs, run after it,
make one Open Library Books API call each, ask Google Books only for what
Open Library lacks, back off when Google rate-limits us (every job, not just
the one told), and keep within its daily quota, leaving the books over it
pending for the next day. On the ORM and on DynamoDB (moto), whose caches
(locmem, the DynamoDB cache) hold the shared quota and cool-down.
"""

import pickle
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog import services
from catalog.metadata import QuotaUsedUp, allowance
from catalog.metadata.base import ProviderError
from catalog.models import Book, ImportState, MetadataStatus
from tests.fake_provider import isbn13_for, make_cover_jpeg
from tests.metadata_worker import QueueWorker

pytestmark = pytest.mark.usefixtures("both_modes")

BOOKS_API = "/api/books"
VOLUMES = "/books/v1/volumes"


class Clock:
    """The time the allowance reads: real time, moved forward at will."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def clock(monkeypatch):
    now = Clock()
    monkeypatch.setattr(allowance, "time", now)
    return now


@pytest.fixture
def queue(settings):
    """Jobs wait in a queue until the test's worker runs them."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }


@pytest.fixture
def provider(fake_provider):
    fake_provider.retry_after = "0"
    fake_provider.cover_bytes = make_cover_jpeg(seed="stock")
    return fake_provider


def _isbns(count: int, start: int = 0) -> list[str]:
    return [isbn13_for(500_000 + n) for n in range(start, start + count)]


def _import_list(user, isbns: list[str], capture):
    data = ("\n".join(isbns) + "\n").encode()
    with capture(execute=True):
        job = services.import_start(
            user=user,
            uploaded_file=SimpleUploadedFile("isbns.txt", data),
            file_name="isbns.txt",
        )
        job = services.import_run(user_id=user.pk, import_id=job.pk)
    return job


def _request(keys: list[str], capture) -> None:
    """Ask for details the way the import does: jobs of 25 books."""
    for start in range(0, len(keys), 25):
        with capture(execute=True):
            services.book_request_metadata(book_keys=keys[start : start + 25])


def _statuses(isbns: list[str]) -> dict[str, str]:
    return {key: b.metadata_status for key, b in Book.objects.get_many(isbns).items()}


def _google_isbns(fake) -> list[str]:
    return [
        q["q"].removeprefix("isbn:") for path, q in fake.requests if path == VOLUMES
    ]


def test_100_imported_isbns_cost_4_open_library_calls_and_google_only_the_rest(
    user, provider, queue, django_capture_on_commit_callbacks
):
    isbns = _isbns(100)
    unknown = {isbns[10], isbns[55], isbns[99]}
    provider.stock(isbns, unknown=unknown, google={isbns[10], isbns[55]})
    provider.google_429_at = {2}  # the second Google request is refused once

    job = _import_list(user, isbns, django_capture_on_commit_callbacks)

    # The import asked for the details and never waited for them.
    assert (job.state, job.imported) == (ImportState.DONE, 100)
    assert set(_statuses(isbns).values()) == {MetadataStatus.PENDING}
    assert provider.requests == []
    worker = QueueWorker()
    worker.run()
    jobs = [args[0] for _, args, _ in worker.ran]
    assert [len(keys) for keys in jobs] == [25, 25, 25, 25]
    assert provider.calls(BOOKS_API) == 4
    # Google Books: the three Open Library does not know, and the one retry
    # after its 429 (Retry-After: 0 allows it at once).
    assert sorted(set(_google_isbns(provider))) == sorted(unknown)
    assert (provider.calls(VOLUMES), provider.google_429s) == (4, 1)
    statuses = _statuses(isbns)
    assert statuses.pop(isbns[99]) == MetadataStatus.NOT_FOUND
    assert set(statuses.values()) == {MetadataStatus.COMPLETE}
    assert Book.objects.get_by_key(isbns[55]).title == "Google book 55"
    assert Book.objects.get_by_key(isbns[54]).title == "Stocked book 54"


def test_a_google_rate_limit_stops_every_job_asking_until_retry_after(
    user, provider, queue, clock, settings, django_capture_on_commit_callbacks
):
    isbns = _isbns(30)
    first, second = isbns[:25], isbns[25:]
    unknown = {first[3], first[7], first[20], second[0]}
    provider.stock(isbns, unknown=unknown, google=unknown)
    # Longer than a job holds a worker: the job retries later.
    provider.retry_after = "30"
    provider.google_429_at = {1}
    services.userbook_add_many(user=user, isbns=isbns)
    from django.tasks import task_backends

    task_backends["default"].results.clear()
    _request(first, django_capture_on_commit_callbacks)
    _request(second, django_capture_on_commit_callbacks)

    worker = QueueWorker(wait=clock.advance)
    backend = task_backends["default"]
    queued = list(backend.results)
    backend.results.clear()
    # The first job: one Open Library call, one Google request, refused; the
    # job's other two unknown ISBNs are not asked for.
    queued[0].task.call(*queued[0].args)
    assert (provider.calls(BOOKS_API), provider.calls(VOLUMES)) == (1, 1)
    waiting = [first[3], first[7], first[20]]
    for key in waiting:
        book = Book.objects.get_by_key(key)
        assert book.metadata_status == MetadataStatus.PENDING
        assert "Google Books is not answering" in book.metadata_error
    [retry] = backend.results
    keys, attempt, skip = retry.args
    assert (sorted(keys), attempt, skip) == (sorted(waiting), 2, ["openlibrary"])
    assert retry.task.run_after >= timezone.now() + timedelta(seconds=29)
    # The second job, meanwhile: Open Library yes, Google not (it cools down).
    queued[1].task.call(*queued[1].args)
    assert (provider.calls(BOOKS_API), provider.calls(VOLUMES)) == (2, 1)
    assert Book.objects.get_by_key(second[0]).is_pending

    worker.run()  # the retries, each when its time comes
    assert worker.waited >= 29
    # No second Open Library call for the books it said it does not know.
    assert provider.calls(BOOKS_API) == 2
    assert provider.calls(VOLUMES) == 1 + 4
    assert set(_statuses(isbns).values()) == {MetadataStatus.COMPLETE}
    assert Book.objects.get_by_key(first[7]).title == "Google book 7"


def test_the_daily_quota_leaves_the_rest_pending_for_the_next_day(
    user, provider, queue, clock, settings, django_capture_on_commit_callbacks
):
    settings.GOOGLE_BOOKS_DAILY_QUOTA = 3
    isbns = _isbns(5)
    provider.stock(isbns, unknown=set(isbns), google=set(isbns))
    services.userbook_add_many(user=user, isbns=isbns)
    from django.tasks import task_backends

    task_backends["default"].results.clear()
    _request(isbns, django_capture_on_commit_callbacks)
    QueueWorker(wait=clock.advance).run()

    assert provider.calls(VOLUMES) == 3
    statuses = _statuses(isbns)
    done = [key for key, status in statuses.items() if status == "complete"]
    left = [key for key, status in statuses.items() if status == "pending"]
    assert (len(done), len(left)) == (3, 2)
    _, until_reset = allowance.quota_day()
    for key in left:
        book = Book.objects.get_by_key(key)
        assert "daily quota of Google Books is used up" in book.metadata_error
        assert book.metadata_attempts == 0  # waiting is no failed try
        assert book.metadata_check_at >= timezone.now() + timedelta(seconds=until_reset)
    # No job retries them before then; the sweep leaves them alone today.
    assert task_backends["default"].results == []
    assert services.books_sweep_metadata().requeued == []

    # The next day the sweep queues them again, and the new quota takes them.
    later = until_reset + settings.METADATA_SWEEP_AFTER_SECONDS + 60
    clock.advance(later)
    swept = services.books_sweep_metadata(now=timezone.now() + timedelta(seconds=later))
    assert sorted(swept.requeued) == sorted(left)
    QueueWorker(wait=clock.advance).run()
    assert provider.calls(VOLUMES) == 5
    assert set(_statuses(isbns).values()) == {MetadataStatus.COMPLETE}


def test_google_saying_its_daily_limit_is_reached_stops_every_job_for_the_day(
    user, provider, queue, django_capture_on_commit_callbacks
):
    isbns = _isbns(30)
    unknown = {isbns[2], isbns[28]}  # one in each job
    provider.stock(isbns, unknown=unknown, google=unknown)
    provider.google_daily_limit = True
    services.userbook_add_many(user=user, isbns=isbns)
    from django.tasks import task_backends

    task_backends["default"].results.clear()
    _request(isbns, django_capture_on_commit_callbacks)
    QueueWorker().run()

    # Told once; the second job does not ask.
    assert provider.calls(VOLUMES) == 1
    assert allowance.requests_today("google") == 1000
    for key in unknown:
        book = Book.objects.get_by_key(key)
        assert book.is_pending and book.metadata_attempts == 0
        assert "daily quota of Google Books is used up" in book.metadata_error
    assert len([s for s in _statuses(isbns).values() if s == "complete"]) == 28


def test_filling_gaps_spends_half_the_quota_keeping_the_rest_for_unknown_books(
    user, provider, queue, clock, settings, django_capture_on_commit_callbacks
):
    settings.GOOGLE_BOOKS_DAILY_QUOTA = 4
    isbns = _isbns(7)
    # Six books Open Library has without a description, one it does not know.
    partial, unknown = set(isbns[:6]), {isbns[6]}
    provider.stock(isbns, partial=partial, unknown=unknown, google=set(isbns))
    services.userbook_add_many(user=user, isbns=isbns)
    from django.tasks import task_backends

    task_backends["default"].results.clear()
    _request(isbns, django_capture_on_commit_callbacks)
    QueueWorker(wait=clock.advance).run()

    asked = _google_isbns(provider)
    # The unknown book first, then gap-fillers while less than half of the
    # quota of 4 is used: one.
    assert asked[0] == isbns[6] and len(asked) == 2
    assert set(_statuses(isbns).values()) == {MetadataStatus.COMPLETE}
    described = [k for k in isbns[:6] if Book.objects.get_by_key(k).description]
    assert len(described) == 1
    assert allowance.requests_today("google") == 2


def test_the_allowance_errors_travel_between_processes():
    limited = ProviderError(
        "Google Books is rate-limiting us",
        provider="google",
        transient=True,
        retry_after=30.0,
        rate_limited=True,
    )
    assert pickle.loads(pickle.dumps(limited)).rate_limited  # noqa: S301
    spent = QuotaUsedUp("spent", provider="g", retry_after=5)
    quota = pickle.loads(pickle.dumps(spent))  # noqa: S301
    assert isinstance(quota, QuotaUsedUp)
    assert (quota.transient, quota.retry_after) == (True, 5)
