"""Throttles for the front door: failed logins, password-reset mails, sign-ups.

Counters live in Django's cache (``THROTTLE_CACHE``), which every web process
shares: the database cache locally, Redis when ``CACHE_URL`` or ``REDIS_URL``
names one, a DynamoDB table on AWS. Each rule in ``THROTTLE_RULES`` is
``(limit, window in seconds)``; a window starts at the first counted attempt,
and once the limit is reached every attempt is refused until it ends, with a
message saying when to try again.

A small module rather than django-axes or django-ratelimit: axes counts login
failures only, with one limit for every key, and declares no Django 6.1
support; ratelimit counts requests in clock-aligned windows and cannot say
when a refusal ends.
"""

import functools
import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import caches
from django.core.exceptions import ValidationError

from accounts.keys import fold

LOGIN_ACCOUNT = "login-account"
LOGIN_CLIENT = "login-client"
RESET_ADDRESS = "password-reset-address"
RESET_CLIENT = "password-reset-client"
SIGNUP_CLIENT = "signup-client"


class Throttled(Exception):
    """Too many attempts; ``retry_after`` seconds until the next is accepted."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(self.message)

    @property
    def message(self) -> str:
        minutes = math.ceil(self.retry_after / 60)
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many attempts; try again in {minutes} {unit}."


@dataclass(frozen=True)
class Counter:
    """One rule applied to one identity (an account, an address, a client)."""

    rule: str
    identity: str

    @property
    def limit(self) -> int:
        return settings.THROTTLE_RULES[self.rule][0]

    @property
    def window(self) -> int:
        return settings.THROTTLE_RULES[self.rule][1]

    @property
    def key(self) -> str:
        # Keyed like the accounts themselves (accounts.keys.fold), so every
        # spelling that logs in to one account counts against that account.
        digest = hashlib.sha256(fold(self.identity.strip()).encode()).hexdigest()
        return f"throttle:{self.rule}:{digest[:40]}"


def _cache():
    return caches[settings.THROTTLE_CACHE]


def check(*counters: Counter) -> None:
    """Raise Throttled if any counter has reached its limit."""
    cache = _cache()
    now = time.time()
    waits = []
    for counter in counters:
        if (cache.get(counter.key) or 0) >= counter.limit:
            until = cache.get(f"{counter.key}:until") or now + counter.window
            waits.append(until - now)
    if waits:
        raise Throttled(max(waits))


def hit(*counters: Counter) -> None:
    """Count one attempt against each counter, starting its window if needed."""
    cache = _cache()
    for counter in counters:
        cache.add(f"{counter.key}:until", time.time() + counter.window, counter.window)
        cache.add(counter.key, 0, counter.window)
        try:
            cache.incr(counter.key)
        except ValueError:  # the window ended between add and incr
            cache.set(counter.key, 1, counter.window)


def check_and_hit(*counters: Counter) -> None:
    """Refuse the attempt if throttled, else count it."""
    check(*counters)
    hit(*counters)


def reset(*counters: Counter) -> None:
    """Forget the counted attempts (a successful login clears its account's)."""
    cache = _cache()
    for counter in counters:
        cache.delete(counter.key)
        cache.delete(f"{counter.key}:until")


def client_address(request) -> str:
    """The client's address: the peer's, or what a trusted proxy says it saw.

    Only a peer in ``TRUSTED_PROXIES`` is believed, and only for the entries
    it and the trusted proxies before it appended: X-Forwarded-For is read
    from the right, and the first address that is not a trusted proxy is the
    client (the entries further left are whatever the client wrote). On AWS
    REMOTE_ADDR is API Gateway's source IP and no proxy is trusted.
    """
    peer = request.META.get("REMOTE_ADDR") or "unknown"
    if not _is_trusted_proxy(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted_proxy(hop):
            return hop
    return hops[0] if hops else peer


def _is_trusted_proxy(address: str) -> bool:
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


@functools.cache
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


class ThrottledLoginMixin:
    """Refuse logins for an account or client that failed too often."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        account = Counter(LOGIN_ACCOUNT, username)
        counters = [account]
        if self.request is not None:
            counters.append(Counter(LOGIN_CLIENT, client_address(self.request)))
        try:
            check(*counters)
        except Throttled as exc:
            raise ValidationError(exc.message, code="throttled") from exc
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                hit(*counters)
            raise
        reset(account)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The login page's form, throttled."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form, throttled like the login page."""


def create_cache_tables(**kwargs) -> None:
    """After ``migrate``, create the database cache's table where one is used."""
    from django.core.management import call_command

    if any(
        config["BACKEND"].endswith("db.DatabaseCache")
        for config in settings.CACHES.values()
    ):
        call_command("createcachetable", verbosity=0)
