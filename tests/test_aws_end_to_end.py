"""AWS mode end to end: Zappa's real Lambda handler against moto's server.

Two function processes stand in for the two Lambda functions of a deploy: the
web function (stage ``dev``: HTTP API v2 events) and the worker function
(stage ``dev_worker``: SQS events mapped to ``worker.sqs_handler.handle``).
Both load ``booklibrary.settings.aws`` and reach DynamoDB, SQS and S3 through
moto's server on 127.0.0.1; book details come from the fake provider server.
The test plays API Gateway (events in, responses and cookies out) and the SQS
event source mapping (messages received from the queue, handed over as an SQS
event, deleted unless the worker reports them failed).
"""

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import boto3
import pytest
from django.test import override_settings

from tests.fake_provider import FakeProviderServer
from tests.lambda_events import (
    HOST,
    http_api_event,
    sqs_event,
    zappa_settings_source,
)
from tests.lambda_runtime import ANSWER_PREFIX

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = f"https://{HOST}"
REGION = "us-west-2"
STAGE = "e2e"
QUEUE = f"BookLibrary-Jobs-{STAGE}"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:123456789012:{QUEUE}"
BUCKET = "booklibrary-media-e2e"
DUNE = "9780441172719"
PASSWORD = "a long and happy passphrase 3"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "e2e",
    "AWS_SECRET_ACCESS_KEY": "e2e",
    "AWS_DEFAULT_REGION": REGION,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory):
    """moto's server in its own process on 127.0.0.1: DynamoDB, SQS and S3."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def aws(moto_endpoint):
    """The stage's resources in moto: tables, jobs queue with its DLQ, bucket."""
    from booklibrary import dynamodb

    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        with override_settings(
            AWS_REGION=REGION,
            BOOKLIBRARY_ENV=STAGE,
            DYNAMODB_ENDPOINT_URL=moto_endpoint,
        ):
            dynamodb.create_tables()
        session = boto3.session.Session(region_name=REGION, **_credentials())
        sqs = session.client("sqs", endpoint_url=moto_endpoint)
        dlq = sqs.create_queue(QueueName=f"{QUEUE}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
        queue = sqs.create_queue(
            QueueName=QUEUE,
            Attributes={
                "VisibilityTimeout": "720",
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
                        "maxReceiveCount": "5",
                    }
                ),
            },
        )["QueueUrl"]
        s3 = session.client("s3", endpoint_url=moto_endpoint)
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield {"sqs": sqs, "s3": s3, "queue_url": queue, "endpoint": moto_endpoint}
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _credentials() -> dict:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture(scope="module")
def provider():
    with FakeProviderServer() as server:
        yield server


