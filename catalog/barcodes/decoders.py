"""Decoders over zxing-cpp (a self-contained wheel) and pyzbar (needs libzbar0).

The libraries are imported when first used, never when this module loads: pyzbar
raises ImportError at import on hosts without libzbar0 (AWS Lambda), and a web
worker that never decodes a photo should not pay for loading either.
"""

import importlib
from types import ModuleType

from PIL import Image

from catalog.barcodes.base import Decoder


def _load(module: str) -> ModuleType:
    """Import a decoder library; ImportError or OSError means it cannot run here."""
    return importlib.import_module(module)


class LibraryDecoder(Decoder):
    """A decoder over one Python module, available when that module imports."""

    #: The dotted module the decoder calls, imported on first use.
    module: str = ""

    @classmethod
    def available(cls) -> bool:
        """Tell whether the module (and any system library it loads) imports."""
        try:
            _load(cls.module)
        except (ImportError, OSError):
            # pyzbar raises ImportError ("Unable to find zbar shared library") when
            # libzbar0 is missing, and ctypes raises OSError when it will not load.
            return False
        return True


class ZxingCppDecoder(LibraryDecoder):
    """zxing-cpp: fast, finds barcodes at any rotation, ships its own binary."""

    name = "zxing-cpp"
    module = "zxingcpp"

    def decode(self, image: Image.Image) -> list[str]:
        """Return the text of each EAN/UPC barcode zxing-cpp finds in the image."""
        zxingcpp = _load(self.module)
        fmt = zxingcpp.BarcodeFormat
        # The default local-average binarizer loses thin bars in busy or soft
        # photos that a plain threshold keeps; it is only tried when needed.
        for binarizer in (
            zxingcpp.Binarizer.LocalAverage,
            zxingcpp.Binarizer.FixedThreshold,
        ):
            results = zxingcpp.read_barcodes(
                image,
                formats=(fmt.EAN13, fmt.EAN8, fmt.UPCA, fmt.UPCE),
                try_rotate=True,
                try_downscale=True,
                # Book barcodes are printed dark on light; an inverted search
                # would double the time for nothing.
                try_invert=False,
                binarizer=binarizer,
                ean_add_on_symbol=zxingcpp.EanAddOnSymbol.Ignore,
            )
            texts = [result.text for result in results if result.valid]
            if texts:
                return texts
        return []


class PyzbarDecoder(LibraryDecoder):
    """ZBar through pyzbar: a second opinion that reads some codes zxing-cpp misses."""

    name = "pyzbar"
    # Importing pyzbar.pyzbar is what loads libzbar0, so it is the test.
    module = "pyzbar.pyzbar"

    def decode(self, image: Image.Image) -> list[str]:
        """Return the text of each EAN/UPC barcode ZBar finds in the image."""
        pyzbar = _load(self.module)
        symbol = pyzbar.ZBarSymbol
        # Naming the symbologies leaves ZBar's EAN-2/EAN-5 add-ons off, and
        # ISBN13 makes ZBar report 978/979 codes as books.
        symbols = [symbol.EAN13, symbol.EAN8, symbol.UPCA, symbol.UPCE, symbol.ISBN13]
        results = pyzbar.decode(image, symbols=symbols)
        return [result.data.decode("ascii", "replace") for result in results]
