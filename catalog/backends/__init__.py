"""Catalog backends: the storage behind ``Book.objects`` and ``UserBook.objects``.

The backend class is named by the ``CATALOG_BACKEND`` setting and resolved on
first use, never at import, so settings overrides in tests take effect.
"""

from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver

from booklibrary.backends import load_backend
from catalog.backends.base import CatalogBackend


@cache
def get_backend() -> CatalogBackend:
    """Return the configured catalog backend (one instance per process)."""
    return load_backend("CATALOG_BACKEND", CatalogBackend)


@receiver(setting_changed)
def _reset_backend(*, setting: str, **kwargs) -> None:
    if setting == "CATALOG_BACKEND":
        get_backend.cache_clear()
