"""Read an uploaded photo safely and make the versions of it the decoders try."""

import contextlib
import io
import warnings
from collections.abc import Iterator
from typing import BinaryIO

from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError

from catalog.barcodes.base import BarcodeError

MEGABYTE = 1024 * 1024
# Phone cameras shoot up to about 50 megapixels. A JPEG that size is decoded
# reduced (see DECODE_SIDE), so it costs a small worker (or a 512 MB Lambda) a
# few tens of MB; the limit is checked from the header, before decoding.
DEFAULT_MAX_PIXELS = 64_000_000
# Other formats (PNG, GIF, WebP) cannot be decoded reduced: a 24-megapixel PNG
# is 96 MB as RGBA, about what a JPEG twice its size costs after reduction.
DEFAULT_MAX_PIXELS_UNREDUCED = 24_000_000
# A JPEG is decoded at 1/2, 1/4 or 1/8 of its size (libjpeg's scaled decoding,
# at a fraction of the memory and time), to no less than this longest side:
# barcodes keep 2+ px per bar at 4000 px, and a cover is stored at 900 px.
DECODE_SIDE = {"L": 4000, "RGB": 2000}
# The first pass decodes at this size: phone photos are 3000-8000 px wide, and a
# book barcode filling a fifth of the frame still has 2+ px per bar at 1600 px.
WORKING_SIDE = 1600
# How much darker than its neighbourhood a pixel must be to count as a bar; above
# sensor noise, below the contrast of a faded print.
_BINARY_MARGIN = 8

NOT_AN_IMAGE = "That file is not an image we can read (JPEG or PNG, please)."
HEIF = (
    "That photo is in HEIC/HEIF format, which we cannot read: send it as JPEG or "
    "PNG (on an iPhone, Settings › Camera › Formats › Most Compatible)."
)
DAMAGED = (
    "That image file is damaged or incomplete; take or send the photo again "
    "(JPEG or PNG, please)."
)
TOO_MANY_PIXELS = "That image is too large to process safely."
# The brands an ISO base media file declares for HEIC/HEIF/AVIF stills.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def _megabytes(size: int) -> str:
    return f"{size / MEGABYTE:.1f}".removesuffix(".0")


def too_large(size: int | None, limit: int) -> BarcodeError:
    """The error for an upload over the byte limit (size None: not known)."""
    shown = f"over {_megabytes(limit)}" if size is None else _megabytes(size)
    return BarcodeError(
        f"That photo is too large ({shown} MB); the limit is {_megabytes(limit)} MB."
    )


def read_upload(data: bytes | BinaryIO, limit: int) -> bytes:
    """Return the bytes of an upload (bytes or a file), refusing more than limit."""
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > limit:
            raise too_large(len(raw), limit)
        return raw
    declared = getattr(data, "size", None)  # Django's UploadedFile knows its size.
    if isinstance(declared, int) and declared > limit:
        raise too_large(declared, limit)
    _rewind(data)
    # One byte past the limit is enough to know it is too large, without reading
    # an arbitrarily large stream into memory.
    raw = data.read(limit + 1)
    if len(raw) > limit:
        raise too_large(_stream_size(data), limit)
    return raw


def _rewind(data: BinaryIO) -> None:
    # A stream that cannot seek is read from where it is.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        data.seek(0)


def _stream_size(data: BinaryIO) -> int | None:
    try:
        return data.seek(0, io.SEEK_END)
    except (AttributeError, OSError, ValueError):
        return None


def open_grayscale(raw: bytes, max_pixels: int) -> Image.Image:
    """Open image bytes upright (EXIF orientation applied) as grayscale, or raise.

    A large JPEG is decoded reduced to about ``DECODE_SIDE["L"]`` pixels.
    """
    # For a JPEG, decode straight to grayscale: a third of the memory and time
    # of RGB.
    return _to_gray(_open_upright(raw, max_pixels, draft="L"))


def open_rgb(raw: bytes, max_pixels: int) -> Image.Image:
    """Open image bytes upright as RGB on white (for a cover photo), or raise.

    A large JPEG is decoded reduced to about ``DECODE_SIDE["RGB"]`` pixels.
    """
    return _on_paper(_open_upright(raw, max_pixels, draft="RGB")).convert("RGB")


