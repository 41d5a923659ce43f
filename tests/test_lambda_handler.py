"""The Lambda entry point around Zappa's handler (booklibrary/lambda_handler.py).

Zappa's ``LambdaHandler`` runs in this process with a ``zappa_settings.py`` like
the one ``zappa package`` generates (``tests.lambda_events.zappa_lambda``); the
framework database is built in a separate process with the AWS settings, as at
a Lambda cold start, with every AWS endpoint on a closed local port.
"""

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from zappa import handler as zappa_handler

from booklibrary import lambda_handler as entry
from tests.lambda_events import (
    HOST,
    http_api_event,
    offline_aws_environment,
    rest_api_event,
    run_for_json,
    sqs_event,
    zappa_lambda,
)

ROOT = Path(__file__).resolve().parent.parent
JOBS_ARN = "arn:aws:sqs:us-west-2:123456789012:BookLibrary-Jobs-test"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def _cookie(name: str, value: str) -> str:
    return f"{name}={value}; expires=Sat, 01 Jan 2028 00:00:00 GMT; Path=/"


A, B = _cookie("csrftoken", "abc"), _cookie("sessionid", "xyz")


# dedupe_set_cookie


def test_http_api_cookies_go_out_once_each_in_their_order():
    response = {
        "statusCode": 200,
        "headers": {"Content-Type": "text/html"},
        "cookies": [A, B, A, B],
        "body": "<p>hi</p>",
        "isBase64Encoded": False,
    }
    assert entry.dedupe_set_cookie(response) == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/html"},
        "cookies": [A, B],
        "body": "<p>hi</p>",
        "isBase64Encoded": False,
    }
    assert entry.dedupe_set_cookie({"cookies": [B, A]})["cookies"] == [B, A]
    assert entry.dedupe_set_cookie({"cookies": []})["cookies"] == []


def test_rest_api_set_cookie_headers_are_folded_across_casings():
    response = {
        "statusCode": 302,
        "headers": {"Location": "/", "Set-Cookie": B, "set-cookie": B},
        "multiValueHeaders": {
            "Location": ["/"],
            "Set-Cookie": [A, B, A, B],
            "set-cookie": [A, B, A, B],
        },
    }
    assert entry.dedupe_set_cookie(response) == {
        "statusCode": 302,
        "headers": {"Location": "/", "Set-Cookie": B},
        "multiValueHeaders": {"Location": ["/"], "Set-Cookie": [A, B]},
    }


def test_rest_api_distinct_cookies_are_all_kept():
    response = {
        "headers": {"set-cookie": A, "Set-Cookie": B},
        "multiValueHeaders": {"set-cookie": [A], "SET-COOKIE": [B]},
    }
    assert entry.dedupe_set_cookie(response) == {
        "headers": {"set-cookie": A, "Set-Cookie": B},
        "multiValueHeaders": {"set-cookie": [A, B]},
    }


@pytest.mark.parametrize(
    "response",
    [None, "text", b"bytes", [A, A], 42, {"batchItemFailures": []}, {"body": "x"}],
)
def test_anything_else_is_left_alone(response):
    before = json.dumps(response) if not isinstance(response, bytes) else response
    result = entry.dedupe_set_cookie(response)
    assert result is response
    assert (json.dumps(result) if not isinstance(result, bytes) else result) == before


# ensure_framework_db: in a fresh process with the AWS settings, as at cold start

FRAMEWORK_DB_SCRIPT = r"""
import json, sys
from pathlib import Path

import botocore.client

aws_calls = []
make_api_call = botocore.client.BaseClient._make_api_call
def spy(client, operation, params):
    aws_calls.append(operation)
    return make_api_call(client, operation, params)
botocore.client.BaseClient._make_api_call = spy

from django.conf import settings
from booklibrary import lambda_handler

path = Path(settings.DATABASES["default"]["NAME"])
report = {"path": str(path), "existed": path.exists()}
scenario = sys.argv[1]
if scenario == "empty":  # what a connection opened too early leaves
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
if scenario == "failure":
    from django.core import management
    real = management.call_command
    def call_command(name, *args, **kwargs):
        if args[:1] == ("auth",):
            report["half_built"] = path.stat().st_size
            raise OSError("No space left on device")
        return real(name, *args, **kwargs)
    management.call_command = call_command
    try:
        lambda_handler.ensure_framework_db()
    except OSError as exc:
        report["error"] = str(exc)
    report["left_behind"] = path.exists()
    management.call_command = real
report["first"] = lambda_handler.ensure_framework_db()
built = path.stat()
from django.db import connection
report["tables"] = sorted(connection.introspection.table_names())
report["size"] = built.st_size
report["second"] = lambda_handler.ensure_framework_db()
report["untouched"] = path.stat().st_mtime_ns == built.st_mtime_ns
report["aws_calls"] = aws_calls
print(json.dumps(report))
"""

