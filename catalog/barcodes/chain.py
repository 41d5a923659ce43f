"""The decoder chain: every available decoder over each version of a photo."""

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from catalog.barcodes import codes, images
from catalog.barcodes.base import BarcodeError, Decoder

NO_DECODER = (
    "No barcode decoder is installed: install zxing-cpp (pip install zxing-cpp), "
    "or pyzbar with the libzbar0 system library (apt install libzbar0). "
    "Until then, type the ISBN instead."
)


@dataclass
class BarcodeResult:
    """What a photo held: its ISBN-13s, other product codes, and who read them.

    An empty result (no ISBNs, nothing rejected) means no barcode was found.
    """

    isbns: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    decoders_used: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        """Record one decoded text as an ISBN, a rejected code, or nothing."""
        found, other = codes.classify(text)
        if found and found not in self.isbns:
            self.isbns.append(found)
        elif other and other not in self.rejected:
            self.rejected.append(other)


def get_decoders() -> list[Decoder]:
    """Return an instance of each decoder in settings.BARCODE_DECODERS that can run."""
    return list(_available_decoders(tuple(settings.BARCODE_DECODERS)))


def clear_decoder_cache() -> None:
    """Forget which decoders can run, as if the process restarted (for tests)."""
    _available_decoders.cache_clear()


@functools.cache
def _available_decoders(paths: tuple[str, ...]) -> tuple[Decoder, ...]:
    # Probing a missing library is slow (ctypes runs ldconfig to look for
    # libzbar0), so each configuration is probed once per process.
    decoders = []
    for path in paths:
        try:
            decoder_class = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"BARCODE_DECODERS names {path!r}, which cannot be imported: {exc}"
            ) from exc
        if decoder_class.available():
            decoders.append(decoder_class())
    return tuple(decoders)


def decode_isbns(
    data: bytes | BinaryIO, *, decoders: Sequence[Decoder] | None = None
) -> BarcodeResult:
    """Read the ISBN barcodes in a photo (bytes or a file); raise BarcodeError.

    decoders defaults to get_decoders(); pass some to compare them.
    """
    decoders = get_decoders() if decoders is None else list(decoders)
    if not decoders:
        raise BarcodeError(NO_DECODER)
    raw = images.read_upload(data, settings.BARCODE_MAX_UPLOAD_BYTES)
    max_pixels = getattr(
        settings, "BARCODE_MAX_IMAGE_PIXELS", images.DEFAULT_MAX_PIXELS
    )
    photo = images.open_grayscale(raw, max_pixels)
    result = BarcodeResult(decoders_used=[decoder.name for decoder in decoders])
    for _label, version in images.passes(photo):
        for decoder in decoders:
            for text in decoder.decode(version):
                result.add(text)
        # Later passes cost more and would only repeat the ISBNs found; a rejected
        # code alone keeps looking, in case the book's own barcode is there too.
        if result.isbns:
            break
    return result
