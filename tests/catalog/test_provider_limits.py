"""Providers cannot hurt the site: deadlines, byte caps, provider hosts only.

The servers here are real, on 127.0.0.1, because what is tested happens on the
wire: a body trickled a byte at a time, a redirect, an address in an answer.
"""

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from catalog import metadata, services
from catalog.metadata import covers, guard
from catalog.models import Book, MetadataStatus
from tests.fake_provider import make_cover_jpeg

DUNE = "9780441172719"
Route = Callable[["_Handler"], None]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: Server = self.server.owner  # type: ignore[attr-defined]
        server.requests.append(self.path)
        route = server.routes.get(self.path.split("?")[0])
        try:
            if route is None:
                self.send_error(404)
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up: what a deadline test wants

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server:
    """A tiny threaded HTTP server on 127.0.0.1 answering with ``routes``."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.owner = self  # type: ignore[attr-defined]
        serve = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        serve.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def send(handler: _Handler, body: bytes, content_type: str, status: int = 200) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def send_json(handler: _Handler, payload: object) -> None:
    send(handler, json.dumps(payload).encode(), "application/json")


def redirect(handler: _Handler, location: str) -> None:
    handler.send_response(302)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def trickle(*, length: bool, every: float = 0.25) -> Route:
    """A JSON answer whose body comes one byte every ``every`` seconds."""

    def route(handler: _Handler) -> None:
        body = b'{"docs": []}' + b" " * 10_000
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if length:
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        stopping = handler.server.owner.stopping  # type: ignore[attr-defined]
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            if stopping.wait(every):
                return

    return route


def hang(handler: _Handler) -> None:
    """Accept the request and answer nothing until the test ends."""
    handler.server.owner.stopping.wait(60)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def no_slow_hosts():
    """Forget the cover hosts that ran out of time (ports come round again)."""
    covers._slow_hosts.clear()
    yield
    covers._slow_hosts.clear()


@pytest.fixture
def provider(settings):
    """A provider server that the provider settings point at."""
    server = Server()
    settings.OPENLIBRARY_URL = server.url
    settings.OPENLIBRARY_COVERS_URL = server.url
    settings.GOOGLE_BOOKS_URL = server.url
    settings.METADATA_HTTP_BACKOFF_SECONDS = 0
    yield server
    server.stop()


@pytest.fixture
def internal():
    """Another server on the loopback: the metadata service of a cloud host."""
    server = Server()
    server.routes["/latest/meta-data/iam"] = lambda h: send(h, b"secret", "image/jpeg")
    yield server
    server.stop()


@pytest.fixture
def add(user, django_capture_on_commit_callbacks):
    def _add(isbn):
        with django_capture_on_commit_callbacks(execute=True):
            return services.userbook_add(user=user, isbn=isbn)

    return _add


def books_api_with_cover(cover_url: str) -> Route:
    def route(handler: _Handler) -> None:
        send_json(
            handler, {f"ISBN:{DUNE}": {"title": "Dune", "cover": {"large": cover_url}}}
        )

    return route


# Redirects and addresses: only the provider hosts.


def test_a_cover_redirected_to_another_loopback_port_never_reaches_it(
    provider, internal, add
):
    provider.routes["/api/books"] = books_api_with_cover(f"{provider.url}/cover.jpg")
    provider.routes["/cover.jpg"] = lambda h: redirect(
        h, f"{internal.url}/latest/meta-data/iam"
    )
    add(DUNE)
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.COMPLETE and book.title == "Dune"
    assert not book.cover
    assert "/cover.jpg" in provider.requests
    assert internal.requests == []


def test_a_redirect_within_the_provider_hosts_is_followed(provider):
    provider.routes["/b/id/1-L.jpg"] = lambda h: redirect(h, "/download/1.jpg")
    provider.routes["/download/1.jpg"] = lambda h: send(
        h, make_cover_jpeg(seed="1"), "image/jpeg"
    )
    cover = metadata.fetch_cover(f"{provider.url}/b/id/1-L.jpg")
    assert cover.mode == "RGB" and cover.size == (200, 300)


def test_an_internal_address_in_the_provider_answer_is_refused(provider, internal, add):
    provider.routes["/api/books"] = books_api_with_cover(
        f"{internal.url}/latest/meta-data/iam"
    )
    add(DUNE)
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.COMPLETE and not book.cover
    assert internal.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost/cover.jpg",
        "file:///etc/passwd",
        "https://example.com/cover.jpg",
    ],
)
def test_addresses_off_the_provider_hosts_are_refused(provider, url):
    with pytest.raises(metadata.ProviderError, match=r"Refused|Not a web address"):
        metadata.fetch_cover(url)
    assert provider.requests == []


def test_a_provider_host_that_resolves_to_a_private_address_is_refused(
    settings, monkeypatch, internal
):
    settings.METADATA_IMAGE_HOSTS = ["covers.example"]
    real = socket.getaddrinfo
    looked_up = []

    def rebinding(host, port, *args, **kwargs):
        if host != "covers.example":
            return real(host, port, *args, **kwargs)
        looked_up.append(host)
        return real("127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(guard.socket, "getaddrinfo", rebinding)
    with pytest.raises(metadata.ProviderError, match="private address"):
        metadata.fetch_cover("http://covers.example/b/id/1-L.jpg")
    assert looked_up == ["covers.example"]


def test_only_global_addresses_are_usable_unless_configured(provider):
    host, port = provider.url.removeprefix("http://").split(":")
    assert guard._usable(host, host, int(port))  # the configured fake provider
    assert not guard._usable("127.0.0.1", "127.0.0.1", int(port) + 1)
    assert not guard._usable("10.1.2.3", "cdn.example", 443)
    assert not guard._usable("::ffff:169.254.169.254", "cdn.example", 443)
    assert not guard._usable("fd00::1", "cdn.example", 443)
    assert guard._usable("207.241.224.2", "ia800100.us.archive.org", 443)


# Covers are images.


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body>Not found</body></html>", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "damaged"),
        (make_cover_jpeg()[:200], "damaged"),
    ],
)
def test_a_cover_that_is_not_an_image_is_refused(provider, body, reason):
    provider.routes["/cover.jpg"] = lambda h: send(h, body, "image/jpeg")
    with pytest.raises(metadata.ProviderError, match=reason):
        metadata.fetch_cover(f"{provider.url}/cover.jpg")


def test_a_cover_sent_as_html_is_refused_by_its_type(provider):
    provider.routes["/cover.jpg"] = lambda h: send(h, make_cover_jpeg(), "text/html")
    with pytest.raises(metadata.ProviderError, match="text/html instead of an image"):
        metadata.fetch_cover(f"{provider.url}/cover.jpg")


# Deadlines and byte caps.


@pytest.mark.parametrize("length", [True, False], ids=["sized", "until-close"])
def test_a_trickling_body_is_cut_at_the_deadline(provider, settings, length):
    settings.METADATA_DEADLINE_SECONDS = 1.5
    provider.routes["/search.json"] = trickle(length=length)
    started = time.monotonic()
    with pytest.raises(metadata.ProviderError, match="did not answer in time") as err:
        metadata.get_json(f"{provider.url}/search.json", provider="openlibrary")
    assert 1.4 < time.monotonic() - started < 3
    assert err.value.transient  # the job tries again later


def test_a_server_that_never_answers_is_given_up_at_the_deadline(provider, settings):
    settings.METADATA_DEADLINE_SECONDS = 1.0
    settings.METADATA_READ_TIMEOUT = 30.0
    provider.routes["/api/books"] = hang
    started = time.monotonic()
    result = metadata.lookup([DUNE], providers=[metadata.OpenLibrary()])[DUNE]
    assert time.monotonic() - started < 2.5
    assert result.failed
    assert [str(error) for error in result.errors] == [
        "Open Library did not answer in time"
    ]


def test_a_job_is_not_held_by_a_trickling_provider(provider, settings, add):
    settings.METADATA_DEADLINE_SECONDS = 1.0
    settings.METADATA_MAX_ATTEMPTS = 1
    provider.routes["/api/books"] = trickle(length=False)
    provider.routes["/books/v1/volumes"] = trickle(length=True)
    started = time.monotonic()
    add(DUNE)
    # One deadline for each provider asked, then the job gives up for now.
    assert time.monotonic() - started < 3.5
    book = Book.objects.get_by_key(DUNE)
    assert book.metadata_status == MetadataStatus.FAILED
    assert "did not answer in time" in book.metadata_error


def test_a_cover_host_out_of_time_is_not_waited_for_again_at_once(provider, settings):
    settings.METADATA_DEADLINE_SECONDS = 1.0
    provider.routes["/1.jpg"] = provider.routes["/2.jpg"] = hang
    with pytest.raises(metadata.ProviderError, match=r"did not answer in time$"):
        metadata.fetch_cover(f"{provider.url}/1.jpg")
    started = time.monotonic()
    with pytest.raises(metadata.ProviderError, match="a moment ago"):
        metadata.fetch_cover(f"{provider.url}/2.jpg")
    assert time.monotonic() - started < 0.5
    assert provider.requests == ["/1.jpg"]


def test_an_answer_over_the_byte_cap_is_refused(provider, settings):
    settings.METADATA_JSON_MAX_BYTES = 4096
    provider.routes["/search.json"] = lambda h: (
        h.send_response(200),
        h.send_header("Content-Type", "application/json"),
        h.end_headers(),
        h.wfile.write(b'{"docs": [' + b"{}," * 100_000 + b"{}]}"),
    )
    with pytest.raises(metadata.ProviderError, match="larger than 4 KB") as err:
        metadata.get_json(f"{provider.url}/search.json", provider="openlibrary")
    assert not err.value.transient


def test_a_slow_title_search_answers_with_a_message_within_seconds(
    provider, user_client
):
    provider.routes["/search.json"] = hang
    started = time.monotonic()
    response = user_client.get(reverse("catalog:add-search"), {"q": "dune"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert (
        "Open Library is not answering right now; try again in a minute or add "
        "the book by its ISBN." in response.content.decode()
    )
    assert elapsed < 5
