"""The provider chain: ask each provider in turn and merge field by field."""

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from catalog.isbn import to_isbn13
from catalog.metadata import allowance
from catalog.metadata.base import (
    MERGED_FIELDS,
    BookMetadata,
    Provider,
    ProviderError,
    QuotaUsedUp,
)
from catalog.metadata.googlebooks import GoogleBooks
from catalog.metadata.openlibrary import OpenLibrary

logger = logging.getLogger(__name__)

# Missing any of these after a provider, the next provider is asked too. Not
# language: Open Library's data API never has it, and asking Google for every
# book only for that would spend its quota.
WANTED_FIELDS = (
    "title",
    "authors",
    "publisher",
    "publish_date",
    "pages",
    "description",
    "cover_url",
)


@dataclass
class LookupResult:
    """What the chain learnt about one ISBN: merged details, provenance, failures."""

    metadata: BookMetadata | None = None
    # Field name -> the name of the provider its value came from.
    sources: dict[str, str] = field(default_factory=dict)
    errors: list[ProviderError] = field(default_factory=list)
    # Provider name -> label, for the providers asked.
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """Nothing was found and a provider failed in a way worth retrying."""
        return self.metadata is None and any(error.transient for error in self.errors)

    @property
    def deferred(self) -> bool:
        """Nothing was found, and only a spent daily quota kept a provider unasked.

        Such a book waits for the quota's next day rather than retry or fail.
        """
        transient = [error for error in self.errors if error.transient]
        return (
            self.metadata is None
            and bool(transient)
            and all(isinstance(error, QuotaUsedUp) for error in transient)
        )

    @property
    def answered(self) -> list[str]:
        """The providers asked that answered (found it or said they do not know)."""
        failed = {error.provider for error in self.errors}
        return [name for name in self.labels if name not in failed]

    @property
    def not_found(self) -> bool:
        """Every provider answered and none knows this ISBN."""
        return self.metadata is None and not self.failed

    @property
    def source_labels(self) -> list[str]:
        """The contributing providers' labels, in chain order, once each."""
        names = dict.fromkeys(self.sources.values())
        return [self.labels.get(name, name) for name in names]

    @property
    def failing_labels(self) -> list[str]:
        """The labels of the providers that failed in a way worth retrying."""
        names = dict.fromkeys(e.provider for e in self.errors if e.transient)
        return [self.labels.get(name, name) for name in names]


def default_providers() -> list[Provider]:
    """The chain used when none is given: Open Library, then Google Books."""
    return [OpenLibrary(), GoogleBooks()]


def lookup(
    isbns: Sequence[str],
    *,
    providers: Sequence[Provider] | None = None,
    skip: Sequence[str] = (),
) -> dict[str, LookupResult]:
    """Look the ISBNs up along the chain; one LookupResult per ISBN given.

    ``skip``: names of providers not to ask (they already said they do not
    know these ISBNs). Raises ``InvalidISBN`` for an ISBN that is not valid
    (a caller's bug).
    """
    chain = default_providers() if providers is None else list(providers)
    chain = [provider for provider in chain if provider.name not in skip]
    canonical = {raw: to_isbn13(raw) for raw in isbns}
    wanted = list(dict.fromkeys(canonical.values()))
    found: dict[str, list[tuple[Provider, BookMetadata]]] = {i: [] for i in wanted}
    errors: dict[str, list[ProviderError]] = {i: [] for i in wanted}
    for provider in chain:
        # The ISBNs nobody knows yet first: should the provider's quota or
        # rate limit stop the asking, the books it can least do without
        # were asked for.
        todo = sorted(
            (isbn for isbn in wanted if _needs_more(found[isbn])),
            key=lambda isbn: bool(found[isbn]),
        )
        for isbn, metadata in _ask(provider, todo, found, errors).items():
            found[isbn].append((provider, metadata))
    labels = {provider.name: provider.label for provider in chain}
    merged = {isbn: _merge(isbn, found[isbn], errors[isbn], labels) for isbn in wanted}
    return {raw: merged[isbn] for raw, isbn in canonical.items()}


def _needs_more(entries: list[tuple[Provider, BookMetadata]]) -> bool:
    return not entries or any(
        not any(getattr(metadata, name) for _, metadata in entries)
        for name in WANTED_FIELDS
    )


def _ask(
    provider: Provider,
    isbns: list[str],
    found: dict[str, list[tuple[Provider, BookMetadata]]],
    errors: dict[str, list[ProviderError]],
) -> dict[str, BookMetadata]:
    """One provider's answers, batch by batch; failures are noted per ISBN.

    Each request first takes its place in the provider's allowance (its
    cool-down after a rate limit, its daily quota; see ``allowance``).
    """
    results: dict[str, BookMetadata] = {}
    size = max(1, provider.batch_size)
    for start in range(0, len(isbns), size):
        batch = isbns[start : start + size]
        try:
            essential = any(not found[isbn] for isbn in batch)
            # Refused here (a cool-down, our count of the quota): not sent.
            allowance.take(provider, essential=essential)
            answer = _lookup(provider, batch)
        except ProviderError as error:
            # The rest would meet the same outage or limit: note it for them
            # rather than wait on it again, batch after batch.
            logger.warning("%s failed for %d ISBNs: %s", provider, len(isbns), error)
            for isbn in isbns[start:]:
                errors[isbn].append(error)
            break
        results.update({isbn: answer[isbn] for isbn in batch if isbn in answer})
    return results


def _lookup(provider: Provider, batch: list[str]) -> dict[str, BookMetadata]:
    """Ask the provider; tell every job when it says we ask too much."""
    try:
        return provider.lookup(batch)
    except QuotaUsedUp:
        # Its own count says the day's quota is spent: nobody asks today.
        allowance.use_up(provider)
        raise
    except ProviderError as error:
        if error.rate_limited:
            # Asked too often: nobody asks again before the wait is over.
            error.retry_after = allowance.cool_down(provider.name, error.retry_after)
        raise


def _merge(
    isbn: str,
    entries: list[tuple[Provider, BookMetadata]],
    errors: list[ProviderError],
    labels: dict[str, str],
) -> LookupResult:
    """The first non-empty value of each field, in chain order, with provenance."""
    if not entries:
        return LookupResult(errors=errors, labels=labels)
    merged = BookMetadata(isbn13=isbn)
    sources: dict[str, str] = {}
    for name in MERGED_FIELDS:
        for provider, metadata in entries:
            if value := getattr(metadata, name):
                setattr(merged, name, copy.copy(value))
                sources[name] = provider.name
                break
    for _, metadata in reversed(entries):
        merged.provider_ids.update(metadata.provider_ids)
    if not merged.cover_url:
        for provider, _ in entries:
            if url := provider.cover_fallback(isbn):
                merged.cover_url = url
                sources["cover_url"] = provider.name
                break
    return LookupResult(metadata=merged, sources=sources, errors=errors, labels=labels)
