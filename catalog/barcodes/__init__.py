"""Read ISBN barcodes from photos: a chain of decoders over a Pillow image.

zxing-cpp (a self-contained wheel, works on Lambda) and pyzbar (needs the system
libzbar0) are both optional; ``settings.BARCODE_DECODERS`` names them by dotted
path and the chain uses whichever can run.
"""

from catalog.barcodes.base import BarcodeError, Decoder
from catalog.barcodes.chain import (
    BarcodeResult,
    clear_decoder_cache,
    decode_isbns,
    get_decoders,
)
from catalog.barcodes.decoders import PyzbarDecoder, ZxingCppDecoder

__all__ = [
    "BarcodeError",
    "BarcodeResult",
    "Decoder",
    "PyzbarDecoder",
    "ZxingCppDecoder",
    "clear_decoder_cache",
    "decode_isbns",
    "get_decoders",
]
