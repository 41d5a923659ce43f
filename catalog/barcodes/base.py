"""The decoder interface and the one error the barcode chain raises.

A decoder wraps one barcode library. The chain (``catalog.barcodes.chain``) runs
every available decoder over a few versions of a photo; the contract suite in
``tests/catalog/test_barcodes.py`` runs against each implementation.
"""

from PIL import Image


class BarcodeError(ValueError):
    """A photo we cannot read barcodes from, with a message a person can act on."""


class Decoder:
    """Reads product barcodes (EAN-13, EAN-8, UPC-A, UPC-E) from a Pillow image."""

    #: A short label for reports and logs, e.g. "zxing-cpp".
    name: str = ""

    @classmethod
    def available(cls) -> bool:
        """Tell whether the library (and any system library it needs) loads here."""
        raise NotImplementedError("subclasses of Decoder must provide available()")

    def decode(self, image: Image.Image) -> list[str]:
        """Return the raw text of each barcode found in a grayscale ("L") image.

        Texts are as the library reports them (digits, perhaps with an add-on);
        the chain normalises them. An image with no barcode gives an empty list.
        """
        raise NotImplementedError("subclasses of Decoder must provide decode()")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
