"""What a provider's HTTP error answer means: rate limit, outage or refusal."""

import email.utils
import json
import math
from datetime import UTC, datetime

import requests

from catalog.metadata.allowance import quota_day
from catalog.metadata.base import ProviderError, QuotaUsedUp

# Google reports quota trouble as 403 with one of these reasons.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
DAILY_LIMIT_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded"})


def http_error(
    response: requests.Response, body: bytes, *, provider: str, label: str
) -> ProviderError:
    """The ProviderError for an HTTP error answer (``body``: its first bytes)."""
    status = response.status_code
    reasons, detail = _api_error(response, body)
    if status in (403, 429) and reasons & DAILY_LIMIT_REASONS:
        # Asking again today is no use: wait for the quota's next day.
        return QuotaUsedUp(
            f"The daily quota of {label} is used up; the details will be "
            "fetched after it resets",
            provider=provider,
            retry_after=quota_day()[1],
        )
    if status == 429 or (status == 403 and reasons & RATE_LIMIT_REASONS):
        wait = parse_retry_after(response.headers.get("Retry-After"))
        message = f"{label} is rate-limiting us"
        if wait is not None:
            message += f"; try again in {math.ceil(wait)} s"
        return ProviderError(
            message,
            provider=provider,
            transient=True,
            retry_after=wait,
            rate_limited=True,
        )
    if status >= 500 or status == 408:
        return ProviderError(
            f"{label} is having trouble (HTTP {status}); try again later",
            provider=provider,
            transient=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    suffix = f": {detail}" if detail else ""
    return ProviderError(
        f"{label} refused the request (HTTP {status}{suffix})",
        provider=provider,
        transient=False,
    )


def _api_error(response: requests.Response, body: bytes) -> tuple[set[str], str]:
    """Google-style ``{"error": {"message", "errors": [{"reason"}]}}``, if any."""
    if "json" not in response.headers.get("Content-Type", ""):
        return set(), ""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return set(), ""
    if not isinstance(error, dict):
        return set(), str(error or "")[:200]
    reasons = {
        str(item.get("reason"))
        for item in error.get("errors") or []
        if isinstance(item, dict)
    }
    return reasons, str(error.get("message") or "")[:200]


def parse_retry_after(
    value: str | None, *, now: datetime | None = None
) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
