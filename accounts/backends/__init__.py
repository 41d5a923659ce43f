"""User backends: the storage behind ``User.objects`` (named by ``USER_BACKEND``)."""

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from accounts.backends.base import UserBackend


@cache
def get_user_backend() -> UserBackend:
    """Return the configured user backend (one instance per process)."""
    path = settings.USER_BACKEND
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"USER_BACKEND {path!r} cannot be imported: {exc}"
        ) from exc
    if not issubclass(backend_class, UserBackend):
        raise ImproperlyConfigured(f"USER_BACKEND {path!r} is not a UserBackend.")
    return backend_class()


@receiver(setting_changed)
def _reset_backend(*, setting: str, **kwargs) -> None:
    if setting == "USER_BACKEND":
        get_user_backend.cache_clear()