FRAMEWORK_TABLES = {
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
    "django_content_type",
    "django_migrations",
    "django_session",
}


def _cold_start(data_dir: Path, scenario: str) -> dict:
    """Run FRAMEWORK_DB_SCRIPT in a new process with the AWS settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "DJANGO_", "SQS_", "S3_", "DYNAMODB_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "booklibrary.settings.aws",
            "PYTHONPATH": str(ROOT),
            **offline_aws_environment(data_dir),
        }
    )
    return run_for_json(
        [sys.executable, "-c", FRAMEWORK_DB_SCRIPT, scenario], env, cwd=ROOT
    )


def test_a_cold_start_builds_the_framework_tables_once(tmp_path):
    first = _cold_start(tmp_path, "fresh")
    assert first["path"] == str(tmp_path / "framework.sqlite3")
    assert not first["existed"]
    assert first["first"] is True and first["size"] > 0
    assert set(first["tables"]) == FRAMEWORK_TABLES  # no app data in /tmp
    assert first["second"] is False and first["untouched"]
    assert first["aws_calls"] == []
    # The next cold start in the same container finds it built.
    again = _cold_start(tmp_path, "fresh")
    assert again["existed"] and again["first"] is False and again["untouched"]


def test_an_empty_file_left_by_an_early_connection_is_built(tmp_path):
    report = _cold_start(tmp_path, "empty")
    assert report["first"] is True
    assert set(report["tables"]) == FRAMEWORK_TABLES


def test_a_failed_build_removes_the_half_built_file(tmp_path):
    report = _cold_start(tmp_path, "failure")
    assert report["half_built"] > 0  # contenttypes were in before auth failed
    assert report["error"] == "No space left on device"
    assert report["left_behind"] is False
    # So the next attempt builds it whole rather than trusting half of it.
    assert report["first"] is True
    assert set(report["tables"]) == FRAMEWORK_TABLES


# Zappa's LambdaHandler in this process


@pytest.fixture
def web(tmp_path):
    """The web function ("dev"): Zappa's handler over the test settings."""
    with zappa_lambda(tmp_path, environment={"BOOKLIBRARY_ENV": "test"}):
        yield


@pytest.fixture
def worker(tmp_path):
    """The worker function ("dev_worker"): the jobs queue mapped to the handler."""
    with zappa_lambda(tmp_path, events={JOBS_ARN: ["worker.sqs_handler.handle"]}):
        yield zappa_handler.LambdaHandler()


def _names(cookies: list[str]) -> list[str]:
    return [cookie.split("=", 1)[0] for cookie in cookies]


def _value(cookies: list[str], name: str) -> str:
    (value,) = [
        c.split(";", 1)[0].split("=", 1)[1] for c in cookies if c.startswith(f"{name}=")
    ]
    return value


def test_zappa_sends_each_cookie_twice_over_http_api_and_the_entry_point_once(web):
    raw = zappa_handler.lambda_handler(http_api_event("/login"), None)
    assert raw["statusCode"] == 200
    assert _names(raw["cookies"]) == ["csrftoken", "csrftoken"]
    assert raw["cookies"][0] == raw["cookies"][1]  # the bug this works around

    response = entry.lambda_handler(http_api_event("/login"), None)
    assert response["statusCode"] == 200
    assert _names(response["cookies"]) == ["csrftoken"]
    assert not any(name.lower() == "set-cookie" for name in response["headers"])
    assert "csrfmiddlewaretoken" in response["body"]


