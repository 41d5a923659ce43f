"""Recompute the records' sort and search keys when the way they are made changes.

Every record stores keys computed from its book and its own values
(``catalog.backends.base.listing_fields``). When that computation changes (the
search learned ISBN-10s, apostrophes and punctuation), the records stored
before keep the old keys until this rewrites them. The ORM runs it as a data
migration; on DynamoDB, ``manage.py refresh_search_keys`` runs it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from catalog.models import UserBook


@dataclass
class KeysRefresh:
    """What a refresh did: records read, and rewritten (or to rewrite, dry)."""

    read: int = 0
    rewritten: int = 0


def userbooks_refresh_keys(
    *,
    dry_run: bool = False,
    batch: int = 100,
    progress: Callable[[KeysRefresh], None] | None = None,
) -> KeysRefresh:
    """Rewrite the keys of every record whose stored keys are out of date."""
    done = KeysRefresh()
    for read, rewritten in UserBook.objects.refresh_listings(
        dry_run=dry_run, batch=batch
    ):
        done.read += read
        done.rewritten += rewritten
        if progress:
            progress(done)
    return done
