"""Lambda events as API Gateway and SQS send them, and Zappa's handler in-process.

* ``http_api_event``: an API Gateway HTTP API (payload 2.0) request;
* ``rest_api_event``: an API Gateway REST API (payload 1.0) request;
* ``sqs_event``: an SQS batch as the Lambda poller delivers it, built from the
  messages a real ``ReceiveMessage`` answered (moto's, in tests);
* ``zappa_settings_source`` and ``zappa_lambda``: the ``zappa_settings.py``
  module that ``zappa package`` generates, and a context that runs
  ``zappa.handler.LambdaHandler`` in this process with it, undoing what the
  handler changes process-wide (environment, ``sys.path``, logging, its
  singleton).
"""

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HOST = "abc123defg.execute-api.us-west-2.amazonaws.com"
REGION = "us-west-2"
ACCOUNT = "123456789012"


def offline_aws_environment(data_dir: Path) -> dict[str, str]:
    """Return what ``booklibrary.settings.aws`` needs, with AWS out of reach.

    The required settings as a deploy's Lambda environment holds them, dummy
    credentials, and every AWS endpoint a closed local port, so that any AWS
    call fails instead of reaching out. ``data_dir`` stands for Lambda's /tmp.
    """
    return {
        "SECRET_KEY": "offline-lambda-" + "k" * 40,
        "ALLOWED_HOSTS": HOST,
        "JOBS_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/Jobs",
        "MEDIA_BUCKET": "booklibrary-media-test",
        "DATA_DIR": str(data_dir),
        "AWS_ACCESS_KEY_ID": "offline",
        "AWS_SECRET_ACCESS_KEY": "offline",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def run_for_json(args: list[str], env: dict[str, str], **kwargs: Any) -> dict:
    """Run a Python process that prints a JSON report last; return the report."""
    result = subprocess.run(
        args,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def http_api_event(
    path: str,
    *,
    method: str = "GET",
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    cookies: list[str] | None = None,
    query: str = "",
) -> dict:
    """Return an API Gateway HTTP API (payload 2.0) event for ``path``.

    ``headers`` are added to (and override) the usual ones, lower-cased as API
    Gateway sends them; ``cookies`` are ``name=value`` strings, which HTTP APIs
    send in ``event["cookies"]`` rather than in a Cookie header.
    """
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "host": HOST,
            "accept": "application/json",
            "user-agent": "package-test",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **{name.lower(): value for name, value in (headers or {}).items()},
        },
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "abc123defg",
            "domainName": HOST,
            "domainPrefix": "abc123defg",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "package-test",
            },
            "requestId": "package-test-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:19:00:00 +0000",
            "timeEpoch": 1795460400000,
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = list(cookies)
    if body is not None:
        event["body"] = body
    return event