class LambdaFunction:
    """One function's process: events in on stdin, answers out on stdout."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.env = env
        self.log = folder / "function.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "lambda_runtime.py")],
            cwd=folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
            bufsize=1,
        )
        self.seconds: list[float] = []
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put("")  # the process ended

    def invoke(self, event: dict, timeout: float = 90) -> dict:
        """Send one event; return the handler's response (raise if it raised)."""
        self.process.stdin.write(json.dumps({"event": event}) + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if not line:
                raise RuntimeError(f"the function died: {self.log.read_text()[-4000:]}")
            if line.startswith(ANSWER_PREFIX):
                answer = json.loads(line[len(ANSWER_PREFIX) :])
                self.seconds.append(answer["seconds"])
                assert "error" not in answer, answer.get("traceback")
                return answer["response"]
        raise TimeoutError(f"no answer in {timeout} s: {self.log.read_text()[-4000:]}")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self._log_file.close()


def _function(tmp_path_factory, aws, provider, static_root, name: str, mapping: dict):
    folder = tmp_path_factory.mktemp(name)
    (folder / "zappa_settings.py").write_text(
        zappa_settings_source(
            django_settings="booklibrary.settings.aws",
            events=mapping,
            environment={"BOOKLIBRARY_ENV": STAGE, "LOG_LEVEL": "INFO"},
            stage=name,
        )
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        **CREDENTIALS,
        # What the Lambda environment holds on AWS (see README, "Deploy to AWS").
        "SECRET_KEY": "end-to-end-" + "s" * 40,
        "ALLOWED_HOSTS": HOST,
        "JOBS_QUEUE_URL": aws["queue_url"],
        "MEDIA_BUCKET": BUCKET,
        "AWS_REGION": REGION,
        "DATA_DIR": str(folder / "tmp"),
        # What scripts/package puts in the package: the collected static files.
        "STATIC_ROOT": str(static_root),
        # Every AWS service at moto's server; book details at the fake provider.
        "AWS_ENDPOINT_URL": aws["endpoint"],
        "DYNAMODB_ENDPOINT_URL": aws["endpoint"],
        "SQS_ENDPOINT_URL": aws["endpoint"],
        "S3_ENDPOINT_URL": aws["endpoint"],
        "OPENLIBRARY_URL": provider.url,
        "OPENLIBRARY_COVERS_URL": provider.url,
        "GOOGLE_BOOKS_URL": provider.url,
        "METADATA_HTTP_BACKOFF_SECONDS": "0",
    }
    return LambdaFunction(folder, env)


@pytest.fixture(scope="module")
def web(tmp_path_factory, aws, provider, aws_static_root):
    function = _function(tmp_path_factory, aws, provider, aws_static_root, "dev", {})
    yield function
    function.close()


@pytest.fixture(scope="module")
def worker(tmp_path_factory, aws, provider, aws_static_root):
    mapping = {QUEUE_ARN: ["worker.sqs_handler.handle"]}
    function = _function(
        tmp_path_factory, aws, provider, aws_static_root, "dev_worker", mapping
    )
    yield function
    function.close()


class Browser:
    """API Gateway and a browser in one: HTTP API v2 events and a cookie jar."""

    def __init__(self, function: LambdaFunction) -> None:
        self.function = function
        self.cookies: dict[str, str] = {}
        self.last_set_cookies: list[str] = []

    def request(self, method: str, path: str, data: dict | None = None) -> dict:
        path, _, query = path.partition("?")
        headers = {"accept": "text/html", "user-agent": "end-to-end"}
        body = None
        if data is not None:
            data = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
            headers["content-type"] = "application/x-www-form-urlencoded"
            headers["origin"] = ORIGIN
            headers["referer"] = f"{ORIGIN}{path}"
            body = urlencode(data, doseq=True)
        event = http_api_event(
            path,
            method=method,
            body=body,
            headers=headers,
            cookies=[f"{k}={v}" for k, v in self.cookies.items()],
            query=query,
        )
        response = self.function.invoke(event)
        self.last_set_cookies = response.get("cookies", [])
        for header in self.last_set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str) -> dict:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> dict:
        return self.request("POST", path, data)


def _body(response: dict) -> str:
    assert not response.get("isBase64Encoded"), "a page came back as binary"
    return response["body"]


def _location(response: dict) -> str:
    return {k.lower(): v for k, v in response["headers"].items()}["location"]


def _cookie_names(set_cookies: list[str]) -> list[str]:
    return [header.split("=", 1)[0] for header in set_cookies]


def _deliver_jobs(aws, worker) -> list[dict]:
    """Play the SQS event source mapping once: receive, invoke, delete the done."""
    sqs, queue = aws["sqs"], aws["queue_url"]
    received = sqs.receive_message(
        QueueUrl=queue,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=1,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    ).get("Messages", [])
    if not received:
        return []
    event = sqs_event(received, QUEUE_ARN)
    response = worker.invoke(event)
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    for message in received:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert not failed, f"jobs failed: {failed}"
    return [json.loads(message["Body"]) for message in received]


