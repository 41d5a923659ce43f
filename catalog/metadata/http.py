"""HTTP for the metadata providers: polite headers, deadlines, retries, backoff.

Every provider call goes through ``get_json`` (API answers) or ``get_bytes``
(cover images), so rate limits and outages are handled the same way
everywhere and end as a ``ProviderError`` with a message a person can read.
"""

import json
import logging
import threading
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from catalog.metadata.base import ProviderError, Sleep
from catalog.metadata.guard import BlockedAddress, Deadline, GuardedAdapter, refusal
from catalog.metadata.http_errors import http_error, parse_retry_after

__all__ = ["ProviderTimeout", "get_bytes", "get_json", "parse_retry_after", "session"]

logger = logging.getLogger(__name__)

MAX_RETRIES = 2
# An error's explanation, when there is one, is short.
ERROR_MAX_BYTES = 64 * 1024
MAX_REDIRECTS = 4
CHUNK_BYTES = 64 * 1024

_local = threading.local()


class ProviderTimeout(ProviderError):
    """A provider call ran out of its deadline."""


def session() -> requests.Session:
    """Return this thread's session (a ``requests.Session`` is not thread-safe)."""
    current = getattr(_local, "session", None)
    if current is None:
        current = _local.session = requests.Session()
        # No proxy or .netrc from the environment: requests go straight to the
        # provider hosts, through connections that refuse private addresses.
        current.trust_env = False
        adapter = GuardedAdapter()
        current.mount("http://", adapter)
        current.mount("https://", adapter)
    return current


def get_json(
    url: str,
    *,
    params: dict[str, Any] | None = None,
    provider: str,
    label: str = "",
    sleep: Sleep = time.sleep,
    deadline: float | None = None,
) -> dict | list | None:
    """GET a JSON document, retrying what may pass; None if it does not exist (404).

    ``deadline`` (seconds, default METADATA_DEADLINE_SECONDS) bounds the whole
    call, retries included; the body may be at most METADATA_JSON_MAX_BYTES.
    """
    label = label or provider
    answer = _get(
        url,
        params=params,
        accept="application/json",
        max_bytes=settings.METADATA_JSON_MAX_BYTES,
        provider=provider,
        label=label,
        sleep=sleep,
        deadline=deadline,
    )
    if answer is None:
        return None
    try:
        return json.loads(answer[0])
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
    deadline: float | None = None,
) -> bytes:
    """Download an image of at most ``max_bytes``, retrying what may pass."""
    label = label or urlsplit(url).hostname or provider
    answer = _get(
        url,
        params=None,
        accept="image/*",
        max_bytes=max_bytes,
        provider=provider,
        label=label,
        sleep=sleep,
        deadline=deadline,
    )
    if answer is None:
        raise ProviderError(
            f"{label} has no image at this address", provider=provider, transient=False
        )
    body, content_type = answer
    if not content_type.lower().startswith("image/"):
        raise ProviderError(
            f"{label} sent {content_type or 'something untyped'} instead of an image",
            provider=provider,
            transient=False,
        )
    return body


