"""The embedded broker: kombu's filesystem transport, made safe to fail.

Kombu's own transport opens the message file and then writes it, so a full
disk leaves an empty ``.msg`` file behind, and a reader may catch a file half
written; either one then stops the worker with a ``JSONDecodeError``. Here:

* a message is written under a name no reader picks up and renamed into place
  once whole, so a failed write leaves nothing and a reader never sees half;
* a message that cannot be read or decoded is moved to the ``quarantine``
  folder beside the queue folder and logged, and the worker carries on.

Celery uses it through ``CELERY_BROKER_TRANSPORT`` (the local settings).
"""

import logging
import os
import uuid
from contextlib import suppress
from functools import cached_property
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

PARTIAL_PREFIX = ".partial-"


class Channel(filesystem.Channel):
    """A filesystem channel whose messages are whole or absent."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        """Write the message under a hidden name, then rename it into the queue."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        partial = folder / f"{PARTIAL_PREFIX}{name}"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, folder / name)
        except OSError as exc:
            with suppress(OSError):
                partial.unlink()
            raise ChannelError(f"Cannot add message {name!r}: {exc}") from exc

    def _get(self, queue: str) -> dict:
        """Claim the oldest message of ``queue``; quarantine any that is unreadable."""
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        for filename in sorted(os.listdir(folder)):
            if filename.partition(".")[2] != wanted:
                continue
            claimed = self.claim_folder / filename
            try:
                # Atomic: of several workers, one claims it, the others move on.
                os.replace(folder / filename, claimed)
            except OSError:
                continue
            try:
                payload = loads(bytes_to_str(claimed.read_bytes()))
                if not isinstance(payload, dict) or "delivery_tag" not in (
                    payload.get("properties") or {}
                ):
                    raise ValueError("not a kombu message")
            except (OSError, ValueError) as exc:  # JSONDecodeError is a ValueError
                self._quarantine(claimed, exc)
                continue
            claimed.unlink(missing_ok=True)
            return payload
        raise Empty()

    def _quarantine(self, path: Path, error: Exception) -> None:
        """Set an unreadable message aside for a person to look at, and log it."""
        self.quarantine_folder.mkdir(parents=True, exist_ok=True)
        target = self.quarantine_folder / path.name
        try:
            os.replace(path, target)
        except OSError:
            path.unlink(missing_ok=True)
            target = None
        logger.error(
            "Broker message %s is unreadable (%s); %s",
            path.name,
            error,
            f"set aside in {target}" if target else "removed",
        )

    @cached_property
    def claim_folder(self) -> Path:
        """Where a message is moved while it is read (same filesystem: atomic)."""
        return self._side_folder("claimed")

    @cached_property
    def quarantine_folder(self) -> Path:
        """Where unreadable messages are kept."""
        return self._side_folder("quarantine")

    def _side_folder(self, name: str) -> Path:
        option = self.transport_options.get(f"{name}_folder")
        path = Path(option) if option else Path(self.data_folder_in).parent / name
        path.mkdir(parents=True, exist_ok=True)
        return path


class Transport(filesystem.Transport):
    """Kombu's filesystem transport with the channel above, polled by the event loop.

    Kombu's transport is synchronous, which gives Celery's blocking prefork
    pool: its children share one job pipe behind a lock, and a child killed
    while waiting on it (idle) takes the lock with it, so the pool never runs
    another job. Polling the folder from the worker's event loop instead gives
    Celery's asynchronous pool (one pipe per child), which replaces a killed
    child and re-queues what it held, as it does on Redis.
    """

    Channel = Channel
    implements = filesystem.Transport.implements.extend(asynchronous=True)

    def register_with_event_loop(self, connection: Any, loop: Any) -> None:
        """Deliver whatever is in the folder every polling interval."""
        interval = self.polling_interval or 0.5

        def poll() -> None:
            try:
                # Empty raises socket.timeout at once (timeout 0): nothing waits.
                while True:
                    self.drain_events(connection, timeout=0)
            except TimeoutError:
                pass

        self._poll_ref = loop.call_repeatedly(interval, poll)

    def unregister_from_event_loop(self, connection: Any, loop: Any) -> None:
        ref = getattr(self, "_poll_ref", None)
        if ref is not None:
            ref.cancel()
            self._poll_ref = None