def rest_api_event(
    path: str,
    *,
    method: str = "GET",
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict:
    """Return an API Gateway REST API (payload 1.0) event for ``path``."""
    all_headers = {
        "Host": HOST,
        "Accept": "text/html",
        "User-Agent": "package-test",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "abc123defg",
            "httpMethod": method,
            "path": f"/dev{path}",
            "requestId": "package-test-1",
            "resourcePath": "/{proxy+}",
            "stage": "dev",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "package-test"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def queue_arn(queue_url: str) -> str:
    """Return the ARN of the SQS queue at ``queue_url`` (its last path part)."""
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_url.rstrip('/').rsplit('/', 1)[-1]}"


def sqs_record(message: Mapping[str, Any], arn: str) -> dict:
    """Return the Lambda SQS record for one message from ``ReceiveMessage``.

    Ask ``ReceiveMessage`` for ``AttributeNames=["All"]`` and
    ``MessageAttributeNames=["All"]`` to get what Lambda would pass on.
    """
    attributes = {
        name: {
            "dataType": value["DataType"],
            "stringValue": value.get("StringValue"),
            "stringListValues": [],
            "binaryListValues": [],
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": arn.split(":")[3],
    }


def sqs_event(messages: list[Mapping[str, Any]], arn: str) -> dict:
    """Return the Lambda event for a batch of ``ReceiveMessage`` messages."""
    return {"Records": [sqs_record(message, arn) for message in messages]}


def zappa_settings_source(
    *,
    django_settings: str = "booklibrary.settings.test",
    events: Mapping[str, list[str]] | None = None,
    environment: Mapping[str, str] | None = None,
    stage: str = "dev",
    binary_support: bool = True,
) -> str:
    """Return a ``zappa_settings.py`` like the one ``zappa package`` writes.

    ``events`` maps an event source ARN to the functions it runs (Zappa's
    ``AWS_EVENT_MAPPING``, from the stage's ``events`` list).
    """
    values = {
        "EXCEPTION_HANDLER": None,
        "DEBUG": False,
        "LOG_LEVEL": "INFO",
        "BINARY_SUPPORT": binary_support,
        "CONTEXT_HEADER_MAPPINGS": {},
        "DOMAIN": None,
        "BASE_PATH": None,
        "ENVIRONMENT_VARIABLES": dict(environment or {}),
        "API_STAGE": stage,
        "PROJECT_NAME": "booklibrary",
        "SETTINGS_FILE": None,
        "DJANGO_SETTINGS": django_settings,
        "AWS_EVENT_MAPPING": {arn: list(fns) for arn, fns in (events or {}).items()},
        "AWS_BOT_EVENT_MAPPING": {},
        "COGNITO_TRIGGER_MAPPING": {},
        "ASYNC_RESPONSE_TABLE": "",
        "ADDITIONAL_TEXT_MIMETYPES": [],
    }
    lines = [f"{name}={value!r}" for name, value in values.items()]
    return "# Generated by Zappa\n" + "\n".join(lines) + "\n"


@contextmanager
def zappa_lambda(
    folder: Path, *, cold: bool = False, **settings: Any
) -> Iterator[Path]:
    """Run Zappa's ``LambdaHandler`` in this process, as in a fresh Lambda.

    Writes ``folder/zappa_settings.py`` (``settings``: see
    ``zappa_settings_source``), puts ``folder`` first on ``sys.path`` and
    forgets Zappa's handler singleton, so the next ``LambdaHandler()`` loads
    that module. ``cold``: whether ``booklibrary.lambda_handler`` builds the
    framework database on its first event (the test database is already
    there). On exit, the environment, ``sys.path``, the root logger and the
    singleton are put back.

    Django is already set up in a test process, so Zappa's Django set-up keeps
    ``DJANGO_SETTINGS_MODULE``: use the test settings (the default). Requests
    run in this thread and reach the test database: as Django's test client
    does, the request signals do not close database connections meanwhile.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from zappa import handler as zappa_handler

    from booklibrary import lambda_handler

    path = folder / "zappa_settings.py"
    path.write_text(zappa_settings_source(**settings), encoding="utf-8")
    saved_path = sys.path[:]
    saved_environ = dict(os.environ)
    saved_module = sys.modules.pop("zappa_settings", None)
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    saved_zappa_level = zappa_handler.logger.level
    saved_cold = lambda_handler._cold
    sys.path.insert(0, str(folder))
    zappa_handler.LambdaHandler._LambdaHandler__instance = None
    lambda_handler._cold = cold
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield path
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        zappa_handler.LambdaHandler._LambdaHandler__instance = None
        lambda_handler._cold = saved_cold
        zappa_handler.logger.setLevel(saved_zappa_level)
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        sys.modules.pop("zappa_settings", None)
        if saved_module is not None:
            sys.modules["zappa_settings"] = saved_module
        sys.path[:] = saved_path
        os.environ.clear()
        os.environ.update(saved_environ)


def collect_aws_static_files(static_root: Path) -> Path:
    """Collect the static files as ``scripts/package`` does, into ``static_root``.

    The AWS settings serve hashed names from the manifest that collectstatic
    writes; a test that runs those settings builds it itself, so that a fresh
    clone needs nothing built beforehand.
    """
    root = Path(__file__).resolve().parent.parent
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        **offline_aws_environment(static_root.parent / "collectstatic-tmp"),
        "DJANGO_SETTINGS_MODULE": "booklibrary.settings.aws",
        "STATIC_ROOT": str(static_root),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert (static_root / "staticfiles.json").exists()
    return static_root
