"""Photo uploads: pixel limits read from the header, large JPEGs decoded reduced."""

import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image

from catalog.barcodes import BarcodeError, images


def _jpeg(size: tuple[int, int], mode: str = "L") -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, 128).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny JPEG whose header claims width x height (its data is far too short)."""
    raw = bytearray(_jpeg((16, 16)))
    sof = raw.index(b"\xff\xc0")
    raw[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(raw)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose (well-formed) header claims width x height."""
    buffer = BytesIO()
    Image.new("L", (16, 16)).save(buffer, "PNG")
    raw = bytearray(buffer.getvalue())
    body = b"IHDR" + struct.pack(">II", width, height) + bytes(raw[24:29])
    raw[12:29] = body
    raw[29:33] = struct.pack(">I", zlib.crc32(body))
    return bytes(raw)


@pytest.mark.parametrize("opener", [images.open_grayscale, images.open_rgb])
def test_a_photo_over_the_pixel_limit_is_refused_from_its_header(opener):
    # 72 megapixels: under Pillow's own bomb limit, over ours. The data after
    # the header is missing, so decoding would have said "damaged" instead.
    raw = _jpeg_claiming(9000, 8000)
    with pytest.raises(BarcodeError, match="too large to process"):
        opener(raw, images.DEFAULT_MAX_PIXELS)


def test_a_png_has_the_lower_limit_as_it_cannot_be_decoded_reduced():
    raw = _png_claiming(6000, 5000)  # 30 megapixels
    with pytest.raises(BarcodeError, match="too large to process"):
        images.open_rgb(raw, images.DEFAULT_MAX_PIXELS)
    with pytest.raises(BarcodeError, match="damaged"):
        # Within the limit it is decoded, and its missing data found out.
        images.open_rgb(_png_claiming(4000, 3000), images.DEFAULT_MAX_PIXELS)


def test_a_large_jpeg_is_decoded_reduced_for_barcodes_and_covers():
    wide = _jpeg((8400, 64), mode="RGB")
    gray = images.open_grayscale(wide, images.DEFAULT_MAX_PIXELS)
    assert gray.mode == "L"
    assert gray.size == (4200, 32)  # 1/2: the smallest scale still 4000 wide
    rgb = images.open_rgb(wide, images.DEFAULT_MAX_PIXELS)
    assert rgb.mode == "RGB"
    assert rgb.size == (2100, 16)  # 1/4 for a cover


def test_a_photo_within_the_decode_size_is_decoded_whole():
    photo = images.open_rgb(_jpeg((1600, 1200), mode="RGB"), images.DEFAULT_MAX_PIXELS)
    assert photo.size == (1600, 1200)
