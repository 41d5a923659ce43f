"""Jobs on SQS (AWS mode): the task backend that sends them, the handler that runs them.

The queue and its dead-letter queue live in moto. The worker side is driven the
way Lambda's SQS poller drives it: receive real messages, build the batch event
from them, call ``worker.sqs_handler.handle``, delete what it did not report as
failed.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.tasks import TaskResultStatus, task_backends
from django.tasks.signals import task_enqueued
from django.utils import timezone
from zappa.handler import LambdaHandler

from catalog import services
from catalog.models import Book, MetadataStatus, UserBook
from tests.lambda_events import queue_arn, sqs_event
from worker import tasks
from worker.backends import sqs as sqs_backend
from worker.sqs_handler import handle

DUNE = "9780441172719"
FOX = "9780140328721"
FETCH = "worker.tasks.fetch_metadata"
SQS_BACKEND = "worker.backends.sqs.SqsTaskBackend"
MAX_RECEIVES = 3


@dataclass
class Queues:
    sqs: Any
    url: str
    arn: str
    dlq_url: str


@pytest.fixture
def queues(aws_tables, settings):
    """The jobs queue with its dead-letter queue, and the app sending jobs to it."""
    sqs = boto3.client("sqs", region_name=settings.AWS_REGION)
    dlq_url = sqs.create_queue(QueueName="BookLibrary-Jobs-test-dlq")["QueueUrl"]
    redrive = {
        "deadLetterTargetArn": _arn(sqs, dlq_url),
        "maxReceiveCount": MAX_RECEIVES,
    }
    url = sqs.create_queue(
        QueueName="BookLibrary-Jobs-test",
        Attributes={"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "30"},
    )["QueueUrl"]
    settings.SQS_ENDPOINT_URL = ""
    settings.TASKS = {
        "default": {"BACKEND": SQS_BACKEND, "OPTIONS": {"QUEUE_URL": url}}
    }
    sqs_backend.client.cache_clear()
    arn = _arn(sqs, url)
    assert arn == queue_arn(url)  # the helper names queues as AWS (and moto) do
    yield Queues(sqs=sqs, url=url, arn=arn, dlq_url=dlq_url)
    sqs_backend.client.cache_clear()


@pytest.fixture
def sent(queues):
    """The parameters of every SendMessage the backend makes, as it makes them."""
    calls = []
    sqs_backend.client().meta.events.register(
        "provide-client-params.sqs.SendMessage",
        lambda params, **kwargs: calls.append(dict(params)),
    )
    return calls


@pytest.fixture
def refreshed(monkeypatch):
    """Stand in for the metadata service: record the keys; "boom" raises."""
    calls = []

    def refresh(*, book_keys):
        calls.append(book_keys)
        if "boom" in book_keys:
            raise RuntimeError("the service broke")
        return dict.fromkeys(book_keys, "complete")

    monkeypatch.setattr(tasks.services, "books_refresh_metadata", refresh)
    return calls


def _arn(sqs, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def receive(queues: Queues, url: str = "", **kwargs: Any) -> list[dict]:
    """Receive up to 10 messages with everything Lambda would pass on."""
    answer = queues.sqs.receive_message(
        QueueUrl=url or queues.url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
        **kwargs,
    )
    return answer.get("Messages", [])


def depth(queues: Queues, url: str = "") -> dict[str, int]:
    """Messages waiting, in flight and delayed in a queue."""
    names = {
        "ApproximateNumberOfMessages": "waiting",
        "ApproximateNumberOfMessagesNotVisible": "in_flight",
        "ApproximateNumberOfMessagesDelayed": "delayed",
    }
    attributes = queues.sqs.get_queue_attributes(
        QueueUrl=url or queues.url, AttributeNames=list(names)
    )["Attributes"]
    return {short: int(attributes[name]) for name, short in names.items()}


def send_raw(queues: Queues, body: str) -> str:
    """Put a message on the queue by hand; return its id."""
    return queues.sqs.send_message(QueueUrl=queues.url, MessageBody=body)["MessageId"]


def failed_ids(answer: dict) -> list[str]:
    return [failure["itemIdentifier"] for failure in answer["batchItemFailures"]]


# Sending


def test_enqueue_sends_one_json_job_message_named_by_its_task(queues):
    announced = []

    def on_enqueued(sender, task_result, **kwargs):
        announced.append(task_result)

    task_enqueued.connect(on_enqueued)
    try:
        result = tasks.fetch_metadata.enqueue([DUNE])
    finally:
        task_enqueued.disconnect(on_enqueued)

    (message,) = receive(queues)
    body = json.loads(message["Body"])
    assert body == {
        "task": FETCH,
        "args": [[DUNE]],
        "kwargs": {},
        "enqueued_at": body["enqueued_at"],
    }
    enqueued_at = datetime.fromisoformat(body["enqueued_at"])
    assert enqueued_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - enqueued_at) < timedelta(minutes=1)
    assert message["MessageAttributes"]["task"] == {
        "DataType": "String",
        "StringValue": FETCH,
    }
    assert result.id == message["MessageId"]
    assert result.status == TaskResultStatus.READY
    assert result.enqueued_at == enqueued_at
    assert (result.args, result.kwargs) == ([[DUNE]], {})
    assert result.backend == "default" and result.task is tasks.fetch_metadata
    assert announced == [result]
    assert depth(queues) == {"waiting": 0, "in_flight": 1, "delayed": 0}


def test_keyword_arguments_travel_in_the_message(queues):
    tasks.fetch_metadata.enqueue([DUNE, FOX], attempt=2)
    (message,) = receive(queues)
    body = json.loads(message["Body"])
    assert (body["args"], body["kwargs"]) == ([[DUNE, FOX]], {"attempt": 2})


def test_the_queue_comes_from_options_or_else_from_jobs_queue_url(queues, settings):
    settings.JOBS_QUEUE_URL = queues.dlq_url
    tasks.fetch_metadata.enqueue([DUNE])  # OPTIONS["QUEUE_URL"] wins
    assert depth(queues)["waiting"] == 1
    assert depth(queues, queues.dlq_url)["waiting"] == 0

    settings.TASKS = {"default": {"BACKEND": SQS_BACKEND}}
    settings.JOBS_QUEUE_URL = queues.url
    tasks.fetch_metadata.enqueue([FOX])
    assert depth(queues)["waiting"] == 2


@pytest.mark.parametrize("jobs_queue_url", ["", None], ids=["empty", "unset"])
def test_a_missing_queue_url_is_a_clear_configuration_error(
    queues, settings, jobs_queue_url
):
    settings.TASKS = {"default": {"BACKEND": SQS_BACKEND}}
    if jobs_queue_url is None:
        if hasattr(settings, "JOBS_QUEUE_URL"):
            del settings.JOBS_QUEUE_URL
    else:
        settings.JOBS_QUEUE_URL = jobs_queue_url
    with pytest.raises(ImproperlyConfigured) as raised:
        tasks.fetch_metadata.enqueue([DUNE])
    message = str(raised.value)
    assert "'default'" in message and "needs a queue" in message
    assert "JOBS_QUEUE_URL" in message and '["OPTIONS"]["QUEUE_URL"]' in message
    assert depth(queues)["waiting"] == 0


def test_unknown_options_are_refused(queues, settings):
    settings.TASKS = {
        "default": {
            "BACKEND": SQS_BACKEND,
            "OPTIONS": {"QUEUE_URL": queues.url, "REGION": "x", "QUEUE_NAME": "y"},
        }
    }
    with pytest.raises(ImproperlyConfigured, match="QUEUE_NAME, REGION") as raised:
        tasks.fetch_metadata.enqueue([DUNE])
    assert "known: QUEUE_URL" in str(raised.value)
    with pytest.raises(ImproperlyConfigured, match="'jobs'"):
        sqs_backend.SqsTaskBackend("jobs", {"OPTIONS": {"QUEUE": queues.url}})
    assert depth(queues)["waiting"] == 0


def test_run_after_becomes_delay_seconds_capped_at_fifteen_minutes(
    queues, sent, caplog
):
    assert task_backends["default"].supports_defer
    now = timezone.now()
    with caplog.at_level(logging.WARNING, logger="worker.backends.sqs"):
        tasks.fetch_metadata.using(run_after=now + timedelta(seconds=90)).enqueue(["a"])
        assert not caplog.records
        tasks.fetch_metadata.using(run_after=now + timedelta(hours=1)).enqueue(["b"])
        tasks.fetch_metadata.using(run_after=now - timedelta(hours=1)).enqueue(["c"])
        tasks.fetch_metadata.enqueue(["d"])
    delays = [call["DelaySeconds"] for call in sent]
    assert 85 <= delays[0] <= 90
    assert delays[1:] == [900, 0, 0]
    (warning,) = caplog.records
    assert warning.levelno == logging.WARNING and "900 s at most" in warning.message
    # SQS holds the deferred two back; the others can be received now.
    assert depth(queues) == {"waiting": 2, "in_flight": 0, "delayed": 2}
    received = [json.loads(m["Body"])["args"] for m in receive(queues)]
    assert sorted(received) == [[["c"]], [["d"]]]


def test_delay_seconds_rounds_up_and_stays_within_what_sqs_accepts(caplog):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = [0.2, 1, 899.5, 900, 900.5, 86400, -5]
    with caplog.at_level(logging.WARNING, logger="worker.backends.sqs"):
        delays = [
            sqs_backend.delay_seconds(now + timedelta(seconds=s), now) for s in later
        ]
    assert delays == [1, 1, 900, 900, 900, 900, 0]
    assert len(caplog.records) == 2  # the two that SQS cannot delay enough
    assert sqs_backend.delay_seconds(None) == 0


# Running


def test_the_handler_runs_every_record_and_reports_only_the_failures(
    queues, refreshed, caplog
):
    labels = {}
    labels[tasks.fetch_metadata.enqueue(["good-1"]).id] = "good"
    labels[send_raw(queues, "{not json")] = "poison"
    labels[send_raw(queues, json.dumps(["a", "list"]))] = "poison"
    labels[send_raw(queues, json.dumps({"task": "no.such.module.job"}))] = "unknown"
    labels[tasks.fetch_metadata.enqueue(["good-2"]).id] = "good"
    labels[tasks.fetch_metadata.enqueue(["boom"]).id] = "raises"
    labels[send_raw(queues, json.dumps({"task": "worker.tasks.retry_delay"}))] = (
        "not a task"
    )
    bad_arguments = {"task": FETCH, "args": [], "kwargs": {"no_such": 1}}
    labels[send_raw(queues, json.dumps(bad_arguments))] = "bad arguments"
    labels[tasks.fetch_metadata.enqueue(["good-3"]).id] = "good"

    messages = receive(queues)
    assert len(messages) == len(labels) == 9
    event = sqs_event(messages, queues.arn)
    bodiless = {**event["Records"][0], "messageId": "no-body"}
    del bodiless["body"]
    event["Records"].insert(3, bodiless)
    labels["no-body"] = "poison"

    with caplog.at_level(logging.INFO, logger="worker"):
        answer = handle(event, None)

    in_order = [record["messageId"] for record in event["Records"]]
    assert failed_ids(answer) == [m for m in in_order if labels[m] != "good"]
    good_keys = [
        json.loads(r["body"])["args"][0]
        for r in event["Records"]
        if labels[r["messageId"]] in ("good", "raises")
    ]
    assert refreshed == good_keys  # every good job ran, in order, once
    assert sorted(refreshed) == [["boom"], ["good-1"], ["good-2"], ["good-3"]]
    logged = caplog.text
    assert logged.count("Poison message") == 5
    assert logged.count("Job failed") == 2  # the raising one and the bad arguments
    assert logged.count("Job done") == 3
    assert "7 of 10 jobs failed" in logged


def test_an_empty_batch_has_no_failures():
    assert handle({"Records": []}, None) == {"batchItemFailures": []}


@pytest.mark.parametrize(
    "event",
    [None, "text", [], {}, {"Records": 5}, {"detail-type": "Scheduled Event"}],
    ids=["none", "string", "list", "empty", "records-not-a-list", "scheduled"],
)
def test_an_event_that_is_not_an_sqs_batch_raises_runtime_error(event):
    with pytest.raises(RuntimeError, match="Not an SQS batch event"):
        handle(event, None)


def test_zappa_calls_the_handler_once_for_an_event_that_is_not_a_batch():
    # Zappa retries a function that raised TypeError with fewer arguments; the
    # handler must fail with its own error, on the first call.
    calls = []

    def counted(*args):
        calls.append(args)
        return handle(*args)

    with pytest.raises(RuntimeError, match="Not an SQS batch event"):
        LambdaHandler.run_function(counted, {"Records": None}, None)
    assert len(calls) == 1


def test_a_poison_message_reaches_the_dead_letter_queue_after_max_receives(
    queues, refreshed
):
    tasks.fetch_metadata.enqueue(["good"])
    poison_id = send_raw(queues, "{not json")
    receives_of_poison = []
    # The Lambda poller: receive, run, delete what succeeded; visible again at once.
    for _ in range(MAX_RECEIVES + 3):
        messages = receive(queues, VisibilityTimeout=0)
        if not messages:
            break
        event = sqs_event(messages, queues.arn)
        failed = set(failed_ids(handle(event, None)))
        for record in event["Records"]:
            if record["messageId"] in failed:
                receives_of_poison.append(
                    record["attributes"]["ApproximateReceiveCount"]
                )
            else:
                queues.sqs.delete_message(
                    QueueUrl=queues.url, ReceiptHandle=record["receiptHandle"]
                )
    else:
        pytest.fail("the queue never drained")

    assert receives_of_poison == [str(n) for n in range(1, MAX_RECEIVES + 1)]
    assert refreshed == [["good"]]  # the good job ran once, then was deleted
    assert depth(queues) == {"waiting": 0, "in_flight": 0, "delayed": 0}
    (dead,) = receive(queues, queues.dlq_url)
    assert (dead["MessageId"], dead["Body"]) == (poison_id, "{not json")


# End to end: a service enqueues on commit, SQS carries it, the handler runs it


def test_adding_a_book_sends_its_job_to_sqs_on_commit(
    both_modes, queues, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.userbook_add(user=user, isbn=DUNE)
        assert depth(queues)["waiting"] == 0  # not before the commit
    assert len(callbacks) == 1
    (message,) = receive(queues)
    body = json.loads(message["Body"])
    assert (body["task"], body["args"], body["kwargs"]) == (FETCH, [[DUNE]], {})
    assert message["MessageAttributes"]["task"]["StringValue"] == FETCH


def test_asking_for_metadata_again_sends_one_job_for_the_books(
    both_modes, queues, make_book, django_capture_on_commit_callbacks
):
    for isbn in (DUNE, FOX):
        make_book(key=isbn, isbn13=isbn, metadata_status=MetadataStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        services.book_request_metadata(book_keys=[DUNE, FOX])
    (message,) = receive(queues)
    body = json.loads(message["Body"])
    assert body["task"] == FETCH and sorted(body["args"][0]) == [FOX, DUNE]
    assert Book.objects.get_by_key(DUNE).metadata_status == MetadataStatus.PENDING


def test_a_job_delivered_twice_does_no_harm(
    both_modes,
    queues,
    fake_provider,
    user,
    settings,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        services.userbook_add(user=user, isbn=DUNE)
    (message,) = receive(queues)
    event = sqs_event([message], queues.arn)

    assert handle(event, None) == {"batchItemFailures": []}
    first = Book.objects.get_by_key(DUNE)
    assert handle(event, None) == {"batchItemFailures": []}  # SQS redelivered it
    again = Book.objects.get_by_key(DUNE)

    assert again.metadata_status == MetadataStatus.COMPLETE
    assert (again.title, again.authors) == ("Dune", ["Frank Herbert"])
    assert (again.title, again.authors, again.cover.name) == (
        first.title,
        first.authors,
        first.cover.name,
    )
    covers = sorted(p.name for p in (settings.MEDIA_ROOT / "covers").iterdir())
    assert covers == [f"{DUNE}-thumb.jpg", f"{DUNE}.jpg"]  # replaced, not piled up
    (record,) = UserBook.objects.page_for_user(user).items
    assert record.book.pk == DUNE
    # Neither run enqueued anything more; the message itself is still in flight.
    assert depth(queues) == {"waiting": 0, "in_flight": 1, "delayed": 0}


def test_a_provider_outage_defers_a_retry_on_sqs_and_the_record_succeeds(
    db, queues, sent, fake_provider, user, settings, django_capture_on_commit_callbacks
):
    settings.METADATA_RETRY_BASE_SECONDS = 30
    fake_provider.fail_all = True
    with django_capture_on_commit_callbacks(execute=True):
        services.userbook_add(user=user, isbn=DUNE)
    (message,) = receive(queues)

    assert handle(sqs_event([message], queues.arn), None) == {"batchItemFailures": []}

    assert Book.objects.get_by_key(DUNE).metadata_status == MetadataStatus.PENDING
    first, retry = sent
    assert json.loads(retry["MessageBody"])["args"] == [[DUNE], 2]
    assert (first["DelaySeconds"], retry["DelaySeconds"]) == (0, 30)
    assert depth(queues)["delayed"] == 1


def test_a_queue_that_is_gone_never_fails_the_add_and_the_sweep_sends_it_later(
    queues, dynamo_mode, user, settings, django_capture_on_commit_callbacks, caplog
):
    queues.sqs.delete_queue(QueueUrl=queues.url)
    with (
        caplog.at_level(logging.ERROR, logger="catalog.services.metadata"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.userbook_add(user=user, isbn=DUNE)
    assert "Could not queue fetching details" in caplog.text
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.PENDING
    # The queue is back (the stack redeployed): the sweep sends the job.
    url = queues.sqs.create_queue(QueueName="BookLibrary-Jobs-test")["QueueUrl"]
    settings.TASKS = {
        "default": {"BACKEND": SQS_BACKEND, "OPTIONS": {"QUEUE_URL": url}}
    }
    result = services.books_sweep_metadata(now=book.metadata_check_at)
    assert result.requeued == [DUNE]
    (message,) = queues.sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(message["Body"])["args"] == [[DUNE]]
