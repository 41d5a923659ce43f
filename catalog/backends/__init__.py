"""Catalog backends: the storage behind ``Book.objects`` and ``UserBook.objects``.

The backend class is named by the ``CATALOG_BACKEND`` setting and resolved on
first use, never at import, so settings overrides in tests take effect.
"""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from catalog.backends.base import CatalogBackend


@cache
def get_backend() -> CatalogBackend:
    """Return the configured catalog backend (one instance per process)."""
    path = settings.CATALOG_BACKEND
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"CATALOG_BACKEND {path!r} cannot be imported: {exc}"
        ) from exc
    if not issubclass(backend_class, CatalogBackend):
        raise ImproperlyConfigured(f"CATALOG_BACKEND {path!r} is not a CatalogBackend.")
    return backend_class()


@receiver(setting_changed)
def _reset_backend(*, setting: str, **kwargs) -> None:
    if setting == "CATALOG_BACKEND":
        get_backend.cache_clear()