def test_a_reader_signs_up_adds_a_book_and_the_worker_fills_it_in(
    web, worker, aws, provider
):
    browser = Browser(web)

    # The original system's smoke checks, on a cold function.
    health = browser.get("/health")
    assert health["statusCode"] == 200
    assert json.loads(health["body"]) == {"status": "healthy"}
    assert browser.get("/home")["statusCode"] == 200
    assert browser.get("/login")["statusCode"] == 200
    assert "csrftoken" in browser.cookies

    # Sign up: signed in at once, each cookie set once (not Zappa's twice).
    signup = browser.post(
        "/signup/",
        {
            "username": "Ada",
            "email": "ada@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert signup["statusCode"] == 302, _body(signup)[:3000]
    assert _location(signup) == "/"
    names = _cookie_names(browser.last_set_cookies)
    assert "sessionid" in names and len(names) == len(set(names)), names
    assert all("Secure" in header for header in browser.last_set_cookies)

    # Log out and in again: the session comes back through event.cookies.
    assert browser.post("/logout/", {})["statusCode"] == 302
    assert _location(browser.get("/books/")).startswith("/login")
    browser.get("/login")
    login = browser.post("/login", {"username": "ada", "password": PASSWORD})
    assert login["statusCode"] == 302, _body(login)[:3000]
    names = _cookie_names(browser.last_set_cookies)
    assert "sessionid" in names and len(names) == len(set(names)), names
    books = browser.get("/books/")
    assert books["statusCode"] == 200, "the session cookie did not log in"
    assert "Your library is empty" in _body(books)

    # Add a book by ISBN: saved at once, its details pending, a job on SQS.
    added = browser.post(
        "/books/add/",
        {"mode": "isbn", "isbn-isbn": "0-441-17271-7", "isbn-status": "reading"},
    )
    assert added["statusCode"] == 302, _body(added)[:3000]
    assert _location(added) == f"/books/{DUNE}/"
    pending = _body(browser.get(f"/books/{DUNE}/"))
    assert "Fetching details" in pending

    # The SQS event source hands the job to the worker function.
    jobs = _deliver_jobs(aws, worker)
    assert [job["task"] for job in jobs] == ["worker.tasks.fetch_metadata"], jobs
    assert provider.requests, "the worker never asked the provider"

    # The book page shows what the worker found; the cover went to S3.
    page = browser.get(f"/books/{DUNE}/")
    assert page["statusCode"] == 200
    assert "Dune" in _body(page) and "Frank Herbert" in _body(page)
    keys = [
        item["Key"]
        for item in aws["s3"].list_objects_v2(Bucket=BUCKET).get("Contents", [])
    ]
    assert any(key.startswith("media/covers/") for key in keys), keys
    assert re.search(r'src="http://127\.0\.0\.1:\d+/[^"]*X-Amz-Signature', _body(page))

    # Only the web function's first event paid for the cold start.
    assert web.seconds[0] > max(web.seconds[1:]) / 2


def test_an_administrator_manages_the_data_in_the_admin_on_lambda(web, aws, tmp_path):
    # The first administrator, made from a workstation as the README says.
    created = subprocess.run(
        [
            *(sys.executable, "manage.py", "createsuperuser", "--noinput"),
            *("--username", "keeper", "--email", "keeper@example.com"),
        ],
        cwd=ROOT,
        env={
            **web.env,
            "DJANGO_SETTINGS_MODULE": "booklibrary.settings.aws",
            "BOOKLIBRARY_ENV": STAGE,
            "DATA_DIR": str(tmp_path),
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr[-3000:]
    browser = Browser(web)
    browser.get("/admin/login/")
    login = browser.post(
        "/admin/login/",
        {"username": "keeper", "password": PASSWORD, "next": "/admin/"},
    )
    assert login["statusCode"] == 302, _body(login)[:3000]
    index = _body(browser.get("/admin/"))
    assert "Users" in index and "User books" in index
    users = _body(browser.get("/admin/accounts/user/?q=keeper"))
    assert "keeper@example.com" in users
    assert browser.get("/admin/catalog/userbook/")["statusCode"] == 200
    assert browser.get("/admin/catalog/book/?q=dune")["statusCode"] == 200
