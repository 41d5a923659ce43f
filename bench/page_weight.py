"""Benchmark: bytes transferred and requests per page, on a first (cold) visit.

    .venv/bin/python bench/page_weight.py [--books 24]

Serves the app as `make run` does (static files collected with hashed names and
gzip copies, served by whitenoise) from a scratch database on a free local
port, opens each page in Chromium with an empty cache, and adds up what the
browser fetched: encoded (compressed) body and header bytes, and the number of
requests, the page's own fetches included. Prints a Markdown table.
"""

import argparse
import socketserver
import sys
import tempfile
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from benchenv import setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from whitenoise import WhiteNoise  # noqa: E402, F401 (the middleware's package)

from tests.factories import BookFactory, UserBookFactory, UserFactory  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
PAGES = [
    ("Welcome (logged out)", None, "/"),
    ("Home", "reader", "/"),
    ("Library", "reader", "/books/"),
    ("Book", "reader", "BOOK"),
    ("Add a book", "reader", "/books/add/"),
]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _serve_like_production() -> str:
    """Collect static files as a deploy does and serve the app on a free port."""
    settings.DEBUG = False
    settings.STATIC_ROOT = Path(tempfile.mkdtemp(prefix="booklibrary-weight-"))
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    call_command("collectstatic", interactive=False, verbosity=0)
    server = make_server(
        "127.0.0.1", 0, WSGIHandler(), server_class=_Server, handler_class=_Quiet
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def _measure(
    browser, base: str, path: str, cookie: str | None, verbose: bool = False
) -> tuple[int, int]:
    """Bytes transferred and requests made by one cold visit to ``path``."""
    context = browser.new_context(base_url=base)
    if cookie:
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
    page = context.new_page()
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(path, wait_until="networkidle")
    total = count = 0
    for request in finished:
        sizes = request.sizes()
        if sizes["responseBodySize"] < 0:
            continue  # answered from the memory cache: nothing transferred
        count += 1
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        if verbose:
            encoding = request.response().headers.get("content-encoding", "-")
            print(f"    {sizes['responseBodySize']:>7} {encoding:5} {request.url}")
    context.close()
    return total, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=24)
    parser.add_argument("--verbose", action="store_true", help="list each request")
    args = parser.parse_args(argv)

    reader = UserFactory()
    records = [
        UserBookFactory(user=reader, book=BookFactory()) for _ in range(args.books)
    ]
    client = Client()
    client.force_login(reader)
    cookie = client.cookies["sessionid"].value
    base = _serve_like_production()

    from playwright.sync_api import sync_playwright

    print("| Page | Transferred (KB) | Requests |")
    print("| --- | ---: | ---: |")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"]
        )
        for name, who, path in PAGES:
            path = records[0].get_absolute_url() if path == "BOOK" else path
            size, count = _measure(
                browser, base, path, cookie if who else None, args.verbose
            )
            print(f"| {name} | {size / 1024:.1f} | {count} |")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
