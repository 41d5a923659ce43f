"""Covers from the providers: downloaded within the limits, and proven images."""

import time
from io import BytesIO
from urllib.parse import urlsplit

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from catalog.barcodes import BarcodeError, images
from catalog.metadata.base import ProviderError, Sleep
from catalog.metadata.http import get_bytes

PROVIDER = "covers"
# The formats the providers serve covers in, by the bytes they start with.
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def fetch_cover(url: str, *, label: str = "", sleep: Sleep = time.sleep) -> Image.Image:
    """Download a cover and return it as an RGB image; raise ProviderError.

    Only from a provider's hosts (see ``guard``), at most
    METADATA_COVER_MAX_BYTES, and only what is an image by its content type,
    its first bytes and Pillow's check; a large JPEG is decoded reduced.
    """
    label = label or urlsplit(url).hostname or "The cover service"
    data = get_bytes(
        url,
        max_bytes=settings.METADATA_COVER_MAX_BYTES,
        provider=PROVIDER,
        label=label,
        sleep=sleep,
    )

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
