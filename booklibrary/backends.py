"""Loading a pluggable storage backend named by a setting (catalog, users)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def load_backend[B](setting: str, base: type[B]) -> B:
    """Return an instance of the class the setting names, checked against ``base``."""
    path = getattr(settings, setting)
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"{setting} {path!r} cannot be imported: {exc}"
        ) from exc
    if not (isinstance(backend_class, type) and issubclass(backend_class, base)):
        raise ImproperlyConfigured(f"{setting} {path!r} is not a {base.__name__}.")
    return backend_class()
