"""Open Library: the Books API for ISBN lookups, and search by title or author."""

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from catalog.isbn import InvalidISBN, to_isbn10, to_isbn13
from catalog.metadata.base import (
    BookMetadata,
    Provider,
    ProviderError,
    Sleep,
    names,
    text,
)
from catalog.metadata.http import get_json
from catalog.series import parse_entry as parse_series

logger = logging.getLogger(__name__)

NAME = "openlibrary"
LABEL = "Open Library"
BATCH_SIZE = 25
MAX_SUBJECTS = 20
MAX_SERIES, SERIES_TEXT_MAX = 20, 300
SEARCH_FIELDS = (
    "key,title,subtitle,author_name,first_publish_year,isbn,cover_i,"
    "edition_count,publisher"
)
ISBNS_PER_HIT = 5
_PAGES = re.compile(r"(\d+)\s*p\b")


@dataclass
class SearchHit:
    """One work found by a search, with some of its editions' ISBN-13s to pick."""

    title: str
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    isbns: list[str] = field(default_factory=list)
    cover_url: str = ""
    work_id: str = ""
    edition_count: int = 0
    publishers: list[str] = field(default_factory=list)


class OpenLibrary(Provider):
    """Open Library's Books API (``jscmd=data``), asked in batches of bibkeys."""

    name = NAME
    label = LABEL
    batch_size = BATCH_SIZE

    def lookup(self, isbns: list[str]) -> dict[str, BookMetadata]:
        """Return details for the ISBN-13s Open Library knows, keyed by ISBN-13."""
        found: dict[str, BookMetadata] = {}
        for start in range(0, len(isbns), self.batch_size):
            found.update(self._lookup_batch(isbns[start : start + self.batch_size]))
        return found

    def cover_fallback(self, isbn13: str) -> str:
        """The covers service by ISBN; ``default=false`` makes a miss a 404."""
        base = settings.OPENLIBRARY_COVERS_URL.rstrip("/")
        return f"{base}/b/isbn/{isbn13}-L.jpg?default=false"

    def _lookup_batch(self, isbns: list[str]) -> dict[str, BookMetadata]:
        # Some editions are only filed under their ISBN-10, so ask for both
        # forms; ISBN-13 bibkeys come first so their record wins.
        bibkeys: dict[str, str] = {}
        for isbn13 in isbns:
            bibkeys[f"ISBN:{isbn13}"] = isbn13
            if isbn10 := to_isbn10(isbn13):
                bibkeys[f"ISBN:{isbn10}"] = isbn13
        data = get_json(
            f"{settings.OPENLIBRARY_URL.rstrip('/')}/api/books",
            params={"bibkeys": ",".join(bibkeys), "format": "json", "jscmd": "data"},
            provider=self.name,
            label=self.label,
            sleep=self.sleep,
        )
        if data is None:
            logger.warning("Open Library answered 404 to /api/books: check the URL")
            return {}
        if not isinstance(data, dict):
            raise ProviderError(
                f"{self.label} sent an answer in an unexpected shape",
                provider=self.name,
                transient=False,
            )
        found: dict[str, BookMetadata] = {}
        for bibkey, isbn13 in bibkeys.items():
            record = data.get(bibkey)
            if isinstance(record, dict) and isbn13 not in found:
                found[isbn13] = parse_record(isbn13=isbn13, record=record)
        return found


def parse_record(*, isbn13: str, record: dict[str, Any]) -> BookMetadata:
    """Turn one Books API (``jscmd=data``) record into BookMetadata."""
    publishers = names(record.get("publishers"))
    return BookMetadata(
        isbn13=isbn13,
        title=text(record.get("title")),
        subtitle=text(record.get("subtitle")),
        authors=names(record.get("authors")),
        publisher=publishers[0] if publishers else "",
        publish_date=text(record.get("publish_date")),
        pages=_pages(record),
        description=text(record.get("description")),
        subjects=names(record.get("subjects"))[:MAX_SUBJECTS],
        series=_series(record.get("series")),
        cover_url=_cover(record.get("cover")),
        provider_ids=_ids(record),
    )


