"""The book record is the source of truth for metadata work.

A queue that refuses a job never fails the request; the sweep queues pending
books again past their check time, a bounded number of times with backoff,
then marks them failed; a slow book says so and offers "try again" at once.
"""

import logging
from datetime import timedelta

import pytest
from django.tasks.backends.dummy import DummyBackend
from django.urls import reverse
from django.utils import timezone

from catalog import services
from catalog.models import Book, MetadataStatus
from worker import tasks

pytestmark = pytest.mark.usefixtures("both_modes")

DUNE = "9780441172719"
FOX = "9780140328721"


class FullDiskBackend(DummyBackend):
    """A task backend whose queue refuses every job, as a full broker disk does."""

    def enqueue(self, task, args, kwargs):
        raise OSError(28, "No space left on device")


@pytest.fixture
def lost_jobs(settings):
    """Jobs are accepted and never run: a worker killed with them in hand."""
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }


@pytest.fixture
def full_queue(settings):
    settings.TASKS = {
        "default": {"BACKEND": "tests.catalog.test_metadata_sweep.FullDiskBackend"}
    }


def _add(user, isbn, capture):
    with capture(execute=True):
        return services.userbook_add(user=user, isbn=isbn)


def test_a_queue_that_refuses_the_job_never_fails_the_add(
    user_client, user, full_queue, django_capture_on_commit_callbacks, caplog
):
    with (
        caplog.at_level(logging.ERROR, logger="catalog.services.metadata"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = user_client.post(
            reverse("catalog:book-add"),
            {"mode": "isbn", "isbn-isbn": DUNE, "isbn-status": "want"},
        )
    assert response.status_code == 302
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.PENDING
    assert book.metadata_check_at > timezone.now()
    assert "No space left on device" in caplog.text
    assert "the sweep will retry" in caplog.text
    page = user_client.get(reverse("catalog:book-list"))
    assert DUNE in page.content.decode()


def test_the_sweep_runs_a_lost_job_again_and_the_book_completes(
    user, settings, fake_provider, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    _add(user, DUNE, django_capture_on_commit_callbacks)
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    # Not yet due: the job may still be running somewhere.
    assert services.books_sweep_metadata().requeued == []
    later = timezone.now() + timedelta(seconds=settings.METADATA_SWEEP_AFTER_SECONDS)
    result = services.books_sweep_metadata(now=later + timedelta(seconds=1))
    assert result.requeued == [DUNE]
    book = Book.objects.get_by_key(DUNE)
    assert (book.metadata_status, book.title) == (MetadataStatus.COMPLETE, "Dune")
    assert services.books_sweep_metadata(now=later + timedelta(hours=9)).requeued == []


def test_each_book_gets_bounded_attempts_with_backoff_then_fails_with_the_reason(
    user, settings, lost_jobs, django_capture_on_commit_callbacks
):
    settings.METADATA_SWEEP_MAX_ATTEMPTS = 3
    _add(user, FOX, django_capture_on_commit_callbacks)
    now = timezone.now()
    waits = []
    for attempt in (1, 2, 3):
        check_at = Book.objects.get_by_key(FOX).metadata_check_at
        assert services.books_sweep_metadata(now=check_at - timedelta(seconds=1)) == (
            services.SweepResult()
        )
        assert services.books_sweep_metadata(now=check_at).requeued == [FOX]
        book = Book.objects.get_by_key(FOX)
        assert book.metadata_attempts == attempt
        waits.append(book.metadata_check_at - check_at)
        now = check_at
    # Each wait is twice the one before.
    assert waits[1] == 2 * waits[0] and waits[2] == 2 * waits[1]
    result = services.books_sweep_metadata(now=book.metadata_check_at)
    assert result.failed == [FOX]
    book = Book.objects.get_by_key(FOX)
    assert book.metadata_status == MetadataStatus.FAILED
    assert "after 3 tries" in book.metadata_error
    assert book.can_retry_metadata
    assert services.books_sweep_metadata(now=now + timedelta(days=1)).failed == []


def test_trying_again_starts_the_attempts_afresh(
    user, lost_jobs, django_capture_on_commit_callbacks
):
    _add(user, FOX, django_capture_on_commit_callbacks)
    book = Book.objects.get_by_key(FOX)
    services.books_sweep_metadata(now=book.metadata_check_at)
    assert Book.objects.get_by_key(FOX).metadata_attempts == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.book_request_metadata(book_keys=[FOX])
    book = Book.objects.get_by_key(FOX)
    assert (book.metadata_attempts, book.metadata_status) == (0, "pending")


def test_a_retry_the_job_scheduled_itself_pushes_the_sweep_back(
    user, lost_jobs, django_capture_on_commit_callbacks
):
    _add(user, FOX, django_capture_on_commit_callbacks)
    before = Book.objects.get_by_key(FOX).metadata_check_at
    services.books_metadata_retrying(book_keys=[FOX], delay=600)
    assert Book.objects.get_by_key(FOX).metadata_check_at >= before + timedelta(
        seconds=590
    )


def test_a_slow_book_says_so_on_its_page_and_card_and_offers_try_again(
    user_client, user, settings, lost_jobs, django_capture_on_commit_callbacks
):
    _add(user, DUNE, django_capture_on_commit_callbacks)
    book = Book.objects.get_by_key(DUNE)
    assert not book.is_slow and not book.can_retry_metadata
    page = user_client.get(reverse("catalog:book-detail", kwargs={"key": DUNE}))
    assert "taking longer than usual" not in page.content.decode()

    book.metadata_requested_at = timezone.now() - timedelta(
        seconds=settings.METADATA_SLOW_AFTER_SECONDS + 1
    )
    Book.objects.save_book(book)
    assert Book.objects.get_by_key(DUNE).can_retry_metadata
    page = user_client.get(reverse("catalog:book-detail", kwargs={"key": DUNE}))
    body = page.content.decode()
    assert "taking longer than usual" in body
    assert reverse("catalog:book-refresh", kwargs={"key": DUNE}) in body
    cards = user_client.get(reverse("catalog:book-list")).content.decode()
    assert "Taking longer than usual" in cards

    with django_capture_on_commit_callbacks(execute=True):
        user_client.post(reverse("catalog:book-refresh", kwargs={"key": DUNE}))
    assert not Book.objects.get_by_key(DUNE).is_slow


def test_the_sweep_job_reports_what_it_did(
    user, lost_jobs, django_capture_on_commit_callbacks, settings
):
    settings.METADATA_SWEEP_AFTER_SECONDS = 0
    _add(user, FOX, django_capture_on_commit_callbacks)
    assert tasks.sweep_metadata.call() == {"requeued": [FOX], "failed": []}


def test_a_book_pending_since_before_requests_were_timed_is_swept_and_slow(settings):
    old = timezone.now() - timedelta(hours=1)
    book, _ = Book.objects.get_or_create_book(
        Book(key=DUNE, isbn13=DUNE, metadata_status="pending", created_at=old)
    )
    assert book.metadata_requested_at is None and book.metadata_check_at is None
    assert book.is_slow and book.can_retry_metadata
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    assert services.books_sweep_metadata().requeued == [DUNE]


def test_the_sweep_queues_many_books_in_jobs_of_25(settings, monkeypatch):
    from tests.factories import isbn13_for

    keys = [isbn13_for(900 + n) for n in range(30)]
    for key in keys:
        Book.objects.get_or_create_book(
            Book(key=key, isbn13=key, metadata_status="pending")
        )
    sent = []
    monkeypatch.setattr(
        "catalog.services.metadata._enqueue_fetch", lambda chunk: sent.append(chunk)
    )
    later = timezone.now() + timedelta(minutes=1)
    assert sorted(services.books_sweep_metadata(now=later).requeued) == sorted(keys)
    assert [len(chunk) for chunk in sent] == [25, 5]


@pytest.fixture
def details_arrive_after(monkeypatch):
    """Make a fetch job finish right after a service first reads books by ``method``."""
    from catalog.managers import BookManager

    def arrange(method: str) -> None:
        real = getattr(BookManager, method)
        fired = []

        def read_then_fetch(self, *args, **kwargs):
            answer = real(self, *args, **kwargs)
            if not fired:
                fired.append(True)
                services.books_refresh_metadata(book_keys=[DUNE])
            return answer

        monkeypatch.setattr(BookManager, method, read_then_fetch)

    return arrange


def _pending_dune(attempts: int = 0) -> None:
    Book.objects.get_or_create_book(
        Book(
            key=DUNE,
            isbn13=DUNE,
            metadata_status=MetadataStatus.PENDING,
            metadata_check_at=timezone.now() - timedelta(minutes=1),
            metadata_attempts=attempts,
        )
    )


@pytest.mark.parametrize("gives_up", [False, True], ids=["requeue", "give-up"])
def test_details_fetched_while_the_sweep_runs_are_kept(
    settings, lost_jobs, fake_provider, details_arrive_after, gives_up
):
    settings.METADATA_SWEEP_MAX_ATTEMPTS = 2
    _pending_dune(attempts=2 if gives_up else 0)
    details_arrive_after("pending_metadata_due")
    result = services.books_sweep_metadata()
    # The fetch finished first: nothing to queue again, nothing failed.
    assert result == services.SweepResult()
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.COMPLETE
    assert book.title == "Dune" and book.authors == ["Frank Herbert"]
    assert book.cover and book.metadata_error == ""


def test_details_fetched_while_a_fetch_is_requested_are_kept(
    lost_jobs, fake_provider, details_arrive_after, django_capture_on_commit_callbacks
):
    _pending_dune()
    details_arrive_after("get_many")
    with django_capture_on_commit_callbacks(execute=True):
        services.book_request_metadata(book_keys=[DUNE])
    book = Book.objects.get_by_key(DUNE)
    assert book.title == "Dune" and book.authors == ["Frank Herbert"] and book.cover
    assert book.is_pending and book.metadata_attempts == 0  # fetched once more


def test_a_fetch_that_gave_up_leaves_a_finished_book_alone(lost_jobs, fake_provider):
    _pending_dune()
    services.books_refresh_metadata(book_keys=[DUNE])
    services.books_mark_metadata_failed(book_keys=[DUNE], reason="timed out")
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.COMPLETE and book.title == "Dune"
