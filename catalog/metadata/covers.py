"""Covers from the providers: downloaded within the limits, and proven images."""

import threading
import time
from io import BytesIO
from urllib.parse import urlsplit

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from catalog.barcodes import BarcodeError, images
from catalog.metadata.base import ProviderError, Sleep
from catalog.metadata.http import ProviderTimeout, get_bytes

PROVIDER = "covers"
# The formats the providers serve covers in, by the bytes they start with.
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
# A job stores the covers of up to 25 books: after one cover host (and port)
# ran out of time, the others from it are not waited for until this has passed.
SLOW_HOST_PAUSE_SECONDS = 60.0
_slow_hosts: dict[str, float] = {}
_slow_lock = threading.Lock()


def _recently_slow(host: str) -> bool:
    with _slow_lock:
        since = _slow_hosts.get(host)
        if since is not None and time.monotonic() - since > SLOW_HOST_PAUSE_SECONDS:
            del _slow_hosts[host]
            since = None
    return since is not None


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def fetch_cover(url: str, *, label: str = "", sleep: Sleep = time.sleep) -> Image.Image:
    """Download a cover and return it as an RGB image; raise ProviderError.

    Only from a provider's hosts (see ``guard``), at most
    METADATA_COVER_MAX_BYTES, and only what is an image by its content type,
    its first bytes and Pillow's check; a large JPEG is decoded reduced.
    """
    parts = urlsplit(url)
    host = parts.netloc.lower()
    label = label or parts.hostname or "The cover service"
    if _recently_slow(host):
        raise ProviderError(
            f"{label} did not answer in time a moment ago; not asked again yet",
            provider=PROVIDER,
            transient=True,
        )
    try:
        data = get_bytes(
            url,
            max_bytes=settings.METADATA_COVER_MAX_BYTES,
            provider=PROVIDER,
            label=label,
            sleep=sleep,
        )
    except ProviderTimeout:
        with _slow_lock:
            _slow_hosts[host] = time.monotonic()
        raise
    return _as_image(data, label)


def _as_image(data: bytes, label: str) -> Image.Image:
    """The cover as an RGB image, if it is an image that can be used."""

    def refused(why: str) -> ProviderError:
        return ProviderError(f"{label} sent {why}", provider=PROVIDER, transient=False)

    if not _looks_like_image(data):
        raise refused("something that is not an image")
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in _FORMATS:
                raise refused(f"an image in an unexpected format ({probe.format})")
            probe.verify()
        # Covers are small: the lower limit, for images not decoded reduced.
        return images.open_rgb(data, images.DEFAULT_MAX_PIXELS_UNREDUCED)
    except BarcodeError as exc:
        raise refused(f"an image that cannot be used: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise refused("a damaged image") from exc