def _series(values: Any) -> list[dict[str, str]]:
    """Read an edition's ``series`` ("Dune Chronicles #1", "Discworld -- 5")."""
    if not isinstance(values, list):
        return []
    found = []
    for value in values[:MAX_SERIES]:
        name = value.get("name") if isinstance(value, dict) else value
        # Longer text is no series name; cut, it parses in bounded time.
        if isinstance(name, str) and (one := parse_series(name[:SERIES_TEXT_MAX])):
            found.append(one)
    return found


def _pages(record: dict[str, Any]) -> int | None:
    count = record.get("number_of_pages")
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count)
    if isinstance(count, int) and not isinstance(count, bool) and count > 0:
        return count
    # "pagination" is free text such as "xii, 412 p." or "96".
    pagination = text(record.get("pagination"))
    match = _PAGES.search(pagination)
    digits = match[1] if match else pagination
    if not digits.isdigit():
        return None
    return int(digits) or None


def _cover(cover: Any) -> str:
    if not isinstance(cover, dict):
        return ""
    urls = (text(cover.get(size)) for size in ("large", "medium", "small"))
    return next((url for url in urls if url), "")


def _ids(record: dict[str, Any]) -> dict[str, str]:
    key = text(record.get("key"))
    if key.startswith("/books/"):
        return {NAME: key.removeprefix("/books/")}
    identifiers = record.get("identifiers")
    ids = identifiers.get("openlibrary") if isinstance(identifiers, dict) else None
    if isinstance(ids, list) and ids and text(ids[0]):
        return {NAME: text(ids[0])}
    return {}


def search(
    query: str, *, limit: int = 10, sleep: Sleep = time.sleep
) -> list[SearchHit]:
    """Search Open Library for works by title or author; raise ProviderError."""
    query = " ".join((query or "").split())
    if not query:
        return []
    data = get_json(
        f"{settings.OPENLIBRARY_URL.rstrip('/')}/search.json",
        params={"q": query, "fields": SEARCH_FIELDS, "limit": max(1, min(limit, 100))},
        provider=NAME,
        label=LABEL,
        sleep=sleep,
        # Someone is waiting for this page.
        deadline=settings.METADATA_SEARCH_DEADLINE_SECONDS,
    )
    docs = data.get("docs") if isinstance(data, dict) else None
    hits = [_hit(doc) for doc in docs or [] if isinstance(doc, dict)]
    return [hit for hit in hits if hit is not None]


def _hit(doc: dict[str, Any]) -> SearchHit | None:
    title = text(doc.get("title"))
    if not title:
        return None
    year = doc.get("first_publish_year")
    cover_id = doc.get("cover_i")
    covers = settings.OPENLIBRARY_COVERS_URL.rstrip("/")
    count = doc.get("edition_count")
    return SearchHit(
        title=title,
        subtitle=text(doc.get("subtitle")),
        authors=names(doc.get("author_name")),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        isbns=isbn13s(doc.get("isbn"), limit=ISBNS_PER_HIT),
        cover_url=f"{covers}/b/id/{cover_id}-M.jpg" if _positive(cover_id) else "",
        work_id=text(doc.get("key")).removeprefix("/works/"),
        edition_count=count if _positive(count) else 0,
        publishers=names(doc.get("publisher"))[:5],
    )


def isbn13s(values: Any, *, limit: int) -> list[str]:
    """The valid ISBNs among ``values`` as ISBN-13s, once each, at most ``limit``."""
    found: dict[str, None] = {}
    for value in values if isinstance(values, list) else []:
        try:
            found.setdefault(to_isbn13(str(value)), None)
        except InvalidISBN:
            continue
        if len(found) >= limit:
            break
    return list(found)


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
