"""A fake Open Library and Google Books on 127.0.0.1, serving tests/fixtures.

In tests, the ``fake_provider`` fixture starts one and points the provider
settings at it; as a context manager::

    with FakeProviderServer() as server:
        server.fail_isbns.add("9780441172719")  # that ISBN now answers 500

By hand, for end-to-end runs (then set the URLs it prints)::

    .venv/bin/python -m tests.fake_provider --port 8765
"""

import argparse
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PIL import Image, ImageDraw

from catalog.isbn import InvalidISBN, clean, to_isbn13

FIXTURES = Path(__file__).parent / "fixtures"
OL_COVERS = "https://covers.openlibrary.org"
GOOGLE_CONTENT = "http://books.google.com/books/content"
_COVER_PATH = re.compile(r"^/b/(isbn|id)/([0-9X]+)-[SML]\.jpg$")


def load_fixture(name: str) -> Any:
    """Return the parsed JSON fixture ``tests/fixtures/<name>``."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def make_cover_jpeg(
    *, seed: str = "cover", size: tuple[int, int] = (200, 300)
) -> bytes:
    """Return a small JPEG "cover" whose colour depends on ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    image = Image.new("RGB", size, tuple(digest[:3]))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, size[0] - 10, size[1] // 3), fill=tuple(digest[3:6]))
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _isbn13(raw: str) -> str | None:
    try:
        return to_isbn13(raw)
    except InvalidISBN:
        return None


