"""HTTP for the metadata providers: polite headers, timeouts, retries, backoff.

Every provider call goes through ``get_json`` (API answers) or ``get_bytes``
(cover images), so rate limits and outages are handled the same way
everywhere and end as a ``ProviderError`` with a message a person can read.
"""

import email.utils
import logging
import math
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from catalog.metadata.base import ProviderError, Sleep

logger = logging.getLogger(__name__)

MAX_RETRIES = 2
CHUNK_BYTES = 64 * 1024
# Google reports quota trouble as 403 with one of these reasons.
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"}
)

_local = threading.local()


def session() -> requests.Session:
    """Return this thread's session (a ``requests.Session`` is not thread-safe)."""
    current = getattr(_local, "session", None)
    if current is None:
        current = _local.session = requests.Session()
    return current


def get_json(
    url: str,
    *,
    params: dict[str, Any] | None = None,
    provider: str,
    label: str = "",
    sleep: Sleep = time.sleep,
) -> dict | list | None:
    """GET a JSON document, retrying what may pass; None if it does not exist (404)."""
    label = label or provider
    response = _get(
        url,
        params=params,
        accept="application/json",
        stream=False,
        provider=provider,
        label=label,
        sleep=sleep,
    )
    if response is None:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(
            f"{label} returned a response that is not JSON",
            provider=provider,
            transient=True,
        ) from exc


def get_bytes(
    url: str,
    *,
    max_bytes: int,
    provider: str = "covers",
    label: str = "",
    sleep: Sleep = time.sleep,
) -> bytes:
    """Download an image of at most ``max_bytes``, retrying what may pass."""
    parts = urlsplit(url)
    label = label or parts.hostname or provider
    if parts.scheme not in ("http", "https"):
        raise ProviderError(
            f"Not a web address for an image: {url[:100]!r}",
            provider=provider,
            transient=False,
        )
    response = _get(
        url,
        params=None,
        accept="image/*",
        stream=True,
        provider=provider,
        label=label,
        sleep=sleep,
    )
    if response is None:
        raise ProviderError(
            f"{label} has no image at this address", provider=provider, transient=False
        )
    with response:
        return _read_image(
            response, max_bytes=max_bytes, provider=provider, label=label
        )


def _read_image(
    response: requests.Response, *, max_bytes: int, provider: str, label: str
) -> bytes:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if not content_type.lower().startswith("image/"):
        raise ProviderError(
            f"{label} sent {content_type or 'something untyped'} instead of an image",
            provider=provider,
            transient=False,
        )
    too_big = ProviderError(
        f"The image from {label} is larger than {max_bytes // 1024} KB",
        provider=provider,
        transient=False,
    )
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise too_big
    chunks, size = [], 0
    try:
        # Read in chunks and stop early: Content-Length may be absent or wrong.
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise too_big
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise ProviderError(
            f"{label} stopped sending the image half-way",
            provider=provider,
            transient=True,
        ) from exc
    return b"".join(chunks)


def _get(
    url: str,
    *,
    params: dict[str, Any] | None,
    accept: str,
    stream: bool,
    provider: str,
    label: str,
    sleep: Sleep,
) -> requests.Response | None:
    """Send a GET, retrying transient failures; None on 404."""
    headers = {"User-Agent": settings.METADATA_USER_AGENT, "Accept": accept}
    timeout = (settings.METADATA_CONNECT_TIMEOUT, settings.METADATA_READ_TIMEOUT)
    for attempt in range(MAX_RETRIES + 1):
        try:
            response = session().get(
                url, params=params, headers=headers, timeout=timeout, stream=stream
            )
        except requests.Timeout as exc:
            error = _failure(f"{label} did not answer in time", provider, exc)
        except requests.ConnectionError as exc:
            error = _failure(f"{label} could not be reached", provider, exc)
        except requests.RequestException as exc:
            # Not the exception's text: it may quote the URL with the API key.
            raise ProviderError(
                f"Could not ask {label}: check its address ({type(exc).__name__})",
                provider=provider,
                transient=False,
            ) from exc
        else:
            if response.status_code < 400:
                return response
            with response:
                if response.status_code == 404:
                    return None
                error = _http_error(response, provider=provider, label=label)
        if not error.transient or attempt == MAX_RETRIES:
            raise error
        wait = error.retry_after
        if wait is None:
            wait = settings.METADATA_HTTP_BACKOFF_SECONDS * 2**attempt
        if wait > settings.METADATA_MAX_RETRY_AFTER:
            # Too long to hold a worker: the job retries later instead.
            raise error
        logger.info("%s; retrying in %.1f s", error, wait)
        sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _failure(message: str, provider: str, cause: Exception) -> ProviderError:
    error = ProviderError(message, provider=provider, transient=True)
    error.__cause__ = cause
    return error


def _http_error(
    response: requests.Response, *, provider: str, label: str
) -> ProviderError:
    status = response.status_code
    reasons, detail = _api_error(response)
    if status == 429 or (status == 403 and reasons & RATE_LIMIT_REASONS):
        wait = parse_retry_after(response.headers.get("Retry-After"))
        message = f"{label} is rate-limiting us"
        if wait is not None:
            message += f"; try again in {math.ceil(wait)} s"
        return ProviderError(
            message, provider=provider, transient=True, retry_after=wait
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


def _api_error(response: requests.Response) -> tuple[set[str], str]:
    """Google-style ``{"error": {"message", "errors": [{"reason"}]}}``, if any."""
    if "json" not in response.headers.get("Content-Type", ""):
        return set(), ""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError, requests.RequestException):
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