def _get(
    url: str,
    *,
    params: dict[str, Any] | None,
    accept: str,
    max_bytes: int,
    provider: str,
    label: str,
    sleep: Sleep,
    deadline: float | None,
) -> tuple[bytes, str] | None:
    """GET a body and its content type, retrying transient failures; None on 404."""
    seconds = settings.METADATA_DEADLINE_SECONDS if deadline is None else deadline
    too_slow = ProviderTimeout(
        f"{label} did not answer in time", provider=provider, transient=True
    )
    with Deadline(seconds) as limit:
        for attempt in range(MAX_RETRIES + 1):
            try:
                return _attempt(
                    url,
                    params=params,
                    accept=accept,
                    max_bytes=max_bytes,
                    limit=limit,
                    provider=provider,
                    label=label,
                )
            except ProviderError as exc:
                error = too_slow if limit.passed() else exc
            if not error.transient or attempt == MAX_RETRIES:
                raise error
            wait = error.retry_after
            if wait is None:
                wait = settings.METADATA_HTTP_BACKOFF_SECONDS * 2**attempt
            if wait > settings.METADATA_MAX_RETRY_AFTER or wait >= limit.remaining():
                # Too long to hold a worker or a page: the job retries later.
                raise error
            logger.info("%s; retrying in %.1f s", error, wait)
            sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _attempt(
    url: str,
    *,
    params: dict[str, Any] | None,
    accept: str,
    max_bytes: int,
    limit: Deadline,
    provider: str,
    label: str,
) -> tuple[bytes, str] | None:
    """One try: the request, redirects within the provider hosts, and the body."""
    response = _send(
        url, params=params, accept=accept, limit=limit, provider=provider, label=label
    )
    with response:
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            try:
                detail = _read(
                    response,
                    max_bytes=ERROR_MAX_BYTES,
                    limit=limit,
                    provider=provider,
                    label=label,
                )
            except ProviderError:
                detail = b""
            raise http_error(response, detail, provider=provider, label=label)
        body = _read(
            response, max_bytes=max_bytes, limit=limit, provider=provider, label=label
        )
        content_type = response.headers.get("Content-Type", "")
        return body, content_type.split(";")[0].strip()


def _send(
    url: str,
    *,
    params: dict[str, Any] | None,
    accept: str,
    limit: Deadline,
    provider: str,
    label: str,
) -> requests.Response:
    """Send the GET, following at most MAX_REDIRECTS redirects, each one checked."""
    headers = {"User-Agent": settings.METADATA_USER_AGENT, "Accept": accept}
    for _hop in range(MAX_REDIRECTS + 1):
        if reason := refusal(url):
            raise ProviderError(
                f"Refused an address from {label}: {reason}",
                provider=provider,
                transient=False,
            )
        if limit.passed():
            raise ProviderError("out of time", provider=provider, transient=True)
        timeout = (
            min(settings.METADATA_CONNECT_TIMEOUT, limit.remaining()),
            min(settings.METADATA_READ_TIMEOUT, limit.remaining()),
        )
        response = _request(
            url,
            params=params,
            headers=headers,
            timeout=timeout,
            provider=provider,
            label=label,
        )
        if not response.is_redirect:
            return response
        with response:
            url = urljoin(response.url, response.headers["Location"])
        params = None  # already part of the address redirected from
    raise ProviderError(
        f"{label} redirected too many times", provider=provider, transient=False
    )


def _request(
    url: str,
    *,
    params: dict[str, Any] | None,
    headers: dict[str, str],
    timeout: tuple[float, float],
    provider: str,
    label: str,
) -> requests.Response:
    try:
        return session().get(
            url,
            params=params,
            headers=headers,
            timeout=timeout,
            stream=True,
            allow_redirects=False,
        )
    except BlockedAddress as exc:
        raise ProviderError(
            f"Refused an address from {label}: {exc}",
            provider=provider,
            transient=False,
        ) from exc
    except requests.Timeout as exc:
        raise _failure(f"{label} did not answer in time", provider, exc) from exc
    except requests.ConnectionError as exc:
        raise _failure(f"{label} could not be reached", provider, exc) from exc
    except requests.RequestException as exc:
        # Not the exception's text: it may quote the URL with the API key.
        raise ProviderError(
            f"Could not ask {label}: check its address ({type(exc).__name__})",
            provider=provider,
            transient=False,
        ) from exc


def _read(
    response: requests.Response,
    *,
    max_bytes: int,
    limit: Deadline,
    provider: str,
    label: str,
) -> bytes:
    """The body, at most ``max_bytes`` of it, before the deadline."""
    too_big = ProviderError(
        f"The answer from {label} is larger than {max_bytes // 1024} KB",
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
    except (requests.RequestException, OSError) as exc:
        raise ProviderError(
            f"{label} stopped sending half-way", provider=provider, transient=True
        ) from exc
    if limit.passed():
        # The watchdog's shutdown can look like the end of the body.
        raise ProviderError("out of time", provider=provider, transient=True)
    return b"".join(chunks)


def _failure(message: str, provider: str, cause: Exception) -> ProviderError:
    error = ProviderError(message, provider=provider, transient=True)
    error.__cause__ = cause
    return error
