"""How much a provider may still be asked: its cool-down and its daily quota.

Both live in the cache every worker shares (Redis or the database locally,
DynamoDB on AWS), so a rate limit one job meets stops every job from asking,
and the quota counts the requests of all of them.

- A provider that answers "too many requests" (HTTP 429, or Google's 403 with
  a rate-limit reason) is not asked again by anyone until its Retry-After has
  passed (``METADATA_RATE_LIMIT_COOLDOWN_SECONDS`` when it names no time).
- A provider with a daily quota (Google Books: ``GOOGLE_BOOKS_DAILY_QUOTA``)
  is asked at most that many times a day, counted per day in the time zone
  where the quota resets (Google's: midnight Pacific time). Requests that
  only fill in fields a first provider left empty are sent while less than
  half of it is used; the rest is kept for books no provider before it knows.
"""

import logging
import math
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import caches

from catalog.metadata.base import Provider, ProviderError, QuotaUsedUp

logger = logging.getLogger(__name__)

# Google's quotas reset at midnight Pacific time.
QUOTA_TIME_ZONE = "America/Los_Angeles"
# A day's counter outlives its day, so a late request still finds it.
COUNTER_SECONDS = 2 * 24 * 3600


def _cache():
    return caches["default"]


def _cooldown_key(provider: str) -> str:
    return f"metadata:cooldown:{provider}"


def _quota_zone() -> ZoneInfo | type[UTC]:
    try:
        return ZoneInfo(QUOTA_TIME_ZONE)
    except ZoneInfoNotFoundError:  # no time zone database: count UTC days
        return UTC


def quota_day(now: datetime | None = None) -> tuple[str, float]:
    """The quota's current day (``YYYY-MM-DD``) and the seconds until it ends."""
    now = (now or datetime.fromtimestamp(time.time(), UTC)).astimezone(_quota_zone())
    tomorrow = datetime.combine(
        now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo
    )
    return now.date().isoformat(), (tomorrow - now).total_seconds()


def requests_today(provider: str, *, now: datetime | None = None) -> int:
    """How many requests the provider was sent today (its quota's day)."""
    day, _ = quota_day(now)
    return _cache().get(f"metadata:requests:{provider}:{day}") or 0


def cooling_down(provider: str) -> float:
    """Seconds until the provider may be asked again (0: it may be now)."""
    until = _cache().get(_cooldown_key(provider))
    if not isinstance(until, int | float):
        return 0.0
    return max(0.0, until - time.time())


def cool_down(provider: str, seconds: float | None) -> float:
    """Stop everyone asking the provider for ``seconds``; return the wait set."""
    wait = settings.METADATA_RATE_LIMIT_COOLDOWN_SECONDS if seconds is None else seconds
    if wait <= 0:
        return 0.0  # "Retry-After: 0": asking again at once is allowed
    until = time.time() + wait
    # Never shorten a longer cool-down another job has set.
    if until > time.time() + cooling_down(provider):
        _cache().set(_cooldown_key(provider), until, math.ceil(wait))
    logger.warning("%s is rate-limiting us: not asked for %.0f s", provider, wait)
    return wait


def use_up(provider: Provider, *, now: datetime | None = None) -> None:
    """Count the provider's quota as spent for the rest of its day (it said so)."""
    quota = provider.daily_quota()
    if quota is None:
        return
    day, _ = quota_day(now)
    key = f"metadata:requests:{provider.name}:{day}"
    if (_cache().get(key) or 0) < quota:
        _cache().set(key, quota, COUNTER_SECONDS)
    logger.warning("%s says its daily quota is used up", provider.label)


def take(provider: Provider, *, essential: bool, now: datetime | None = None) -> None:
    """Count one request to ``provider``, or raise if it may not be asked now.

    Raises ``ProviderError`` (transient, with the wait) while it cools down
    after a rate limit, and ``QuotaUsedUp`` once its day's quota is spent
    (half of it for requests that are not ``essential``).
    """
    if wait := cooling_down(provider.name):
        raise ProviderError(
            f"{provider.label} is rate-limiting us; try again in {math.ceil(wait)} s",
            provider=provider.name,
            transient=True,
            retry_after=wait,
        )
    quota = provider.daily_quota()
    if quota is None:
        return
    day, until_reset = quota_day(now)
    limit = quota if essential else quota // 2
    key = f"metadata:requests:{provider.name}:{day}"
    cache = _cache()
    used = cache.get(key) or 0
    if used < limit:
        cache.add(key, 0, COUNTER_SECONDS)
        try:
            used = cache.incr(key)
        except ValueError:  # the counter expired between add and incr
            cache.set(key, 1, COUNTER_SECONDS)
            used = 1
        if used <= limit:
            return
    raise QuotaUsedUp(
        f"The daily quota of {provider.label} is used up; the details will be "
        "fetched after it resets",
        provider=provider.name,
        retry_after=until_reset,
    )