def test_logging_in_over_http_api_sets_each_cookie_once_in_order(web, user):
    token = _value(
        entry.lambda_handler(http_api_event("/login"), None)["cookies"], "csrftoken"
    )

    def log_in(handler):
        form = {"username": user.username, "password": PASSWORD}
        return handler(
            http_api_event(
                "/login",
                method="POST",
                body=urlencode({**form, "csrfmiddlewaretoken": token}),
                headers={
                    "content-type": "application/x-www-form-urlencoded",
                    "origin": f"https://{HOST}",
                },
                cookies=[f"csrftoken={token}"],
            ),
            None,
        )

    raw = log_in(zappa_handler.lambda_handler)
    assert raw["statusCode"] == 302, raw.get("body")
    assert sorted(_names(raw["cookies"])) == [
        "csrftoken",
        "csrftoken",
        "sessionid",
        "sessionid",
    ]
    half = len(raw["cookies"]) // 2
    assert raw["cookies"][:half] == raw["cookies"][half:]  # [a, b, a, b]

    response = log_in(entry.lambda_handler)
    assert response["statusCode"] == 302
    assert _names(response["cookies"]) == _names(raw["cookies"][:half])
    assert len(set(response["cookies"])) == 2

    # The session cookie works: the profile page answers, not the login page.
    session = _value(response["cookies"], "sessionid")
    profile = entry.lambda_handler(
        http_api_event("/profile/", cookies=[f"sessionid={session}"]), None
    )
    assert profile["statusCode"] == 200
    assert user.username in profile["body"]


def test_rest_api_responses_carry_each_cookie_once(web):
    raw = zappa_handler.lambda_handler(rest_api_event("/login"), None)
    assert (
        raw["multiValueHeaders"]["Set-Cookie"] == raw["multiValueHeaders"]["set-cookie"]
    )
    assert len(raw["multiValueHeaders"]["Set-Cookie"]) == 2

    response = entry.lambda_handler(rest_api_event("/login"), None)
    assert response["statusCode"] == 200
    cookie_headers = {
        name: values
        for name, values in response["multiValueHeaders"].items()
        if name.lower() == "set-cookie"
    }
    ((_, cookies),) = cookie_headers.items()
    assert _names(cookies) == ["csrftoken"]
    assert [n for n in response["headers"] if n.lower() == "set-cookie"] == [
        "Set-Cookie"
    ]


# check_sqs_route and the worker's SQS events


def _record(body: str, arn: str = JOBS_ARN, message_id: str = "m-1") -> dict:
    message = {"MessageId": message_id, "ReceiptHandle": "r", "Body": body}
    message["Attributes"] = {"ApproximateReceiveCount": "1"}
    return sqs_event([message], arn)


def test_an_sqs_batch_from_an_unmapped_queue_raises(worker):
    other = "arn:aws:sqs:us-west-2:123456789012:BookLibrary-Jobs-prod"
    with pytest.raises(RuntimeError, match="BookLibrary-Jobs-prod") as raised:
        entry.check_sqs_route(worker, _record("{}", arn=other))
    assert "zappa_settings.json" in str(raised.value)
    # Through the entry point too: Zappa alone would answer None ("all done").
    assert zappa_handler.lambda_handler(_record("{}", arn=other), None) is None
    with pytest.raises(RuntimeError, match="No function for SQS queue"):
        entry.lambda_handler(_record("{}", arn=other), None)


@pytest.mark.parametrize(
    "event",
    [
        _record("{}"),  # mapped
        http_api_event("/health"),
        {"Records": []},
        {"Records": "not a list"},
        {"Records": ["not a record"]},
        {"Records": [{"eventSource": "aws:sns", "Sns": {"Message": "{}"}}]},
        {"detail-type": "Scheduled Event"},
        None,
        "text",
    ],
    ids=[
        "mapped",
        "http",
        "no-records",
        "records-text",
        "record-text",
        "sns",
        "scheduled",
        "none",
        "string",
    ],
)
def test_anything_but_an_unmapped_sqs_batch_passes_the_route_check(worker, event):
    assert entry.check_sqs_route(worker, event) is None