def check_pixels(image: Image.Image, max_pixels: int) -> None:
    """Refuse an opened (not yet decoded) image with too many pixels to decode.

    Image.open reads only the header, so this costs nothing; formats that
    cannot be decoded reduced get the lower of the two limits.
    """
    limit = max_pixels
    if image.format != "JPEG":
        limit = min(max_pixels, DEFAULT_MAX_PIXELS_UNREDUCED)
    if image.width * image.height > limit:
        raise BarcodeError(TOO_MANY_PIXELS)


def reduced_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """The size to ask ``Image.draft`` for: ``size`` scaled to fit ``side``."""
    scale = min(1.0, side / max(size))
    return (max(1, int(size[0] * scale)), max(1, int(size[1] * scale)))


def _open_upright(raw: bytes, max_pixels: int, *, draft: str) -> Image.Image:
    """Open image bytes with the safety checks, EXIF orientation applied."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; a
            # warning is as much a refusal here as its error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            check_pixels(image, max_pixels)
            # JPEG only (other formats ignore it): decode at the smallest
            # scale that is still at least this size.
            image.draft(draft, reduced_size(image.size, DECODE_SIDE[draft]))
            image.load()
            return ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BarcodeError(TOO_MANY_PIXELS) from exc
    except UnidentifiedImageError as exc:
        raise BarcodeError(HEIF if _is_heif(raw) else NOT_AN_IMAGE) from exc
    except BarcodeError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated or corrupt data (or EXIF) with any of these.
        raise BarcodeError(DAMAGED) from exc


def _is_heif(raw: bytes) -> bool:
    return raw[4:8] == b"ftyp" and raw[8:12] in _HEIF_BRANDS


def _on_paper(image: Image.Image) -> Image.Image:
    """Put a transparent image on white paper (its hidden pixels are often black)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(paper, rgba)
    return image


def _to_gray(image: Image.Image) -> Image.Image:
    if image.mode == "L":
        return image
    # Bars drawn on a transparent background would vanish into black.
    return _on_paper(image).convert("L")


def passes(image: Image.Image) -> Iterator[tuple[str, Image.Image]]:
    """Yield (label, image) versions to decode, cheapest and likeliest first.

    Each is made only when asked for, so a photo read on the first pass costs one
    resize.
    """
    working = _fit(image, WORKING_SIDE)
    yield "working size", working
    stretched = ImageOps.autocontrast(working, cutoff=1)
    yield "contrast stretched", stretched
    yield "sharpened", stretched.filter(ImageFilter.UnsharpMask(3, 200, 2))
    if working is not image:
        # A small barcode in a large photo may lose its bars to the resize.
        yield "full size", image
    else:
        # A photo this small often has bars 1-2 px wide, which zxing-cpp reads
        # once they are doubled.
        yield "enlarged", _enlarge(stretched, 2)
    yield "binarised", _binarise(stretched)
    # The decoders read barcodes up to about 30° off the horizontal or vertical;
    # a 45° turn brings the diagonal ones within reach.
    yield "turned 45°", _turn(stretched, 45)


def _fit(image: Image.Image, side: int) -> Image.Image:
    """Return the image scaled so its longest side is at most side pixels."""
    longest = max(image.size)
    if longest <= side:
        return image
    scale = side / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _enlarge(image: Image.Image, factor: int) -> Image.Image:
    size = (image.width * factor, image.height * factor)
    return image.resize(size, Image.Resampling.BICUBIC)


def _binarise(image: Image.Image) -> Image.Image:
    """Black where a pixel is darker than its surroundings: survives uneven light."""
    local_mean = image.filter(ImageFilter.BoxBlur(max(8, max(image.size) // 60)))
    darker = ImageChops.subtract(local_mean, image)
    return darker.point(lambda v: 0 if v > _BINARY_MARGIN else 255)


def _turn(image: Image.Image, angle: float) -> Image.Image:
    return image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
