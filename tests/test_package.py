"""The Lambda package (``make package``): its size, its contents, and a cold start.

The test builds the package itself when it is absent or older than its sources,
so a fresh clone needs nothing built beforehand.

The package is run the way Lambda runs it: unzipped, by a Python 3.12 that sees
the standard library and the package and nothing else (``-I -S``: no site
packages, no environment ``PYTHON*`` variables), with every AWS endpoint on a
closed local port so that an AWS call would fail the test.
"""

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.lambda_events import http_api_event, offline_aws_environment, run_for_json

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dist" / "booklibrary-dev.zip"
# Lambda takes a zip of at most 50 MB as a direct upload.
MAX_ZIP_BYTES = 50 * 1024 * 1024

# Runs in the isolated interpreter: argv[1] is the unzipped package.
RUNNER = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
os.chdir(sys.argv[1])  # Lambda's working directory is the package, /var/task
event = json.loads(sys.argv[2])
started = time.perf_counter()
import botocore.client
aws_calls = []
make_api_call = botocore.client.BaseClient._make_api_call
def spy(client, operation, params):
    aws_calls.append(operation)
    return make_api_call(client, operation, params)
botocore.client.BaseClient._make_api_call = spy
from booklibrary.lambda_handler import lambda_handler
imported = time.perf_counter()
first = lambda_handler(event, None)
cold = time.perf_counter()
second = lambda_handler(event, None)
warm = time.perf_counter()
from worker.sqs_handler import handle
poison = {"messageId": "m-1", "body": "{not json", "eventSource": "aws:sqs",
          "attributes": {"ApproximateReceiveCount": "1"}}
batch = handle({"Records": [poison]}, None)
from django.conf import settings
print(json.dumps({
    "first": first, "second": second, "batch": batch, "aws_calls": aws_calls,
    "import_s": imported - started, "cold_s": cold - started, "warm_s": warm - cold,
    "framework_db": settings.DATABASES["default"]["NAME"],
    "boto3": __import__("boto3").__file__,
}))
"""


# What goes into the package: a zip older than any of these is rebuilt.
PACKAGE_SOURCES = (
    "booklibrary",
    "accounts",
    "catalog",
    "worker",
    "templates",
    "static",
    "requirements.txt",
    "requirements-dev.txt",
    "zappa_settings.json",
    "scripts/package",
)
# A first build installs the lean virtualenv from the package index.
BUILD_TIMEOUT_SECONDS = 20 * 60


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in PACKAGE_SOURCES:
        path = ROOT / name
        files = path.rglob("*") if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                newest = max(newest, file.stat().st_mtime)
    return newest


@pytest.fixture(scope="module")
def package() -> Path:
    """Return the package, built (``scripts/package dev``) when absent or stale."""
    if PACKAGE.exists() and PACKAGE.stat().st_mtime >= _newest_source_mtime():
        return PACKAGE
    result = subprocess.run(
        ["scripts/package", "dev"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return PACKAGE


def test_the_package_fits_lambdas_direct_upload_limit(package):
    size = package.stat().st_size
    assert size < MAX_ZIP_BYTES, f"{size / 2**20:.1f} MiB"


def test_the_package_holds_the_app_and_its_static_files_but_no_dev_tools(package):
    names = zipfile.ZipFile(package).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    for needed in (
        "zappa_settings.py",
        "booklibrary/lambda_handler.py",
        "worker/sqs_handler.py",
        "staticfiles/staticfiles.json",
        "zappa/handler.py",
        "django/__init__.py",
    ):
        assert needed in names, needed
    for unwanted in ("tests", "bench", "var", ".venv", "pytest", "moto", "ruff"):
        assert unwanted not in tops, unwanted
    assert not [name for name in names if "__pycache__" in name]


def cold_start(unzipped: Path, scratch: Path) -> dict:
    """Run the unzipped package cold in an isolated interpreter; return RUNNER's report.

    ``scratch`` holds the function's /tmp (framework database) and home. The
    report adds ``wall_s``: process start to exit, interpreter start included.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(scratch),
        **offline_aws_environment(scratch / "lambda-tmp"),
    }
    started = time.perf_counter()
    report = run_for_json(
        [
            *(sys.executable, "-I", "-S", "-B", "-c", RUNNER),
            str(unzipped),
            json.dumps(http_api_event("/health")),
        ],
        env,
    )
    return {**report, "wall_s": time.perf_counter() - started}


def test_a_cold_package_answers_health_over_http_api_without_aws(
    package, tmp_path, capsys
):
    unzipped = tmp_path / "task"
    zipfile.ZipFile(package).extractall(unzipped)
    run = cold_start(unzipped, tmp_path)
    for response in (run["first"], run["second"]):
        assert response["statusCode"] == 200, response
        assert json.loads(response["body"]) == {"status": "healthy"}
    assert run["aws_calls"] == []
    assert Path(run["boto3"]).is_relative_to(unzipped), "boto3 from outside"
    assert Path(run["framework_db"]).stat().st_size > 0
    # A poison job message is reported as failed, not dropped, in the package too.
    assert run["batch"] == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    with capsys.disabled():
        print(
            f"\nLambda package cold start: {run['cold_s'] * 1000:.0f} ms "
            f"(imports {run['import_s'] * 1000:.0f} ms, then the first /health "
            f"with the framework database build); warm /health "
            f"{run['warm_s'] * 1000:.1f} ms"
        )