def test_the_worker_reports_a_poison_message_through_zappa(worker):
    answer = entry.lambda_handler(_record("{not json", message_id="m-7"), None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-7"}]}


def test_the_client_address_is_api_gateways_source_ip_not_a_forged_header():
    event = http_api_event("/login", headers={"X-Forwarded-For": "6.6.6.6, 7.7.7.7"})
    entry.trust_only_the_source_ip(event)
    forwarded = {k: v for k, v in event["headers"].items() if "forwarded-for" in k}
    assert forwarded == {"x-forwarded-for": "203.0.113.7"}
    rest = rest_api_event("/login")
    rest["headers"]["X-Forwarded-For"] = "6.6.6.6, 7.7.7.7"
    entry.trust_only_the_source_ip(rest)
    assert rest["headers"]["x-forwarded-for"] == "203.0.113.7"
    assert "X-Forwarded-For" not in rest["headers"]


def test_forged_forwarded_for_headers_do_not_dodge_the_login_throttle(
    web, user, settings
):
    settings.THROTTLE_RULES = {**settings.THROTTLE_RULES, "login-client": (2, 900)}
    token = _value(
        entry.lambda_handler(http_api_event("/login"), None)["cookies"], "csrftoken"
    )

    def log_in(username, password, forged):
        form = {"username": username, "password": password}
        return entry.lambda_handler(
            http_api_event(
                "/login",
                method="POST",
                body=urlencode({**form, "csrfmiddlewaretoken": token}),
                headers={
                    "content-type": "application/x-www-form-urlencoded",
                    "origin": f"https://{HOST}",
                    "x-forwarded-for": f"{forged}, 198.51.100.1",
                },
                cookies=[f"csrftoken={token}"],
            ),
            None,
        )

    assert log_in("nobody1", "wrong", "6.6.6.1")["statusCode"] == 200
    assert log_in("nobody2", "wrong", "6.6.6.2")["statusCode"] == 200
    refused = log_in(user.username, PASSWORD, "6.6.6.3")
    assert refused["statusCode"] == 200
    assert "Too many attempts; try again in 15 minutes." in refused["body"]


# The scheduled sweep on the worker function


def scheduled_event(function: str) -> dict:
    """The EventBridge event for a Zappa ``events`` schedule of ``function``."""
    from zappa.core import Zappa

    rule = Zappa.get_scheduled_event_name(
        Zappa, {"function": function}, function, "booklibrary-dev-worker"
    )
    return {
        "version": "0",
        "id": "0b1d6a1e-8c1e-4bb4-9bd5-3b0d3b2b9e31",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-29T15:00:00Z",
        "region": "us-west-2",
        "resources": [f"arn:aws:events:us-west-2:123456789012:rule/{rule}"],
        "detail": {},
    }


@pytest.mark.django_db
def test_the_scheduled_event_runs_the_sweep_through_zappa(
    worker, dynamo_mode, settings, fake_provider, django_capture_on_commit_callbacks
):
    from catalog import services
    from catalog.models import Book
    from tests.factories import UserFactory

    dune = "9780441172719"
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    settings.METADATA_SWEEP_AFTER_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        services.userbook_add(user=UserFactory(), isbn=dune)  # its job is lost
    assert Book.objects.get_by_key(dune).metadata_status == "pending"
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    answer = entry.lambda_handler(scheduled_event("worker.sqs_handler.sweep"), None)
    assert answer == {"requeued": [dune], "failed": [], "tag_jobs": []}
    book = Book.objects.get_by_key(dune)
    assert (book.metadata_status, book.title) == ("complete", "Dune")


@pytest.mark.django_db
def test_the_scheduled_event_cleans_expired_removals_through_zappa(
    worker, dynamo_mode, settings
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from catalog import services
    from catalog.models import UserBook
    from tests.factories import UserBookFactory, UserFactory

    reader = UserFactory()
    record = UserBookFactory(user=reader)
    cover = default_storage.save(f"private/{reader.pk}/covers/a.jpg", ContentFile(b"j"))
    UserBook.objects.update_for_user(
        reader, record.book_id, version=1, changes={"corrections": {"cover": cover}}
    )
    settings.REMOVAL_UNDO_SECONDS = -services.removal.CLEANUP_GRACE.total_seconds()
    services.userbook_remove(user=reader, book_key=record.book_id)
    event = scheduled_event("worker.sqs_handler.clean_removals")
    assert entry.lambda_handler(event, None) == {"dropped": 1}
    assert not default_storage.exists(cover)
    assert entry.lambda_handler(event, None) == {"dropped": 0}


@pytest.mark.django_db
def test_the_scheduled_event_sends_the_loan_reminders_through_zappa(
    worker, dynamo_mode, settings
):
    from datetime import timedelta

    from django.core import mail
    from django.utils import timezone

    from catalog import services
    from tests.factories import UserBookFactory, UserFactory

    reader = UserFactory(email="ann@example.com")
    record = UserBookFactory(user=reader)
    today = timezone.localdate()
    services.loan_lend(
        user=reader,
        book_key=record.book_id,
        person="Sam",
        lent_on=today - timedelta(days=10),
        due_on=today - timedelta(days=1),
    )
    event = scheduled_event("worker.sqs_handler.send_loan_reminders")
    assert entry.lambda_handler(event, None) == {
        "loans": 1,
        "readers": 1,
        "borrowers": 0,
    }
    # The schedule delivers at least once: a second event the same day sends nothing.
    assert entry.lambda_handler(event, None)["loans"] == 0
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
