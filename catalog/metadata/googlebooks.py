"""Google Books: the volumes search, one ISBN per call, with an optional API key."""

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings

from catalog.isbn import clean, to_isbn10
from catalog.metadata.base import BookMetadata, Provider, ProviderError, names, text
from catalog.metadata.http import get_json

NAME = "google"
LABEL = "Google Books"
# Largest first; the volumes search usually only has the two thumbnails, but a
# record that has more is worth the better picture.
IMAGE_SIZES = ("extraLarge", "large", "medium", "small", "thumbnail", "smallThumbnail")
GOOGLE_HOSTS = ("google.com", "googleapis.com", "googleusercontent.com")


class GoogleBooks(Provider):
    """Google Books' volumes API, searched with ``q=isbn:<ISBN-13>``."""

    name = NAME
    label = LABEL
    batch_size = 1

    def lookup(self, isbns: list[str]) -> dict[str, BookMetadata]:
        """Return details for the ISBN-13s Google Books knows, keyed by ISBN-13."""
        found: dict[str, BookMetadata] = {}
        for isbn13 in isbns:
            item = self._find(isbn13)
            if item is not None:
                found[isbn13] = parse_volume(isbn13=isbn13, item=item)
        return found

    def daily_quota(self) -> int | None:
        """``GOOGLE_BOOKS_DAILY_QUOTA`` (read per call); 0 counts nothing."""
        return settings.GOOGLE_BOOKS_DAILY_QUOTA or None

    def _find(self, isbn13: str) -> dict[str, Any] | None:
        params = {"q": f"isbn:{isbn13}"}
        # Read per call: the key may be set or rotated without a restart.
        if key := settings.GOOGLE_BOOKS_API_KEY:
            params["key"] = key
        data = get_json(
            f"{settings.GOOGLE_BOOKS_URL.rstrip('/')}/books/v1/volumes",
            params=params,
            provider=self.name,
            label=self.label,
            sleep=self.sleep,
        )
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ProviderError(
                f"{self.label} sent an answer in an unexpected shape",
                provider=self.name,
                transient=False,
            )
        # The search matches loosely; only trust a volume that lists this ISBN,
        # since wrong details are worse than none.
        wanted = {isbn13, to_isbn10(isbn13)} - {None}
        for item in data.get("items") or []:
            if isinstance(item, dict) and wanted & _identifiers(item):
                return item
        return None


def _identifiers(item: dict[str, Any]) -> set[str]:
    info = item.get("volumeInfo")
    identifiers = info.get("industryIdentifiers") if isinstance(info, dict) else None
    return {
        clean(str(entry.get("identifier") or ""))
        for entry in identifiers or []
        if isinstance(entry, dict) and entry.get("type") in ("ISBN_13", "ISBN_10")
    }


def parse_volume(*, isbn13: str, item: dict[str, Any]) -> BookMetadata:
    """Turn one volumes ``items[]`` entry into BookMetadata."""
    info = item.get("volumeInfo")
    info = info if isinstance(info, dict) else {}
    pages = info.get("pageCount")
    volume_id = text(item.get("id"))
    return BookMetadata(
        isbn13=isbn13,
        title=text(info.get("title")),
        subtitle=text(info.get("subtitle")),
        authors=names(info.get("authors")),
        publisher=text(info.get("publisher")),
        publish_date=text(info.get("publishedDate")),
        pages=pages if isinstance(pages, int) and pages > 0 else None,
        language=text(info.get("language")),
        description=text(info.get("description")),
        subjects=names(info.get("categories")),
        cover_url=_cover(info.get("imageLinks")),
        provider_ids={NAME: volume_id} if volume_id else {},
    )


def _cover(links: Any) -> str:
    if not isinstance(links, dict):
        return ""
    for size in IMAGE_SIZES:
        if url := text(links.get(size)):
            return tidy_cover_url(url)
    return ""


def tidy_cover_url(url: str) -> str:
    """Use HTTPS for Google's image hosts and drop the page-curl effect.

    ``zoom`` is left alone: other values often return a placeholder or an
    inside page instead of the cover.
    """
    parts = urlsplit(url)
    scheme = parts.scheme
    host = (parts.hostname or "").lower()
    if scheme == "http" and any(
        host == name or host.endswith("." + name) for name in GOOGLE_HOSTS
    ):
        scheme = "https"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key != "edge"
    ]
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), ""))
