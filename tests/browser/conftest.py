"""Playwright in Debian's Chromium against the live test server.

The browser is the system's /usr/bin/chromium (Playwright never downloads one).
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the test's own
# database calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/system-deps (installs chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    """A page on the live server; a Content-Security-Policy violation fails the test."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "content security policy" in message.text.lower()
            else None
        ),
    )
    page.csp_violations = violations  # a test that provokes one clears it
    yield page
    context.close()
    assert not violations, violations


def _use_broker(app, **conf) -> None:
    """Point the app's producers at another broker (a worker per test)."""
    app.conf.update(conf)
    app.close()
    # The producer pool outlives ``close`` and keeps the last broker's folder.
    app.amqp._producer_pool = None


@pytest.fixture
def worker_env(request):
    """More environment for the worker (parametrize with ``indirect=True``)."""
    return getattr(request, "param", {})


@pytest.fixture
def celery_worker(tmp_path, settings, fake_provider, live_server, worker_env):
    """A real Celery worker process sharing the test database and media folder.

    Jobs enqueued by the live server go through the filesystem broker to this
    worker, which fetches details from the fake provider server.
    """
    import subprocess
    import sys

    from booklibrary.celery import app
    from booklibrary.settings.base import filesystem_broker_options

    broker_dir = tmp_path / "broker"
    options = filesystem_broker_options(broker_dir)
    database = settings.DATABASES["default"]["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "booklibrary.settings.test",
        "TEST_DATABASE_URL": f"sqlite:///{database}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_BROKER_DIR": str(broker_dir),
        "TEST_PROVIDER_URL": fake_provider.url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **worker_env,
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "booklibrary",
            "worker",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    saved = {k: app.conf.get(k) for k in ("broker_url", "broker_transport_options")}
    _use_broker(app, broker_url="filesystem://", broker_transport_options=options)
    settings.TASKS = {
        "default": {"BACKEND": "worker.backends.celery.CeleryTaskBackend"}
    }
    yield worker
    worker.terminate()
    worker.wait(timeout=20)
    log.close()
    _use_broker(app, **saved)
