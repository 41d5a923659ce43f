"""Metadata providers (seam 5): look editions up by ISBN and search by title.

The provider layer only fetches and merges; services decide what to store.
Base URLs, timeouts and the User-Agent come from settings, read per call.
"""

from catalog.metadata.base import BookMetadata, Provider, ProviderError, QuotaUsedUp
from catalog.metadata.chain import LookupResult, default_providers, lookup
from catalog.metadata.covers import fetch_cover
from catalog.metadata.googlebooks import GoogleBooks
from catalog.metadata.http import get_bytes, get_json
from catalog.metadata.openlibrary import OpenLibrary, SearchHit, search

__all__ = [
    "BookMetadata",
    "GoogleBooks",
    "LookupResult",
    "OpenLibrary",
    "Provider",
    "ProviderError",
    "QuotaUsedUp",
    "SearchHit",
    "default_providers",
    "fetch_cover",
    "get_bytes",
    "get_json",
    "lookup",
    "search",
]
