"""What every metadata provider returns and raises, and the interface it implements."""

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Sleep = Callable[[float], None]

# The fields a provider may fill and the chain merges one by one.
MERGED_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "publisher",
    "publish_date",
    "pages",
    "language",
    "description",
    "subjects",
    "series",
    "cover_url",
)


@dataclass
class BookMetadata:
    """One edition's details as one provider (or the merged chain) knows them."""

    isbn13: str
    title: str = ""
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    publisher: str = ""
    publish_date: str = ""
    pages: int | None = None
    language: str = ""
    description: str = ""
    subjects: list[str] = field(default_factory=list)
    # [{"name": "Dune Chronicles", "position": "1"}] (``catalog.series``).
    series: list[dict[str, str]] = field(default_factory=list)
    cover_url: str = ""
    provider_ids: dict[str, str] = field(default_factory=dict)

    def missing(self, names: tuple[str, ...] = MERGED_FIELDS) -> list[str]:
        """Return the named fields that have no value."""
        return [name for name in names if not getattr(self, name)]


class ProviderError(Exception):
    """A provider could not answer; ``transient`` says if trying later may help.

    ``rate_limited``: the provider said we ask too often (HTTP 429, or Google's
    403 with a rate-limit reason), so nobody should ask it for a while.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        transient: bool,
        retry_after: float | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.transient = transient
        self.retry_after = retry_after
        self.rate_limited = rate_limited

    def __reduce__(self) -> tuple:
        # Keyword-only arguments defeat Exception's default pickling, which
        # task backends may use to carry the error between processes.
        rebuild = functools.partial(
            ProviderError,
            self.message,
            provider=self.provider,
            transient=self.transient,
            retry_after=self.retry_after,
            rate_limited=self.rate_limited,
        )
        return rebuild, ()

    def __repr__(self) -> str:
        return (
            f"ProviderError({self.message!r}, provider={self.provider!r}, "
            f"transient={self.transient}, retry_after={self.retry_after})"
        )


class QuotaUsedUp(ProviderError):
    """The provider's daily quota is spent: ask again after it resets.

    Not asked at all: the books concerned wait for the next day (the sweep
    queues them again then) rather than fail. ``retry_after``: seconds until
    the quota resets.
    """

    def __init__(self, message: str, *, provider: str, retry_after: float) -> None:
        super().__init__(
            message, provider=provider, transient=True, retry_after=retry_after
        )

    def __reduce__(self) -> tuple:
        rebuild = functools.partial(
            QuotaUsedUp,
            self.message,
            provider=self.provider,
            retry_after=self.retry_after,
        )
        return rebuild, ()


class Provider:
    """A metadata source that looks editions up by ISBN-13.

    Subclasses set ``name`` (stable, stored in provenance), ``label`` (shown to
    people), ``batch_size`` (most ISBNs worth one ``lookup`` call) and
    implement ``lookup``.
    """

    name: str = ""
    label: str = ""
    batch_size: int = 1

    def __init__(self, *, sleep: Sleep = time.sleep) -> None:
        # Injected so tests exercise retries and backoff without waiting.
        self.sleep = sleep

    def lookup(self, isbns: list[str]) -> dict[str, BookMetadata]:
        """Return details for the ISBN-13s found, keyed by ISBN-13.

        An ISBN missing from the result was not found. Raises ``ProviderError``
        when the provider could not be asked (outage, rate limit, bad answer).
        """
        raise NotImplementedError

    def daily_quota(self) -> int | None:
        """The most requests a day the provider takes from us; None: no quota."""
        return None

    def cover_fallback(self, isbn13: str) -> str:
        """Return a cover address worth trying when no provider gave one, or ""."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def text(value: Any) -> str:
    """A text field that is either a string or ``{"type": "/type/text", "value"}``."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def names(items: Any) -> list[str]:
    """Names from ``[{"name": ...}]`` (or plain strings), in order, once each."""
    seen: dict[str, None] = {}
    for item in items if isinstance(items, list) else []:
        name = text(item.get("name") if isinstance(item, dict) else item)
        if name:
            seen.setdefault(name, None)
    return list(seen)
