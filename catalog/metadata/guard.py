"""Where provider requests may go, and how long they may take.

Provider answers name addresses (covers, redirects) that the app then fetches,
so a provider, or whoever spoofs one, could point the app at itself or at the
private network. Requests go only to the hosts of the configured provider URLs
and the providers' documented image hosts, and a connection to a private,
loopback or link-local address is refused after the name is resolved, unless
that exact host and port is configured (the fake provider in tests).

A ``Deadline`` bounds a whole provider call: connecting, the headers and the
body, retries included. Socket timeouts alone cannot: a server that sends a
byte every few seconds never trips them. When the deadline passes, a watchdog
shuts the call's sockets down, which ends any read blocked on them.
"""

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from types import TracebackType
from urllib.parse import urlsplit

from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util import connection as urllib3_connection

DEFAULT_PORTS = {"http": 80, "https": 443}
_local = threading.local()


class BlockedAddress(Exception):
    """A provider host resolved to an address the app must not connect to."""


def _origin(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in DEFAULT_PORTS or not host:
        return None
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return host, port


def configured_origins() -> set[tuple[str, int]]:
    """The (host, port) of each configured provider URL."""
    urls = (
        settings.OPENLIBRARY_URL,
        settings.OPENLIBRARY_COVERS_URL,
        settings.GOOGLE_BOOKS_URL,
    )
    return {origin for url in urls if (origin := _origin(url))}


def _documented_host(host: str, port: int) -> bool:
    # A leading dot in METADATA_IMAGE_HOSTS stands for any subdomain.
    if port not in DEFAULT_PORTS.values():
        return False
    for name in settings.METADATA_IMAGE_HOSTS:
        name = name.lower()
        if host == name or (name.startswith(".") and host.endswith(name)):
            return True
    return False


def refusal(url: str) -> str:
    """Why the app will not fetch ``url`` from a provider; "" if it may."""
    origin = _origin(url)
    if origin is None:
        return f"Not a web address: {url[:100]!r}"
    if origin in configured_origins() or _documented_host(*origin):
        return ""
    return f"{origin[0]} is not a metadata provider's host"


def _usable(address: str, host: str, port: int) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return True
    # The operator pointed a provider URL at exactly this host and port.
    return (host.lower().rstrip("."), port) in configured_origins()


class _GuardedConnection(HTTPConnection):
    """Connects only to global addresses, and puts itself under the deadline."""

    def _new_conn(self) -> socket.socket:
        host, port = self._dns_host, self.port
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = list(dict.fromkeys(info[4][0] for info in found))
        # Every address must pass: a name may resolve to a public and a private
        # address, and the one connected to is not ours to choose.
        if not addresses or not all(_usable(a, host, port) for a in addresses):
            raise BlockedAddress(f"{self.host} resolves to a private address")
        error: Exception | None = None
        for address in addresses:
            try:
                # An address literal: create_connection does no second lookup
                # that a rebinding DNS server could answer differently.
                sock = urllib3_connection.create_connection(
                    (address, port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                error = ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out"
                )
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to connect: {exc}")
                error.__cause__ = exc
            else:
                Deadline.watch(sock)  # for the TLS handshake
                return sock
        assert error is not None
        raise error

    def connect(self) -> None:
        super().connect()
        # After a TLS handshake, the TLS socket has taken over the plain one.
        Deadline.watch(self.sock)

    def request(self, *args, **kwargs) -> None:  # type: ignore[override]
        # A kept-alive connection is reused without connecting again.
        Deadline.watch(self.sock)
        super().request(*args, **kwargs)


class _GuardedHTTPSConnection(_GuardedConnection, HTTPSConnection):
    pass


class _GuardedPool(HTTPConnectionPool):
    ConnectionCls = _GuardedConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections refuse private addresses."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedPool,
            "https": _GuardedHTTPSPool,
        }


class Deadline:
    """A time limit for everything done inside ``with Deadline(seconds):``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._outer: Deadline | None = None

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.ends - time.monotonic())

    def passed(self) -> bool:
        """Whether the time is up."""
        return self.expired or time.monotonic() >= self.ends

    def __enter__(self) -> "Deadline":
        self._outer = getattr(_local, "deadline", None)
        _local.deadline = self
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._timer.cancel()
        _local.deadline = self._outer

    @staticmethod
    def watch(sock: socket.socket | None) -> None:
        """Put a socket under the current deadline, if there is one."""
        deadline = getattr(_local, "deadline", None)
        if deadline is None or sock is None:
            return
        # The socket, not its connection: http.client lets go of the socket
        # of an answer that ends when the connection closes, while the body
        # is still being read from it.
        with deadline._lock:
            if not deadline.expired:
                deadline._sockets.append(sock)
                return
        _shut([sock])

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        _shut(sockets)


def _shut(sockets: Iterable[socket.socket]) -> None:
    for sock in sockets:
        # The plain socket's shutdown, also for a TLS socket: it wakes a read
        # blocked in another thread, where close() would not. A socket closed
        # since has no descriptor any more, and says so with an OSError.
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
