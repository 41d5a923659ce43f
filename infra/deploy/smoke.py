"""The smoke checks a deploy ends with."""

import json
import time
import urllib.error
import urllib.request

from infra.deploy.common import DeployError, say


def fetch(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "booklibrary-deploy"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def smoke_checks(base: str, attempts: int = 6) -> None:
    """/health answers {"status": "healthy"}, /home and /login 200 (retried, cold)."""
    checks = [("/health", {"status": "healthy"}), ("/home", None), ("/login", None)]
    for path, body in checks:
        for attempt in range(attempts):
            try:
                status, content = fetch(base.rstrip("/") + path)
            except OSError as exc:
                status, content = 0, str(exc).encode()
            if status == 200:
                break
            if attempt + 1 < attempts:
                time.sleep(min(2**attempt, 10))
        if status != 200:
            raise DeployError(f"smoke check {path}: {status} {content[:300]!r}")
        if body is not None and json.loads(content) != body:
            raise DeployError(f"smoke check {path}: {content[:300]!r}")
        say(f"   {path}: 200" + (f" {content.decode()}" if body else ""))
