"""`make run`'s pieces (migrate, collectstatic, gunicorn) pass the smoke checks."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def served(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PORT": str(_free_port())}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DJANGO_SETTINGS_MODULE"] = "booklibrary.settings.local"
    manage = [sys.executable, "manage.py"]
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            manage + args,
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "booklibrary.wsgi",
            "--bind",
            f"127.0.0.1:{env['PORT']}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{env['PORT']}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if _get(base + "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    yield base, tmp_path
    server.terminate()
    server.wait(timeout=10)


def test_the_served_app_answers_the_smoke_checks(served):
    base, data_dir = served
    status, body = _get(base + "/health")
    assert (status, json.loads(body)) == (200, {"status": "healthy"})
    assert _get(base + "/home")[0] == 200
    status, body = _get(base + "/login")
    assert status == 200 and b"Log in" in body
    css = _get(base + "/static/vendor/bootstrap/bootstrap.min.css")
    assert css[0] == 200 and b"Bootstrap" in css[1][:200]
    assert (data_dir / "db.sqlite3").exists() and (data_dir / "secret_key").exists()
