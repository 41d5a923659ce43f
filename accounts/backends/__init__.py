"""User backends: the storage behind ``User.objects`` (named by ``USER_BACKEND``)."""

from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver

from accounts.backends.base import UserBackend
from booklibrary.backends import load_backend


@cache
def get_user_backend() -> UserBackend:
    """Return the configured user backend (one instance per process)."""
    return load_backend("USER_BACKEND", UserBackend)


@receiver(setting_changed)
def _reset_backend(*, setting: str, **kwargs) -> None:
    if setting == "USER_BACKEND":
        get_user_backend.cache_clear()