class FakeProviderServer:
    """Open Library (/api/books, /search.json, covers) and Google Books volumes."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.openlibrary: dict[str, dict] = {}  # ISBN-13 -> Books API record
        self.isbn10_only: set[str] = set()  # filed under their ISBN-10 only
        self.google: dict[str, dict] = {}  # ISBN-13 -> volumes item
        self.search_docs: list[dict] = []
        self.fail_isbns: set[str] = set()  # requests naming these answer fail_status
        self.fail_status = 500
        self.retry_after = "1"  # sent with a 429
        self.fail_all = False  # every request fails: an outage
        self.slow_isbns: set[str] = set()  # requests naming these wait ``delay``
        self.delay = 2.0
        self.requests: list[tuple[str, dict[str, str]]] = []
        # Google Books volumes requests (counted from 1) that answer 429 with
        # ``retry_after``, e.g. {5, 6, 7}: three in a row outlast a call's retries.
        self.google_429_at: set[int] = set()
        self.google_calls = 0
        self.google_daily_limit = False  # Google answers 403 dailyLimitExceeded
        self.google_429s = 0
        self.cover_bytes: bytes | None = None  # one cover for every book, if set
        self._lock = threading.Lock()
        self._load_fixtures()
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:43125 (no trailing slash)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeProviderServer":
        """Serve in a background thread."""
        # A short poll interval makes ``stop`` quick (tests start many servers).
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def close(self) -> None:
        """Free the port of a server that is not serving (see ``stop``)."""
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._httpd.serve_forever()

    def __enter__(self) -> "FakeProviderServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def add_book(
        self,
        *,
        isbn13: str,
        title: str,
        authors: tuple[str, ...] = (),
        cover: bool = True,
        **extra: Any,
    ) -> dict:
        """Add an Open Library record (``extra``: more Books API fields)."""
        record: dict[str, Any] = {
            "url": f"https://openlibrary.org/books/OL{isbn13[-7:]}M",
            "key": f"/books/OL{isbn13[-7:]}M",
            "title": title,
            "authors": [{"url": "", "name": name} for name in authors],
            "identifiers": {"isbn_13": [isbn13]},
            **extra,
        }
        if cover:
            record["cover"] = {"large": f"{OL_COVERS}/b/isbn/{isbn13}-L.jpg"}
        self.openlibrary[isbn13] = record
        return record

    def stock(
        self,
        isbns: list[str],
        *,
        unknown: set[str] = frozenset(),
        google: set[str] = frozenset(),
        partial: set[str] = frozenset(),
    ) -> None:
        """Complete Open Library records for ``isbns`` but the ``unknown`` ones.

        A complete record has every field the chain wants (so Google Books is
        not asked for it); a ``partial`` one lacks its description. The ISBNs
        in ``google`` get a Google Books volume too.
        """
        for n, isbn13 in enumerate(isbns):
            if isbn13 not in unknown:
                self.add_book(
                    isbn13=isbn13,
                    title=f"Stocked book {n}",
                    authors=(f"Author {n % 97}",),
                    publishers=[{"name": "Stock Press"}],
                    publish_date="2001",
                    number_of_pages=100 + n % 400,
                    **({} if isbn13 in partial else {"description": "A book."}),
                )
            if isbn13 in google:
                self.google[isbn13] = google_volume(isbn13, title=f"Google book {n}")

    def calls(self, path: str) -> int:
        """How many requests were made to ``path`` (e.g. "/api/books")."""
        return sum(1 for asked, _ in self.requests if asked == path)

    def _load_fixtures(self) -> None:
        for name in ("hit", "partial", "isbn10_only", "series"):
            for bibkey, record in load_fixture(
                f"openlibrary_books_{name}.json"
            ).items():
                isbn13 = to_isbn13(bibkey.removeprefix("ISBN:"))
                self.openlibrary[isbn13] = record
                if name == "isbn10_only":
                    self.isbn10_only.add(isbn13)
        for item in load_fixture("google_volumes_hit.json")["items"]:
            for entry in item["volumeInfo"]["industryIdentifiers"]:
                if entry["type"] == "ISBN_13":
                    self.google[entry["identifier"]] = item
        self.search_docs = load_fixture("openlibrary_search.json")["docs"]

    # What the handler answers; each returns (status, content type, body).

    def books_api(self, query: dict[str, str]) -> tuple[int, str, bytes]:
        found = {}
        for bibkey in filter(None, query.get("bibkeys", "").split(",")):
            raw = bibkey.removeprefix("ISBN:")
            isbn13 = _isbn13(raw)
            record = self.openlibrary.get(isbn13 or "")
            if record and (isbn13 not in self.isbn10_only or len(clean(raw)) == 10):
                found[bibkey] = record
        return self._json(found)

    def search_api(self, query: dict[str, str]) -> tuple[int, str, bytes]:
        words = query.get("q", "").lower().split()
        fields = [f for f in query.get("fields", "").split(",") if f]
        docs = [doc for doc in self._all_docs() if _matches(doc, words)]
        docs = docs[: int(query.get("limit") or 100)]
        if fields:
            docs = [{k: v for k, v in doc.items() if k in fields} for doc in docs]
        return self._json(
            {
                "numFound": len(docs),
                "start": 0,
                "numFoundExact": True,
                "docs": docs,
                "num_found": len(docs),
                "q": query.get("q", ""),
                "offset": None,
            }
        )

    def volumes_api(self, query: dict[str, str]) -> tuple[int, str, bytes]:
        with self._lock:
            self.google_calls += 1
            throttled = self.google_calls in self.google_429_at
            self.google_429s += throttled
        if throttled:
            body = {"error": {"code": 429, "message": "Too many requests"}}
            return 429, "application/json", json.dumps(body).encode()
        if self.google_daily_limit:
            reason = {"reason": "dailyLimitExceeded", "domain": "usageLimits"}
            body = {"error": {"code": 403, "message": "Daily Limit Exceeded"}}
            body["error"]["errors"] = [reason]
            return 403, "application/json", json.dumps(body).encode()
        isbn13 = _isbn13(query.get("q", "").removeprefix("isbn:"))
        item = self.google.get(isbn13 or "")
        if item is None:
            return self._json({"kind": "books#volumes", "totalItems": 0})
        return self._json({"kind": "books#volumes", "totalItems": 1, "items": [item]})

    def cover(self, kind: str, ident: str) -> tuple[int, str, bytes]:
        record = self.openlibrary.get(_isbn13(ident) or "") if kind == "isbn" else None
        if kind == "isbn" and not (record and record.get("cover")):
            # Like covers.openlibrary.org with ?default=false.
            return 404, "text/plain", b"Not Found"
        if self.cover_bytes is not None:
            return 200, "image/jpeg", self.cover_bytes
        return 200, "image/jpeg", make_cover_jpeg(seed=ident)

    def _all_docs(self) -> list[dict]:
        """The search fixture plus a document per Open Library record not in it."""
        titles = {doc.get("title") for doc in self.search_docs}
        extra = [
            _doc_for(isbn13, record)
            for isbn13, record in self.openlibrary.items()
            if record.get("title") not in titles
        ]
        return self.search_docs + extra

    def _json(self, payload: Any) -> tuple[int, str, bytes]:
        # Image addresses in the fixtures point at the real hosts: send them here.
        body = json.dumps(payload)
        body = body.replace(OL_COVERS, self.url)
        body = body.replace(GOOGLE_CONTENT, f"{self.url}/books/content")
        return 200, "application/json; charset=utf-8", body.encode()


def google_volume(isbn13: str, *, title: str) -> dict:
    """A volumes ``items[]`` entry with every field the chain wants."""
    return {
        "kind": "books#volume",
        "id": f"G{isbn13[-8:]}",
        "volumeInfo": {
            "title": title,
            "authors": ["A. Google Author"],
            "publisher": "Volume Press",
            "publishedDate": "2003-04-05",
            "description": "Found on Google Books.",
            "industryIdentifiers": [{"type": "ISBN_13", "identifier": isbn13}],
            "pageCount": 321,
            "language": "en",
            "imageLinks": {"thumbnail": f"{GOOGLE_CONTENT}?id=G{isbn13[-8:]}"},
        },
    }


def isbn13_for(n: int, prefix: str = "978") -> str:
    """The ``n``-th made-up ISBN-13 under ``prefix``, with a valid check digit."""
    body = f"{prefix}{n:09d}"
    total = sum((3 if i % 2 else 1) * int(digit) for i, digit in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _matches(doc: dict, words: list[str]) -> bool:
    haystack = " ".join(
        [doc.get("title", ""), doc.get("subtitle", ""), *doc.get("author_name", [])]
    ).lower()
    return all(word in haystack for word in words)


def _doc_for(isbn13: str, record: dict) -> dict:
    """A search.json document for a Books API record."""
    doc: dict[str, Any] = {
        "key": "/works/" + record.get("key", "").removeprefix("/books/")[:-1] + "W",
        "title": record.get("title", ""),
        "author_name": [a["name"] for a in record.get("authors", [])],
        "edition_count": 1,
        "isbn": [isbn13, *record.get("identifiers", {}).get("isbn_10", [])],
        "publisher": [p["name"] for p in record.get("publishers", [])],
    }
    if year := re.search(r"\d{4}", str(record.get("publish_date", ""))):
        doc["first_publish_year"] = int(year[0])
    cover_id = re.search(r"/b/id/(\d+)-", json.dumps(record.get("cover", {})))
    if cover_id:
        doc["cover_i"] = int(cover_id[1])
    return doc


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeProvider/1.0"

    def do_GET(self) -> None:
        fake: FakeProviderServer = self.server.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        fake.requests.append((parts.path, query))
        named = {
            _isbn13(raw) for raw in re.findall(r"[0-9X]{10,13}", unquote(self.path))
        }
        if named & fake.slow_isbns:
            time.sleep(fake.delay)
        if fake.fail_all or named & fake.fail_isbns:
            self._send(fake.fail_status, "application/json", b'{"error": "failed"}')
            return
        self._send(*self._route(fake, parts.path, query))

    def _route(
        self, fake: FakeProviderServer, path: str, query: dict[str, str]
    ) -> tuple[int, str, bytes]:
        if path == "/api/books":
            return fake.books_api(query)
        if path == "/search.json":
            return fake.search_api(query)
        if path == "/books/v1/volumes":
            return fake.volumes_api(query)
        if path == "/books/content":
            return 200, "image/jpeg", make_cover_jpeg(seed=query.get("id", ""))
        if match := _COVER_PATH.match(path):
            return fake.cover(match[1], match[2])
        return 404, "text/plain", b"Not Found"

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        fake: FakeProviderServer = self.server.fake  # type: ignore[attr-defined]
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status == 429:
                self.send_header("Retry-After", fake.retry_after)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting: what a timeout test wants

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; ``requests`` records what was asked


@pytest.fixture
def fake_provider(settings):
    """A running FakeProviderServer with the provider settings pointing at it."""
    with FakeProviderServer() as server:
        settings.OPENLIBRARY_URL = server.url
        settings.OPENLIBRARY_COVERS_URL = server.url
        settings.GOOGLE_BOOKS_URL = server.url
        settings.GOOGLE_BOOKS_API_KEY = ""
        # A stand-in has no rate limits to respect: retry without pausing.
        settings.METADATA_HTTP_BACKOFF_SECONDS = 0
        yield server


def main(argv: list[str] | None = None) -> None:
    """Run the fake server in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    server = FakeProviderServer(host=args.host, port=args.port)
    print(
        f"Fake metadata providers at {server.url}; point the app at it with:",
        flush=True,
    )
    for name in ("OPENLIBRARY_URL", "OPENLIBRARY_COVERS_URL", "GOOGLE_BOOKS_URL"):
        print(f"  export {name}={server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
